// LSM hook: refuse bpf(BPF_MAP_CREATE) for hash maps larger than a limit (a policy example).
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

const volatile unsigned int max_hash_entries = 1 << 20;

SEC("lsm/bpf")
int BPF_PROG(lsm_bpf_limit, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	if (ret)
		return ret;
	if (cmd == BPF_MAP_CREATE && attr->map_type == BPF_MAP_TYPE_HASH && attr->max_entries > max_hash_entries)
		return -EPERM;
	return 0;
}
