// SPDX-License-Identifier: GPL-2.0
// exitsnoop, written for bpfsim in the style of the libbpf tools: at sched_process_exit, which
// process ended, how (exit code or the signal that killed it, from task->exit_code) and how long
// it lived (now - task->start_time), read through CO-RE. Records go through a ring buffer.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define TASK_COMM_LEN 16

char LICENSE[] SEC("license") = "GPL";

const volatile pid_t targ_pid = 0;
const volatile bool trace_failed_only = false;
/* Only whole processes (the last thread to exit is the leader's exit here): tid == pid. */
const volatile bool trace_by_process = true;

struct event {
	u64 start_time;
	u64 exit_time;
	pid_t pid;
	pid_t tid;
	pid_t ppid;
	int sig;
	int exit_code;
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* How many exits each outcome had: 0 for clean exits, else the exit code or 128 + signal. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, int);
	__type(value, u64);
} outcomes SEC(".maps");

const struct event *unused_event __attribute__((unused));

SEC("tracepoint/sched/sched_process_exit")
int on_exit(struct trace_event_raw_sched_process_template *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	pid_t pid = id >> 32, tid = (u32)id;
	struct task_struct *task;
	struct event *e;
	int code, outcome;
	u64 one = 1, *n;

	if (targ_pid && targ_pid != pid)
		return 0;
	if (trace_by_process && pid != tid)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	code = BPF_CORE_READ(task, exit_code);
	if (trace_failed_only && code == 0)
		return 0;
	outcome = code & 0x7f ? 128 + (code & 0x7f) : (code >> 8) & 0xff;
	n = bpf_map_lookup_elem(&outcomes, &outcome);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&outcomes, &outcome, &one, BPF_NOEXIST);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->start_time = BPF_CORE_READ(task, start_time);
	e->exit_time = bpf_ktime_get_ns();
	e->pid = pid;
	e->tid = tid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->sig = code & 0xff;
	e->exit_code = code >> 8;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
