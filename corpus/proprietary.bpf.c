// A non-GPL program: only helpers that are not GPL-only are allowed (map ops, ktime).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Proprietary";
__u32 VERSION SEC("version") = 0x060c00;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} last_seen SEC(".maps");

SEC("socket")
int proprietary_filter(struct __sk_buff *skb)
{
	__u32 key = skb->ifindex;
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&last_seen, &key, &now, BPF_ANY);
	return skb->len;
}
