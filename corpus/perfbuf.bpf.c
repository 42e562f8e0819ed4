// Send an event per exec to user space through a perf event array.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tp_types.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct exec_event {
	__u32 pid;
	__u32 ppid_unused;
	__u64 ts;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

SEC("tp/sched/sched_process_exec")
int perf_exec(struct sched_process_exec_ctx *ctx)
{
	struct exec_event e = {};

	e.pid = ctx->pid;
	e.ts = bpf_ktime_get_ns();
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}
