/**
 * The kernel functions bpfsim models, as data: each with its prototype as the profile BTF's FUNC
 * gives it (Linux 6.18; kprobe-funcs.test.ts checks every one against the BTF), and the call graph
 * each modelled syscall walks through them, after the v6.18 source. Every syscall also enters
 * through its `__x64_sys_<name>` wrapper (do_syscall_64 → x64_sys_call), whose one argument is a
 * pointer to the user's saved registers; those wrappers are modelled for every implemented syscall
 * and are not listed here.
 *
 * Graph text: one function a line, callees indented two spaces under their caller, in call
 * order; `[...]` says when a call happens. A function listed under several syscalls is one function.
 */

export interface KFuncSpec {
  /** The C prototype as the profile BTF gives it (parameter names included). */
  proto: string;
  /** Source family (fs, process, signal, net). */
  family: string;
  /** ALLOW_ERROR_INJECTION in v6.18 (fmod_ret may modify it; security_ hooks may always be). */
  errorInjection?: boolean;
  /** Who calls it when no modelled syscall does: another engineer's code (the socket layer). */
  note?: string;
}

export const KFUNCS: Readonly<Record<string, KFuncSpec>> = {
  // fs/open.c, fs/namei.c
  do_sys_openat2: { family: 'fs', proto: 'int do_sys_openat2(int dfd, const char *filename, struct open_how *how)' },
  getname_flags: { family: 'fs', proto: 'struct filename *getname_flags(const char *filename, int flags)' },
  do_filp_open: { family: 'fs', proto: 'struct file *do_filp_open(int dfd, struct filename *pathname, const struct open_flags *op)' },
  path_openat: { family: 'fs', proto: 'struct file *path_openat(struct nameidata *nd, const struct open_flags *op, unsigned int flags)' },
  security_inode_create: { family: 'fs', proto: 'int security_inode_create(struct inode *dir, struct dentry *dentry, umode_t mode)' },
  vfs_open: { family: 'fs', proto: 'int vfs_open(const struct path *path, struct file *file)' },
  security_file_open: { family: 'fs', proto: 'int security_file_open(struct file *file)' },
  // fs/read_write.c
  ksys_read: { family: 'fs', proto: 'ssize_t ksys_read(unsigned int fd, char *buf, size_t count)' },
  vfs_read: { family: 'fs', proto: 'ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)' },
  ksys_write: { family: 'fs', proto: 'ssize_t ksys_write(unsigned int fd, const char *buf, size_t count)' },
  ksys_pread64: { family: 'fs', proto: 'ssize_t ksys_pread64(unsigned int fd, char *buf, size_t count, loff_t pos)' },
  ksys_pwrite64: { family: 'fs', proto: 'ssize_t ksys_pwrite64(unsigned int fd, const char *buf, size_t count, loff_t pos)' },
  vfs_write: { family: 'fs', proto: 'ssize_t vfs_write(struct file *file, const char *buf, size_t count, loff_t *pos)' },
  // fs/namei.c
  do_unlinkat: { family: 'fs', proto: 'int do_unlinkat(int dfd, struct filename *name)' },
  security_inode_unlink: { family: 'fs', proto: 'int security_inode_unlink(struct inode *dir, struct dentry *dentry)' },
  vfs_unlink: { family: 'fs', proto: 'int vfs_unlink(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)' },
  do_mkdirat: { family: 'fs', proto: 'int do_mkdirat(int dfd, struct filename *name, umode_t mode)' },
  vfs_mkdir: { family: 'fs', proto: 'struct dentry *vfs_mkdir(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, umode_t mode)' },
  security_inode_mkdir: { family: 'fs', proto: 'int security_inode_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode)' },
  do_rmdir: { family: 'fs', proto: 'int do_rmdir(int dfd, struct filename *name)' },
  vfs_rmdir: { family: 'fs', proto: 'int vfs_rmdir(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry)' },
  security_inode_rmdir: { family: 'fs', proto: 'int security_inode_rmdir(struct inode *dir, struct dentry *dentry)' },
  // fs/sync.c
  do_fsync: { family: 'fs', proto: 'int do_fsync(unsigned int fd, int datasync)' },
  vfs_fsync: { family: 'fs', proto: 'int vfs_fsync(struct file *file, int datasync)' },
  vfs_fsync_range: { family: 'fs', proto: 'int vfs_fsync_range(struct file *file, loff_t start, loff_t end, int datasync)' },
  // fs/open.c, fs/file.c
  file_close_fd: { family: 'fs', proto: 'struct file *file_close_fd(unsigned int fd)' },
  filp_flush: { family: 'fs', proto: 'int filp_flush(struct file *filp, fl_owner_t id)' },
  // kernel/fork.c, kernel/sched/core.c
  kernel_clone: { family: 'process', proto: 'pid_t kernel_clone(struct kernel_clone_args *args)' },
  copy_process: { family: 'process', proto: 'struct task_struct *copy_process(struct pid *pid, int trace, int node, struct kernel_clone_args *args)' },
  wake_up_new_task: { family: 'process', proto: 'void wake_up_new_task(struct task_struct *p)' },
  // fs/exec.c
  bprm_execve: { family: 'process', proto: 'int bprm_execve(struct linux_binprm *bprm)' },
  // kernel/exit.c
  do_group_exit: { family: 'process', proto: 'void do_group_exit(int exit_code)' },
  do_exit: { family: 'process', proto: 'void do_exit(long int code)' },
  // kernel/signal.c
  kill_something_info: { family: 'signal', proto: 'int kill_something_info(int sig, struct kernel_siginfo *info, pid_t pid)' },
  group_send_sig_info: { family: 'signal', proto: 'int group_send_sig_info(int sig, struct kernel_siginfo *info, struct task_struct *p, enum pid_type type)' },
  // net/ipv4, net/ipv6: entries for the socket layer (kprobes.call from its code)
  inet_bind: { family: 'net', proto: 'int inet_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)', note: 'bind(2) of an AF_INET socket' },
  inet6_bind: { family: 'net', proto: 'int inet6_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)', note: 'bind(2) of an AF_INET6 socket' },
  inet_listen: { family: 'net', proto: 'int inet_listen(struct socket *sock, int backlog)', note: 'listen(2)' },
  tcp_v4_connect: { family: 'net', proto: 'int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)', note: 'connect(2) of a TCP socket' },
  tcp_v6_connect: { family: 'net', proto: 'int tcp_v6_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)', note: 'connect(2) of a TCPv6 socket' },
  inet_csk_accept: { family: 'net', proto: 'struct sock *inet_csk_accept(struct sock *sk, struct proto_accept_arg *arg)', note: 'accept(2)' },
  tcp_sendmsg: { family: 'net', proto: 'int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)', note: 'send(2) on TCP' },
  tcp_cleanup_rbuf: { family: 'net', proto: 'void tcp_cleanup_rbuf(struct sock *sk, int copied)', note: 'recv(2) on TCP' },
  tcp_close: { family: 'net', proto: 'void tcp_close(struct sock *sk, long int timeout)', note: 'close(2) of a TCP socket' },
  tcp_set_state: { family: 'net', proto: 'void tcp_set_state(struct sock *sk, int state)', note: 'every TCP state change' },
};

