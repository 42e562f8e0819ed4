// Fatal-signal monitor: a tracepoint on kill(2) that reports SIGKILL and
// SIGTERM to user space through a BPF ring buffer, one struct kill_event per
// report. A kill aimed at a process group (pid <= 0) is reserved and then
// discarded, so it never reaches the reader. Other signals are ignored.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SIGKILL 9
#define SIGTERM 15

/* The record the kernel passes to a syscalls:sys_enter_kill program, as its
 * tracefs format file lays it out: the common header, the syscall number,
 * then each syscall argument widened to 8 bytes. The kernel does not let a
 * tracepoint program read the first 8 bytes (the common header): use
 * bpf_get_current_pid_tgid() for the caller's pid instead. */
struct sys_enter_kill {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	int __syscall_nr;
	long pid;  /* offset 16 */
	long sig;  /* offset 24 */
};

/* What user space reads from the ring buffer: 16 bytes, little-endian. */
struct kill_event {
	__s32 target;  /* pid argument */
	__u32 sig;
	__u32 nr;      /* syscall number (62 is kill on x86-64) */
	__u32 cpu;     /* CPU the call was made on */
};

/*
 * A type used only through a pointer from bpf_ringbuf_reserve() is not in the
 * object's BTF. This unused global puts it there, so tools (bpftool, and the
 * scenario's `type: struct kill_event`) can decode the records by field.
 */
struct kill_event *unused_kill_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* bytes: a power of two and a multiple of the page size */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3); /* 0: submitted, 1: discarded, 2: lost (ring full) */
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
}

SEC("tracepoint/syscalls/sys_enter_kill")
int on_kill(struct sys_enter_kill *ctx)
{
	long sig = ctx->sig;
	if (sig != SIGKILL && sig != SIGTERM)
		return 0;

	/* reserve space in the ring first, fill it in place, then decide */
	struct kill_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(2); /* nobody has read the ring and it is full */
		return 0;
	}
	e->target = ctx->pid;
	e->sig = sig;
	e->nr = ctx->__syscall_nr;
	e->cpu = bpf_get_smp_processor_id();
	if (e->target <= 0) {
		/* a process group: not reported, give the space back */
		bpf_ringbuf_discard(e, 0);
		count(1);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	count(0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
