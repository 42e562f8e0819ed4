// Pinned maps (LIBBPF_PIN_BY_NAME), an LRU hash, a queue and a bloom filter.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 512);
	__type(key, __u64);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} conn_track SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 32);
	__uint(value_size, sizeof(__u32));
} pid_queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 1000);
	__uint(value_size, sizeof(__u32));
	__uint(map_extra, 3);
} seen_pids SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_kill")
int pinned_track(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&conn_track, &id, &now, BPF_ANY);
	if (bpf_map_peek_elem(&seen_pids, &pid) != 0) {
		bpf_map_push_elem(&seen_pids, &pid, 0);
		bpf_map_push_elem(&pid_queue, &pid, BPF_EXIST);
	}
	return 0;
}
