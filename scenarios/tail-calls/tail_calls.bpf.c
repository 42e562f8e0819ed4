// Tail calls: an XDP dispatcher parses Ethernet and IPv4 and jumps, with
// bpf_tail_call, to the program user space put in the PROG_ARRAY slot for
// the IP protocol number. A tail call never returns: on success the
// handler's return value is the verdict. When the slot is empty the call
// fails and the dispatcher simply carries on, to its fallback.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 256); /* one slot per IP protocol number */
	__type(key, __u32);
	__type(value, __u32);
} handlers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3); /* 0: no handler (fallback), 1: tcp handler, 2: udp handler */
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&stats, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
}

/* The IPv4 header of the packet, or NULL. Every handler parses again:
 * a tail-called program starts afresh with only the context. */
static __always_inline struct iphdr *ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	return ip;
}

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
	struct iphdr *ip = ipv4(ctx);
	if (!ip)
		return XDP_PASS;
	bpf_tail_call(ctx, &handlers, ip->protocol);
	/* only reached when the slot is empty */
	count(0);
	return XDP_PASS;
}

/* TCP: telnet (port 23) is dropped, everything else passes. */
SEC("xdp")
int handle_tcp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = ipv4(ctx);
	if (!ip)
		return XDP_ABORTED;
	struct tcphdr *tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > data_end)
		return XDP_DROP;
	count(1);
	return tcp->dest == bpf_htons(23) ? XDP_DROP : XDP_PASS;
}

/* UDP: a datagram too short for its header is dropped. */
SEC("xdp")
int handle_udp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = ipv4(ctx);
	if (!ip)
		return XDP_ABORTED;
	struct udphdr *udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end)
		return XDP_DROP;
	count(2);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
