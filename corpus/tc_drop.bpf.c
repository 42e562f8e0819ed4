// tc classifiers: drop telnet (TCP port 23); the same logic under each tc section name.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

static __noinline int is_telnet(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);

	if ((void *)(tcp + 1) > data_end)
		return 0;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_TCP || ip->ihl != 5)
		return 0;
	return tcp->dest == bpf_htons(23);
}

static __always_inline int verdict(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u64 *n;

	if (!is_telnet(skb))
		return TC_ACT_OK;
	n = bpf_map_lookup_elem(&dropped, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
	return TC_ACT_SHOT;
}

SEC("tc")
int tc_drop_telnet(struct __sk_buff *skb)
{
	return verdict(skb);
}

SEC("classifier")
int cls_drop_telnet(struct __sk_buff *skb)
{
	return verdict(skb);
}

SEC("tcx/ingress")
int tcx_in_drop_telnet(struct __sk_buff *skb)
{
	return verdict(skb);
}

SEC("tcx/egress")
int tcx_out_drop_telnet(struct __sk_buff *skb)
{
	return verdict(skb);
}
