// SPDX-License-Identifier: GPL-2.0
// execsnoop, written for bpfsim in the style of the libbpf tools: every execve of the system,
// with its file name and arguments read from the caller's user memory at sys_enter_execve, and
// its result and the comm the task ends up with at sys_exit_execve. Records go to user space
// through a perf buffer, sized to the arguments they hold.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define TASK_COMM_LEN 16
#define ARG_LEN 128
#define MAX_ARGS 16
#define INVALID_UID ((uid_t)-1)

char LICENSE[] SEC("license") = "GPL";

/* Filters user space sets before load (skel->rodata->...). */
const volatile uid_t targ_uid = INVALID_UID;
const volatile pid_t targ_ppid = 0;
const volatile bool ignore_failed = false;
const volatile int max_args = MAX_ARGS;

struct event {
	pid_t pid;
	pid_t ppid;
	uid_t uid;
	int retval;
	int args_count;
	unsigned int args_size;
	char comm[TASK_COMM_LEN];
	char args[MAX_ARGS * ARG_LEN];
};

/* The record in progress between enter and exit, by thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, pid_t);
	__type(value, struct event);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

static const struct event zero;

SEC("tracepoint/syscalls/sys_enter_execve")
int on_execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	pid_t tid = (pid_t)id;
	uid_t uid = (uid_t)bpf_get_current_uid_gid();
	const char **argv = (const char **)ctx->args[1];
	struct task_struct *task;
	struct event *e;
	const char *arg;
	unsigned int at;
	long n;
	int i;

	if (targ_uid != INVALID_UID && uid != targ_uid)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	if (targ_ppid && BPF_CORE_READ(task, real_parent, tgid) != targ_ppid)
		return 0;
	if (bpf_map_update_elem(&execs, &tid, &zero, BPF_NOEXIST))
		return 0;
	e = bpf_map_lookup_elem(&execs, &tid);
	if (!e)
		return 0;
	e->pid = id >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = uid;

	/* The file name first, then argv[1..]: argv[0] is usually the same name again. */
	n = bpf_probe_read_user_str(e->args, ARG_LEN, (const char *)ctx->args[0]);
	if (n <= 0)
		return 0;
	e->args_count = 1;
	e->args_size = n;
	for (i = 1; i < MAX_ARGS && i < max_args; i++) {
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			return 0;
		at = e->args_size;
		if (at > (MAX_ARGS - 1) * ARG_LEN)
			return 0;
		n = bpf_probe_read_user_str(&e->args[at], ARG_LEN, arg);
		if (n <= 0)
			return 0;
		e->args_count++;
		e->args_size += n;
	}
	/* More arguments than kept: mark the record as cut short. */
	if (bpf_probe_read_user(&arg, sizeof(arg), &argv[MAX_ARGS]) == 0 && arg)
		e->args_count++;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int on_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	pid_t tid = (pid_t)bpf_get_current_pid_tgid();
	struct event *e;
	unsigned long len;

	e = bpf_map_lookup_elem(&execs, &tid);
	if (!e)
		return 0;
	if (ignore_failed && ctx->ret < 0)
		goto out;
	e->retval = ctx->ret;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	len = sizeof(*e) - sizeof(e->args) + e->args_size;
	if (len <= sizeof(*e))
		bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, len);
out:
	bpf_map_delete_elem(&execs, &tid);
	return 0;
}
