// Hello, kprobes: the smallest tracer of process starts. One program on the execve syscall's
// kernel entry (ksyscall/execve: a kprobe on __x64_sys_execve reading the caller's registers),
// one on its return (kretsyscall), each printing a line to trace_pipe with bpf_printk.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("ksyscall/execve")
int BPF_KSYSCALL(hello_execve, const char *filename, const char *const *argv)
{
	char path[64];

	bpf_probe_read_user_str(path, sizeof(path), filename);
	bpf_printk("hello from execve: pid %d runs %s", bpf_get_current_pid_tgid() >> 32, path);
	return 0;
}

SEC("kretsyscall/execve")
int BPF_KRETPROBE(hello_execve_ret, long ret)
{
	char comm[16];

	bpf_get_current_comm(comm, sizeof(comm));
	bpf_printk("execve returned %ld, comm is now %s", ret, comm);
	return 0;
}
