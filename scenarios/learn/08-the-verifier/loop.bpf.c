// Rejection 4: a loop the verifier cannot prove ends. Here nothing in the
// loop changes what its condition tests, so the verifier comes back to the
// loop head in a state it has seen before and stops: an infinite loop.
// (A loop whose bound comes from data, i < n, is walked iteration by
// iteration until the 1 million instruction limit: "BPF program is too
// large" -- same fix.)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int unbounded(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	volatile __u32 *flag = data;

	if (data + 4 > data_end)
		return XDP_PASS;
	while (*flag != 0) /* waits for a packet byte that never changes */
		;
	return XDP_PASS;
}

SEC("xdp")
int bounded(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 n, sum = 0;

	if (data + 4 > data_end)
		return XDP_PASS;
	n = *(__u32 *)data;
	for (__u32 i = 0; i < n && i < 64; i++) /* the fix: a constant bound */
		sum += bpf_get_prandom_u32(); /* work the compiler cannot fold away */
	return sum & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
