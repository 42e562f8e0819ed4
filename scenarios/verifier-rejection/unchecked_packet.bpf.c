// THE BUG: this XDP program reads the Ethernet header's protocol field
// without first proving to the verifier that the packet is long enough.
// The verifier rejects it at load time; see checked_packet.bpf.c for the fix.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_drop_ipv6(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	/* eth->h_proto is bytes 12..13 of the packet, but nothing says the
	 * packet has 14 bytes: the verifier refuses the load. */
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
