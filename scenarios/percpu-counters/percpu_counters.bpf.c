// Per-CPU counters: each CPU has its own copy of every value of a
// PERCPU_ARRAY, so programs on different CPUs count without atomics and
// user space sees one value per CPU (and adds them up itself).
//   xdp_count       counts packets and bytes per CPU;
//   count_syscalls  the raw_syscalls:sys_enter tracepoint: counts syscalls per
//                   CPU and remembers, per CPU, the last syscall number seen.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* 0: packets, 1: bytes */
	__type(key, __u32);
	__type(value, __u64);
} pkt_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* 0: syscalls seen, 1: last syscall number */
	__type(key, __u32);
	__type(value, __u64);
} syscalls SEC(".maps");

static __always_inline void add(void *map, __u32 key, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(map, &key);
	if (v)
		*v += n; /* this CPU's copy: no other CPU writes it, no atomic needed */
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	add(&pkt_stats, 0, 1);
	add(&pkt_stats, 1, ctx->data_end - ctx->data);
	return XDP_PASS;
}

/* The raw_syscalls:sys_enter record as its tracefs format file lays it out:
 * the 8-byte common header (not readable by BPF), the syscall number, the
 * six argument registers. */
struct sys_enter {
	__u64 common;
	long id;
	unsigned long args[6];
};

SEC("tracepoint/raw_syscalls/sys_enter")
int count_syscalls(struct sys_enter *ctx)
{
	__u32 key = 1;
	__u64 *last = bpf_map_lookup_elem(&syscalls, &key);
	if (last)
		*last = ctx->id;
	add(&syscalls, 0, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
