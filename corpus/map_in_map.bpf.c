// Map-in-map: an array of per-tenant hash maps and a hash of arrays, with static inner maps.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct inner_hash {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner_hash tenant0 SEC(".maps");
struct inner_hash tenant1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_hash);
} tenants SEC(".maps") = {
	.values = { &tenant0, &tenant1 },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 16);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(max_entries, 8);
		__type(key, __u32);
		__type(value, __u32);
	});
} by_cpu SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int mim_count(void *ctx)
{
	__u32 tenant = bpf_get_current_pid_tgid() & 1;
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 one = 1, *n;
	void *inner;
	__u32 *slot, zero = 0;

	inner = bpf_map_lookup_elem(&tenants, &tenant);
	if (inner) {
		n = bpf_map_lookup_elem(inner, &uid);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(inner, &uid, &one, BPF_ANY);
	}
	inner = bpf_map_lookup_elem(&by_cpu, &cpu);
	if (inner) {
		slot = bpf_map_lookup_elem(inner, &zero);
		if (slot)
			*slot += 1;
	}
	return 0;
}
