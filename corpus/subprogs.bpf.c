// bpf-to-bpf calls: static and global sub-programs in .text, shared by two programs,
// and a bpf_loop callback passed by address (BPF_PSEUDO_FUNC).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} acc SEC(".maps");

static __noinline __u64 square(__u64 x)
{
	return x * x;
}

static __noinline __u64 sum_squares(__u64 n)
{
	__u64 s = 0;

	for (__u64 i = 1; i <= n && i < 16; i++)
		s += square(i);
	return s;
}

__noinline int add_to_acc(__u64 v)
{
	__u32 zero = 0;
	__u64 *a = bpf_map_lookup_elem(&acc, &zero);

	if (!a)
		return 0;
	*a += v;
	return 1;
}

struct loop_ctx {
	__u64 total;
};

static int loop_body(__u32 index, void *data)
{
	struct loop_ctx *lc = data;

	lc->total += index;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int sub_calls(void *ctx)
{
	add_to_acc(sum_squares(bpf_get_prandom_u32() & 7));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getuid")
int sub_loop(void *ctx)
{
	struct loop_ctx lc = { .total = 0 };

	bpf_loop(10, loop_body, &lc, 0);
	add_to_acc(lc.total + square(3));
	return 0;
}
