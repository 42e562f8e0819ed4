/* Tracepoint context layouts, from /sys/kernel/tracing/events/<cat>/<name>/format. */
#ifndef CORPUS_TP_TYPES_H
#define CORPUS_TP_TYPES_H

/* syscalls:sys_enter_* */
struct syscall_enter_ctx {
	unsigned long long common;	/* common_type, flags, preempt_count, pid */
	long id;
	unsigned long args[6];
};

/* syscalls:sys_exit_* */
struct syscall_exit_ctx {
	unsigned long long common;
	long id;
	long ret;
};

/* sched:sched_process_exec */
struct sched_process_exec_ctx {
	unsigned long long common;
	unsigned int filename_loc;	/* __data_loc char[] */
	int pid;
	int old_pid;
};

/* sched:sched_process_fork (kernel >= 6.x layout: comm as __data_loc) */
struct sched_process_fork_ctx {
	unsigned long long common;
	unsigned int parent_comm_loc;
	int parent_pid;
	unsigned int child_comm_loc;
	int child_pid;
};

#endif
