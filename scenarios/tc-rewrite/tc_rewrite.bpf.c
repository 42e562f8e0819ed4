// A tc classifier rewriting a header on the way out: UDP to port 8080
// leaves for port 80, with the UDP checksum fixed up incrementally
// (bpf_l4_csum_replace), as a port-mapping egress filter would.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define UDP_DPORT_OFF (ETH_HLEN + sizeof(struct iphdr) + offsetof(struct udphdr, dest))
#define UDP_CSUM_OFF (ETH_HLEN + sizeof(struct iphdr) + offsetof(struct udphdr, check))

SEC("tc")
int tc_rewrite_port(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP || udp->dest != bpf_htons(8080))
		return TC_ACT_OK;

	__be16 from = udp->dest, to = bpf_htons(80);
	bpf_l4_csum_replace(skb, UDP_CSUM_OFF, from, to, sizeof(to));
	bpf_skb_store_bytes(skb, UDP_DPORT_OFF, &to, sizeof(to), 0);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
