// CO-RE: read task_struct fields with BPF_CORE_READ, and ask about fields, types and enums.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include "core_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct task_info {
	int pid;
	int tgid;
	int ppid;
	unsigned int uid;
	unsigned long long start_time;
	char comm[16];
	char parent_comm[16];
	unsigned int has_missing_field;
	unsigned int has_flags;
	unsigned int pid_size;
	unsigned int pid_signed;
	unsigned int missing_type;
	unsigned int task_size;
	unsigned int tgid_enum_exists;
	unsigned long long tgid_enum;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct task_info);
} last_task SEC(".maps");

SEC("kprobe/wake_up_new_task")
int BPF_KPROBE(core_new_task, struct task_struct *task)
{
	__u32 zero = 0;
	struct task_info *info = bpf_map_lookup_elem(&last_task, &zero);

	if (!info)
		return 0;
	info->pid = BPF_CORE_READ(task, pid);
	info->tgid = BPF_CORE_READ(task, tgid);
	info->ppid = BPF_CORE_READ(task, real_parent, tgid);
	info->uid = BPF_CORE_READ(task, cred, uid.val);
	info->start_time = BPF_CORE_READ(task, start_time);
	BPF_CORE_READ_STR_INTO(&info->comm, task, comm);
	BPF_CORE_READ_STR_INTO(&info->parent_comm, task, real_parent, comm);
	info->has_missing_field = bpf_core_field_exists(task->bpfsim_no_such_field);
	info->has_flags = bpf_core_field_exists(task->flags);
	info->pid_size = bpf_core_field_size(task->pid);
	info->pid_signed = __builtin_preserve_field_info(task->pid, BPF_FIELD_SIGNED) /* bpf_core_field_signed() in libbpf >= 1.2 */;
	info->missing_type = bpf_core_type_exists(struct bpfsim_not_in_kernel);
	info->task_size = bpf_core_type_size(struct task_struct);
	info->tgid_enum_exists = bpf_core_enum_value_exists(enum pid_type, PIDTYPE_TGID);
	info->tgid_enum = bpf_core_enum_value(enum pid_type, PIDTYPE_TGID);
	return 0;
}

SEC("kprobe/do_filp_open")
int BPF_KPROBE(core_filp_open, int dfd, struct filename *name)
{
	char buf[64];
	const char *p = BPF_CORE_READ(name, name);

	bpf_probe_read_kernel_str(buf, sizeof(buf), p);
	bpf_printk("open %s", buf);
	return 0;
}

SEC("kprobe/security_file_open")
int BPF_KPROBE(core_file_open, struct file *file)
{
	unsigned char name[32];
	unsigned int len = BPF_CORE_READ(file, f_path.dentry, d_name.len);

	BPF_CORE_READ_STR_INTO(&name, file, f_path.dentry, d_name.name);
	bpf_printk("file_open %s (%u)", name, len);
	return 0;
}

struct bits_info {
	unsigned long long reset_on_fork;
	unsigned long long in_execve;
	unsigned long long in_iowait;
	unsigned int local_task_id;
	unsigned int kernel_task_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bits_info);
} last_bits SEC(".maps");

SEC("kprobe/do_exit")
int BPF_KPROBE(core_bitfields)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0;
	struct bits_info *b = bpf_map_lookup_elem(&last_bits, &zero);

	if (!b)
		return 0;
	b->reset_on_fork = BPF_CORE_READ_BITFIELD_PROBED(task, sched_reset_on_fork);
	b->in_execve = BPF_CORE_READ_BITFIELD_PROBED(task, in_execve);
	b->in_iowait = BPF_CORE_READ_BITFIELD_PROBED(task, in_iowait);
	b->local_task_id = bpf_core_type_id_local(struct task_struct);
	b->kernel_task_id = bpf_core_type_id_kernel(struct task_struct);
	return 0;
}
