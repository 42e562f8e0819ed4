// fentry/fexit on do_unlinkat: BTF-typed arguments, no probe_read needed.
#include <linux/bpf.h>
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/do_unlinkat")
int BPF_PROG(unlink_entry, int dfd, struct filename *name)
{
	bpf_printk("unlinkat %s", name->name);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(unlink_exit, int dfd, struct filename *name, long ret)
{
	bpf_printk("unlinkat %s -> %ld", name->name, ret);
	return 0;
}
