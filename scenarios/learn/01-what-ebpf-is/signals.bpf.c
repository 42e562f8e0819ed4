// Lesson 1: one small eBPF program. It runs on the syscalls:sys_enter_kill
// tracepoint, counts each signal number in a hash map that user space can
// read, and ignores the signal user space names in a one-slot array map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The tracepoint's record, as its tracefs format file lays it out. */
struct sys_enter_kill {
	unsigned long long common; /* header: not readable by the program */
	int __syscall_nr;
	long pid;
	long sig;
};

/* signal number -> how many kill() calls sent it */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} by_signal SEC(".maps");

/* slot 0: a signal user space does not want counted (0: count all) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ignore SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_kill")
int count_signals(struct sys_enter_kill *ctx)
{
	__u32 zero = 0, sig = ctx->sig;
	__u32 *skip = bpf_map_lookup_elem(&ignore, &zero);

	/* the verifier insists on this check: a lookup may find nothing */
	if (skip && *skip == sig)
		return 0;
	__u64 one = 1, *n = bpf_map_lookup_elem(&by_signal, &sig);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&by_signal, &sig, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
