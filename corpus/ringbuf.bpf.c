// Ring buffer events: reserve/submit on fork, and bpf_ringbuf_output on exit.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tp_types.h"

char LICENSE[] SEC("license") = "GPL";

struct fork_event {
	__u32 parent;
	__u32 child;
	__u64 ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

SEC("tp/sched/sched_process_fork")
int rb_fork(struct sched_process_fork_ctx *ctx)
{
	struct fork_event *e;

	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->parent = ctx->parent_pid;
	e->child = ctx->child_pid;
	e->ts = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int rb_exit(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct fork_event e = { .parent = 0, .child = pid_tgid >> 32, .ts = bpf_ktime_get_ns() };

	bpf_ringbuf_output(&rb, &e, sizeof(e), BPF_RB_FORCE_WAKEUP);
	return 0;
}