/** The call graph of each modelled syscall below its __x64_sys_ wrapper (v6.18). */
export const SYSCALL_GRAPHS: Readonly<Record<string, string>> = {
  'open openat creat': `
do_sys_openat2
  getname_flags
  do_filp_open
    path_openat
      security_inode_create   [O_CREAT and the name is new: may_o_create]
      vfs_open
        security_file_open`,
  'read': `
ksys_read
  vfs_read                    [the descriptor is open]`,
  'pread64': `
ksys_pread64
  vfs_read                    [the descriptor is open]`,
  'write': `
ksys_write
  vfs_write                   [the descriptor is open]`,
  'pwrite64': `
ksys_pwrite64
  vfs_write                   [the descriptor is open]`,
  'unlink unlinkat': `
do_unlinkat                   [unlinkat with AT_REMOVEDIR: do_rmdir]
  vfs_unlink                  [the name exists: may_delete is vfs_unlink's first step]
    security_inode_unlink`,
  'mkdir mkdirat': `
do_mkdirat
  vfs_mkdir                   [the name is new: may_create is vfs_mkdir's first step]
    security_inode_mkdir`,
  'rmdir': `
do_rmdir
  vfs_rmdir                   [the name exists]
    security_inode_rmdir`,
  'fsync fdatasync': `
do_fsync
  vfs_fsync                   [the descriptor is open]
    vfs_fsync_range`,
  'close': `
file_close_fd
filp_flush                    [the descriptor was open]`,
  'fork vfork clone clone3': `
kernel_clone
  copy_process
  wake_up_new_task`,
  'execve execveat': `
bprm_execve                   [after the file is opened and argv copied]`,
  'exit': `
do_exit`,
  'exit_group': `
do_group_exit
  do_exit                     [for each thread, as that thread]`,
  'kill': `
kill_something_info
  group_send_sig_info         [for each process signalled, after the permission check]`,
};

/** A graph line: depth, function, note. */
export interface GraphLine {
  depth: number;
  fn: string;
  note?: string;
}

/** The graph text of a syscall family as lines. */
export function parseGraph(text: string): GraphLine[] {
  const out: GraphLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const m = /^( *)([A-Za-z0-9_]+)\s*(?:\[(.*)\])?\s*$/.exec(line);
    if (!m) throw new Error(`kprobe-funcs: bad graph line '${line}'`);
    out.push({ depth: m[1].length / 2, fn: m[2], note: m[3] });
  }
  return out;
}

/** The graph lines of a syscall (empty when its family has none), below its wrapper. */
export function syscallGraph(syscall: string): GraphLine[] {
  for (const [names, text] of Object.entries(SYSCALL_GRAPHS)) if (names.split(' ').includes(syscall)) return parseGraph(text);
  return [];
}

/** The syscalls whose graphs reach `fn`, sorted. */
export function syscallsReaching(fn: string): string[] {
  const out: string[] = [];
  for (const [names, text] of Object.entries(SYSCALL_GRAPHS)) {
    if (parseGraph(text).some((l) => l.fn === fn)) out.push(...names.split(' '));
  }
  return out.sort();
}
