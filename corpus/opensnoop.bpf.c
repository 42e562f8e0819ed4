// opensnoop: remember the file name on openat entry, emit it with the result on exit.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tp_types.h"

char LICENSE[] SEC("license") = "GPL";

struct args_t {
	const char *fname;
	int flags;
};

struct open_event {
	__u32 pid;
	__u32 uid;
	int ret;
	int flags;
	char comm[16];
	char fname[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct args_t);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} open_events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int openat_enter(struct syscall_enter_ctx *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct args_t args = {};

	args.fname = (const char *)ctx->args[1];
	args.flags = (int)ctx->args[2];
	bpf_map_update_elem(&start, &tid, &args, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int openat_exit(struct syscall_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct open_event ev = {};
	struct args_t *ap;

	ap = bpf_map_lookup_elem(&start, &tid);
	if (!ap)
		return 0;
	ev.pid = id >> 32;
	ev.uid = (__u32)bpf_get_current_uid_gid();
	ev.ret = (int)ctx->ret;
	ev.flags = ap->flags;
	bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
	bpf_probe_read_user_str(&ev.fname, sizeof(ev.fname), ap->fname);
	bpf_perf_event_output(ctx, &open_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	bpf_map_delete_elem(&start, &tid);
	return 0;
}
