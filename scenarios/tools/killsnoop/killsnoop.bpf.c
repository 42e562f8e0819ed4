// SPDX-License-Identifier: GPL-2.0
// killsnoop, written for bpfsim in the style of the libbpf tools: kill(), tkill() and tgkill()
// calls, who sent which signal to whom at entry and the result at exit. Filters by sender and
// failure; records go to user space through a perf buffer.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define TASK_COMM_LEN 16

char LICENSE[] SEC("license") = "GPL";

const volatile pid_t filter_pid = 0;
const volatile int target_signal = 0;
const volatile bool failed_only = false;

struct event {
	pid_t pid;
	pid_t tpid;
	int sig;
	int ret;
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct event);
} values SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

static __always_inline int enter(pid_t tpid, int sig)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 pid = id >> 32, tid = (u32)id;
	struct event e = {};

	if (filter_pid && pid != filter_pid)
		return 0;
	if (target_signal && sig != target_signal)
		return 0;
	e.pid = pid;
	e.tpid = tpid;
	e.sig = sig;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_map_update_elem(&values, &tid, &e, BPF_ANY);
	return 0;
}

static __always_inline int leave(void *ctx, long ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct event *e;

	e = bpf_map_lookup_elem(&values, &tid);
	if (!e)
		return 0;
	if (failed_only && ret >= 0)
		goto out;
	e->ret = ret;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, sizeof(*e));
out:
	bpf_map_delete_elem(&values, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_kill")
int on_kill_enter(struct trace_event_raw_sys_enter *ctx)
{
	return enter((pid_t)ctx->args[0], (int)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_kill")
int on_kill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_tkill")
int on_tkill_enter(struct trace_event_raw_sys_enter *ctx)
{
	return enter((pid_t)ctx->args[0], (int)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_tkill")
int on_tkill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_tgkill")
int on_tgkill_enter(struct trace_event_raw_sys_enter *ctx)
{
	return enter((pid_t)ctx->args[1], (int)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_tgkill")
int on_tgkill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx, ctx->ret);
}
