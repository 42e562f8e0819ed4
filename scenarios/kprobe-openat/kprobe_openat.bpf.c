// A kprobe on do_sys_openat2: counts opens per flags value and reports
// each open through trace_pipe. The scenario drives it with pt_regs
// contexts, as the kernel would fill them on entry to the function.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);   /* dfd */
	__type(value, __u64); /* opens */
} opens_by_dfd SEC(".maps");

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(trace_openat2, int dfd, const char *filename)
{
	__u32 key = dfd;
	__u64 one = 1, *n = bpf_map_lookup_elem(&opens_by_dfd, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&opens_by_dfd, &key, &one, BPF_NOEXIST);
	bpf_printk("openat2 dfd=%d pid=%d", dfd, bpf_get_current_pid_tgid() >> 32);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
