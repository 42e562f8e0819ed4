// SPDX-License-Identifier: GPL-2.0
// opensnoop, written for bpfsim in the style of the libbpf tools: open() and openat() calls,
// the path read from user memory at entry, the result (an fd or -errno) at exit. Filters by
// process, thread, user and failure; records go to user space through a ring buffer.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define TASK_COMM_LEN 16
#define NAME_LEN 256
#define INVALID_UID ((uid_t)-1)

char LICENSE[] SEC("license") = "GPL";

const volatile pid_t targ_pid = 0;
const volatile pid_t targ_tid = 0;
const volatile uid_t targ_uid = INVALID_UID;
const volatile bool targ_failed = false;

struct args_t {
	const char *fname;
	int flags;
	int mode;
};

struct event {
	u64 ts;
	pid_t pid;
	pid_t tid;
	uid_t uid;
	int ret;
	int flags;
	int mode;
	char comm[TASK_COMM_LEN];
	char fname[NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct args_t);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Names the record type in the object's BTF, for whoever decodes the ring buffer. */
const struct event *unused_event __attribute__((unused));

static __always_inline bool wanted(u64 id)
{
	u32 tgid = id >> 32, tid = (u32)id;
	uid_t uid;

	if (targ_pid && targ_pid != tgid)
		return false;
	if (targ_tid && targ_tid != tid)
		return false;
	if (targ_uid != INVALID_UID) {
		uid = (uid_t)bpf_get_current_uid_gid();
		if (uid != targ_uid)
			return false;
	}
	return true;
}

static __always_inline int enter(const char *fname, int flags, int mode)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	struct args_t a = {};

	if (!wanted(id))
		return 0;
	a.fname = fname;
	a.flags = flags;
	a.mode = mode;
	bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	return 0;
}

static __always_inline int leave(long ret)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	struct args_t *a;
	struct event *e;

	a = bpf_map_lookup_elem(&start, &tid);
	if (!a)
		return 0;
	if (targ_failed && ret >= 0)
		goto out;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		goto out;
	e->ts = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = tid;
	e->uid = (uid_t)bpf_get_current_uid_gid();
	e->ret = ret;
	e->flags = a->flags;
	e->mode = a->mode;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->fname, sizeof(e->fname), a->fname);
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int on_open_enter(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[0], (int)ctx->args[1], (int)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[1], (int)ctx->args[2], (int)ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_exit_open")
int on_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int on_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return leave(ctx->ret);
}
