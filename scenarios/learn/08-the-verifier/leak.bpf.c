// Rejection 6: a reference taken and never given back. A ring buffer
// reservation must be submitted or discarded on every path.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int leaky(struct xdp_md *ctx)
{
	__u32 *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return XDP_PASS;
	*e = ctx->ingress_ifindex;
	if (*e == 1)
		return XDP_PASS; /* leaves without submit or discard: refused */
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

SEC("xdp")
int released(struct xdp_md *ctx)
{
	__u32 *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return XDP_PASS;
	*e = ctx->ingress_ifindex;
	if (*e == 1) {
		bpf_ringbuf_discard(e, 0); /* the fix: give it back */
		return XDP_PASS;
	}
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
