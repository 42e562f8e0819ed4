// Packet sampling: every packet is counted; about one in four is picked by
// bpf_get_prandom_u32, and a picked packet is only sampled if at least 1 ms
// (bpf_ktime_get_ns) has passed since the previous sample. Random numbers and
// the clock make such a program hard to test on a real machine; in bpfsim the
// scenario fixes both.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SAMPLE_ONE_IN   4
#define MIN_GAP_NS      1000000ULL /* 1 ms */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4); /* 0: seen, 1: picked, 2: sampled, 3: gap before the last sample (ns) */
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

__u64 last_sample_ns; /* .bss: 0 until the first sample */

static __always_inline __u64 *slot(__u32 key)
{
	return bpf_map_lookup_elem(&stats, &key);
}

SEC("xdp")
int xdp_sample(struct xdp_md *ctx)
{
	__u64 *seen = slot(0), *picked = slot(1), *sampled = slot(2), *gap = slot(3);
	if (!seen || !picked || !sampled || !gap)
		return XDP_PASS;
	*seen += 1;

	if (bpf_get_prandom_u32() % SAMPLE_ONE_IN != 0)
		return XDP_PASS;
	*picked += 1;

	__u64 now = bpf_ktime_get_ns();
	if (last_sample_ns && now - last_sample_ns < MIN_GAP_NS)
		return XDP_PASS; /* rate limited */
	if (last_sample_ns)
		*gap = now - last_sample_ns;
	last_sample_ns = now;
	*sampled += 1;
	bpf_printk("sample %llu of %llu", *sampled, *seen);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
