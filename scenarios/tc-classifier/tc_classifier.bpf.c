// A tc classifier: marks packets by DSCP class, drops packets larger than
// the configured MTU (a .rodata constant), and counts bytes per class.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 max_len = 1000;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);   /* DSCP */
	__type(value, __u64); /* bytes */
} class_bytes SEC(".maps");

SEC("tc")
int tc_classify(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (skb->len > max_len)
		return TC_ACT_SHOT;
	__u32 dscp = ip->tos >> 2;
	__u64 *bytes = bpf_map_lookup_elem(&class_bytes, &dscp);
	if (bytes)
		__sync_fetch_and_add(bytes, skb->len);
	skb->mark = 0x100 | dscp;
	skb->priority = dscp >> 3;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
