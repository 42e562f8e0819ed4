// Lesson 6: tracepoints. Two programs whose context structs are written by hand from the
// tracepoints' format files (`bpfsim tracepoints <event> --format`), the way a tool without
// vmlinux.h reads them: every field at the offset and size the format gives.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* syscalls:sys_enter_openat: the common header, __syscall_nr at 8, then each argument in an
 * 8-byte slot from offset 16 (dfd, filename, flags, mode). */
struct sys_enter_openat_ctx {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
	__s32 syscall_nr;
	__u32 pad;
	__u64 dfd;
	__u64 filename;
	__u64 flags;
	__u64 mode;
};

/* sched:sched_process_exec: filename is `__data_loc char[]`, a u32 at offset 8 whose low 16 bits
 * are where the string starts in the record and whose high 16 bits its length. */
struct sched_process_exec_ctx {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
	__u32 filename_loc;
	__s32 pid;
	__s32 old_pid;
};

struct exec_event {
	__s32 pid;
	__s32 old_pid;
	__u32 filename_len;
	char filename[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} execs SEC(".maps");

/* Keeps struct exec_event in the BTF, so the records can be decoded by name. */
struct exec_event *unused_exec_event __attribute__((unused));

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct sys_enter_openat_ctx *ctx)
{
	char path[64];

	/* filename is a user-space pointer: it has to be copied out of the process's memory. */
	if (bpf_probe_read_user_str(path, sizeof(path), (const void *)ctx->filename) < 0)
		return 0;
	bpf_printk("openat %s flags=0x%x", path, (__u32)ctx->flags);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int on_exec(struct sched_process_exec_ctx *ctx)
{
	struct exec_event *e;
	__u32 off = ctx->filename_loc & 0xffff;

	e = bpf_ringbuf_reserve(&execs, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = ctx->pid;
	e->old_pid = ctx->old_pid;
	e->filename_len = ctx->filename_loc >> 16;
	/* The string lives inside the record itself, after the fixed fields. */
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
