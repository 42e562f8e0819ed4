/* Minimal kernel types for CO-RE, written by hand instead of a 130k-line vmlinux.h.
 * Only the fields the corpus reads; preserve_access_index makes clang emit CO-RE
 * relocations so libbpf (and bpfsim) fix offsets up against the running kernel's BTF. */
#ifndef CORPUS_CORE_TYPES_H
#define CORPUS_CORE_TYPES_H

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

typedef struct {
	unsigned int val;
} kuid_t;

typedef struct {
	unsigned int val;
} kgid_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
};

struct mm_struct {
	unsigned long start_code;
	unsigned long end_code;
	unsigned long arg_start;
	unsigned long arg_end;
};

struct task_struct {
	int pid;
	int tgid;
	unsigned int flags;
	int prio;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	const struct cred *cred;
	struct mm_struct *mm;
	char comm[16];
	unsigned long long start_time;
	int exit_code;
	/* bitfields: CO-RE reads them with byte size + shifts (BPF_CORE_READ_BITFIELD) */
	unsigned int sched_reset_on_fork:1;
	unsigned int sched_contributes_to_load:1;
	unsigned int in_execve:1;
	unsigned int in_iowait:1;
	/* not in any kernel: existence checks must report 0 */
	int bpfsim_no_such_field;
};

struct qstr {
	union {
		struct {
			unsigned int hash;
			unsigned int len;
		};
		unsigned long long hash_len;
	};
	const unsigned char *name;
};

struct dentry {
	struct qstr d_name;
	struct dentry *d_parent;
};

struct path {
	void *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	unsigned int f_flags;
};

struct filename {
	const char *name;
};

#pragma clang attribute pop

enum pid_type {
	PIDTYPE_PID,
	PIDTYPE_TGID,
	PIDTYPE_PGID,
	PIDTYPE_SID,
	PIDTYPE_MAX,
};

/* a type no kernel has: bpf_core_type_exists() must say 0 */
struct bpfsim_not_in_kernel {
	int x;
};

#endif
