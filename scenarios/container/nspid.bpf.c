// Who is calling, seen from the host and from the caller's own pid namespace.
// On syscalls:sys_enter_getpid a record gets the host's pid (from
// bpf_get_current_pid_tgid) and, through bpf_get_ns_current_pid_tgid, the pid
// inside the pid namespace that user space named in `target` (the dev and
// inode `stat /proc/PID/ns/pid` shows). A task of another pid namespace gets
// the helper's error instead, and ns_pid 0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct target_ns {
	__u64 dev;
	__u64 ino;
};

struct ns_event {
	__u32 host_pid;
	__u32 host_tid;
	__u32 ns_pid;
	__u32 ns_tid;
	__s32 err; /* what bpf_get_ns_current_pid_tgid returned */
	__u32 uid;
	char comm[16];
};

struct ns_event *unused_ns_event __attribute__((unused));

/* Slot 0: the pid namespace to translate into, written by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct target_ns);
} target SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
	struct bpf_pidns_info ns = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct target_ns *t = bpf_map_lookup_elem(&target, &zero);
	struct ns_event *e;

	if (!t || !t->ino)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->host_pid = id >> 32;
	e->host_tid = (__u32)id;
	e->err = bpf_get_ns_current_pid_tgid(t->dev, t->ino, &ns, sizeof(ns));
	e->ns_pid = ns.tgid;
	e->ns_tid = ns.pid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
