// An execsnoop for a shell pipeline: at syscalls:sys_enter_execve the file
// name and the first arguments are read from the caller's user memory (where
// execve's arguments live), at sys_exit_execve the result and the comm after
// the exec are added and the record goes to a ring buffer, one struct
// exec_event per execve, in the order the calls return.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define ARGSIZE 32
#define MAXARGS 3

char LICENSE[] SEC("license") = "GPL";

/* The tracepoint records, as their tracefs format files lay them out: the
 * 8-byte common header, the syscall number, then the arguments (or the
 * return value) widened to 8 bytes. */
struct sys_enter_execve {
	__u64 common;
	__s32 __syscall_nr;
	__u32 pad;
	const char *filename;
	const char *const *argv;
	const char *const *envp;
};

struct sys_exit_execve {
	__u64 common;
	__s32 __syscall_nr;
	__u32 pad;
	long ret;
};

struct exec_event {
	__u32 pid;
	__u32 uid;
	__s32 retval;
	__u32 argc; /* arguments read (at most MAXARGS) */
	char comm[16];
	char filename[ARGSIZE];
	char argv[MAXARGS][ARGSIZE];
};

/* Used only through a pointer: this global keeps the type in the object's BTF. */
struct exec_event *unused_exec_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct exec_event);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

static const struct exec_event empty;

SEC("tracepoint/syscalls/sys_enter_execve")
int enter_execve(struct sys_enter_execve *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct exec_event *e;
	const char *arg;
	int i;

	if (bpf_map_update_elem(&execs, &pid, &empty, BPF_ANY))
		return 0;
	e = bpf_map_lookup_elem(&execs, &pid);
	if (!e)
		return 0;
	e->pid = pid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_probe_read_user_str(e->filename, sizeof(e->filename), ctx->filename);
	for (i = 0; i < MAXARGS; i++) {
		if (bpf_probe_read_user(&arg, sizeof(arg), &ctx->argv[i]) || !arg)
			break;
		if (bpf_probe_read_user_str(e->argv[i], ARGSIZE, arg) <= 0)
			break;
		e->argc++;
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct sys_exit_execve *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct exec_event *e = bpf_map_lookup_elem(&execs, &pid);

	if (!e)
		return 0;
	e->retval = ctx->ret;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_output(&events, e, sizeof(*e), 0);
	bpf_map_delete_elem(&execs, &pid);
	return 0;
}
