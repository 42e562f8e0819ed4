// Tail calls through a program array initialised statically with .values.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

enum { PROG_IPV4 = 0, PROG_IPV6 = 1 };

SEC("xdp")
int tail_ipv4(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int tail_ipv6(struct xdp_md *ctx)
{
	return XDP_DROP;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int (void *));
} jump_table SEC(".maps") = {
	.values = {
		[PROG_IPV4] = (void *)&tail_ipv4,
		[PROG_IPV6] = (void *)&tail_ipv6,
	},
};

SEC("xdp")
int tail_dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(ctx, &jump_table, PROG_IPV4);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(ctx, &jump_table, PROG_IPV6);
	return XDP_PASS;
}
