// cgroup_skb: count bytes in and out of a cgroup, refuse ingress from 10.0.0.0/8.
#include <linux/bpf.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} cg_bytes SEC(".maps");

static __always_inline void account(__u32 dir, __u32 len)
{
	__u64 *b = bpf_map_lookup_elem(&cg_bytes, &dir);

	if (b)
		__sync_fetch_and_add(b, len);
}

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb)
{
	struct iphdr ip;

	account(0, skb->len);
	if (skb->protocol != bpf_htons(0x0800))
		return 1;
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
		return 1;
	return (bpf_ntohl(ip.saddr) >> 24) == 10 ? 0 : 1;
}

SEC("cgroup_skb/egress")
int cg_egress(struct __sk_buff *skb)
{
	account(1, skb->len);
	return 1;
}
