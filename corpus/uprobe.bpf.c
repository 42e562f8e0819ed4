// uprobe/uretprobe on bash's readline: log every command line typed.
// (BPF_KPROBE/BPF_KRETPROBE: libbpf 1.1 has no BPF_UPROBE alias yet; the argument ABI is the same.)
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

SEC("uprobe//bin/bash:readline")
int BPF_KPROBE(readline_entry, const char *prompt)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *n = bpf_map_lookup_elem(&calls, &pid);

	if (n)
		*n += 1;
	else
		bpf_map_update_elem(&calls, &pid, &one, BPF_ANY);
	return 0;
}

SEC("uretprobe//bin/bash:readline")
int BPF_KRETPROBE(readline_return, const char *line)
{
	char buf[64];

	if (!line)
		return 0;
	bpf_probe_read_user_str(buf, sizeof(buf), line);
	bpf_printk("readline: %s", buf);
	return 0;
}
