// Rejection 5: a context field the program type may not touch. An XDP
// program may read xdp_md->data but never write it (bpf_xdp_adjust_head
// moves the packet start instead).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int write_ctx(struct xdp_md *ctx)
{
	ctx->data += 14; /* refused: xdp_md is read-only */
	return XDP_PASS;
}

SEC("xdp")
int adjust_head(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, 14)) /* the fix: ask the helper */
		return XDP_ABORTED;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
