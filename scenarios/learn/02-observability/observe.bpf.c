// Lesson 2: one XDP program reports every packet three ways -- a
// bpf_printk line, counters and a size histogram in maps, and a record in
// a ring buffer -- so the three can be compared side by side.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct pkt_event {
	__u32 len;
	__u16 proto; /* EtherType, host order */
	__u16 pad;
};
/* puts the record's type into the object's BTF, for decoding */
struct pkt_event *unused_pkt_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* 0: packets, 1: bytes */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

/* bucket i counts packets of 2^i .. 2^(i+1)-1 bytes */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} size_log2 SEC(".maps");

static __always_inline void add(void *map, __u32 key, __u64 v)
{
	__u64 *c = bpf_map_lookup_elem(map, &key);
	if (c)
		__sync_fetch_and_add(c, v);
}

static __always_inline __u32 log2(__u32 v)
{
	__u32 r = 0;
	for (int i = 0; i < 15; i++)
		if (v >> (r + 1))
			r++;
	return r;
}

SEC("xdp")
int observe(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 len = data_end - data;
	__u16 proto = 0;

	if ((void *)(eth + 1) <= data_end)
		proto = bpf_ntohs(eth->h_proto);

	/* 1. a text line in trace_pipe: easy to read, costly, unstructured */
	bpf_printk("packet len=%u proto=0x%04x", len, proto);

	/* 2. aggregates in maps: cheap, answers "how many / how big" */
	add(&totals, 0, 1);
	add(&totals, 1, len);
	add(&size_log2, log2(len), 1);

	/* 3. one structured record per event: every detail, in order */
	struct pkt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->len = len;
		e->proto = proto;
		e->pad = 0;
		bpf_ringbuf_submit(e, 0);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
