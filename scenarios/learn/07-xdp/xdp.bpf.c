// Lesson 7: the three things XDP does with a frame before the kernel's
// network stack sees it: drop it, change it, or send it straight back out
// of the same interface (XDP_TX). Here: answer pings in XDP, drop UDP to
// the discard port, pass everything else.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* the ICMP header (linux/icmp.h pulls in libc headers a BPF build lacks) */
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 rest;
};
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

SEC("xdp")
int xdp_pong(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return XDP_PASS;

	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);
		if ((void *)(udp + 1) <= data_end && udp->dest == bpf_htons(9))
			return XDP_DROP; /* the discard service, in the driver */
		return XDP_PASS;
	}
	if (ip->protocol != IPPROTO_ICMP)
		return XDP_PASS;
	struct icmphdr *icmp = (void *)(ip + 1);
	if ((void *)(icmp + 1) > data_end || icmp->type != ICMP_ECHO)
		return XDP_PASS;

	/* turn the request into the reply: swap addresses, type 8 -> 0 */
	unsigned char mac[ETH_ALEN];
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	__be32 a = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = a; /* a swap leaves the IP checksum as it was */
	icmp->type = ICMP_ECHOREPLY;
	/* the type is the high byte of the first word: add 0x0800 back */
	__u32 sum = (__u32)icmp->checksum + bpf_htons(0x0800);
	icmp->checksum = (sum & 0xffff) + (sum >> 16);
	return XDP_TX;
}

/*
 * The same drop policy one stage later, for the cost table: a tc
 * classifier on the skb the kernel has allocated by then.
 */
SEC("tc")
int tc_discard(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return TC_ACT_OK;
	return udp->dest == bpf_htons(9) ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
