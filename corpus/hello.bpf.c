// Hello world: print a line to trace_pipe whenever a process calls execve.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("kprobe/__x64_sys_execve")
int hello_execve(struct pt_regs *ctx)
{
	bpf_printk("Hello, execve from pid %d", bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("kretprobe/__x64_sys_execve")
int BPF_KRETPROBE(hello_execve_ret, long ret)
{
	bpf_printk("execve returned %ld", ret);
	return 0;
}

SEC("ksyscall/execve")
int BPF_KSYSCALL(hello_ksyscall, const char *filename)
{
	char buf[32];

	bpf_probe_read_user_str(buf, sizeof(buf), filename);
	bpf_printk("ksyscall execve %s", buf);
	return 0;
}
