// Rejection 3: reading a register nothing has written. C compilers do not
// emit this on their own; the inline assembly stands for the hand-written
// or miscompiled code where it happens.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int uninit(struct xdp_md *ctx)
{
	long v;

	/* r9 is never written before this: at entry only r1 (ctx) and r10
	 * (frame pointer) hold values */
	asm volatile("%[v] = r9" : [v] "=r"(v));
	return v ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int init(struct xdp_md *ctx)
{
	long v;

	asm volatile("r9 = 0; %[v] = r9" : [v] "=r"(v) : : "r9"); /* the fix: write it first */
	return v ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
