/**
 * A minimal task model: what the "current" helpers read. The process/syscall
 * layer will create and switch these; until then the kernel has one current
 * task (the process that called bpf()), which tests may replace.
 */
export interface PidNsRecord {
  /** st_dev / st_ino of /proc/self/ns/pid, what bpf_get_ns_current_pid_tgid compares against. */
  dev: bigint;
  ino: bigint;
  /** pid and tgid as this namespace numbers them. */
  pid: number;
  tgid: number;
}

export interface Task {
  /** Kernel pid (thread id) and tgid (process id), in the initial pid namespace. */
  pid: number;
  tgid: number;
  uid: number;
  gid: number;
  /** TASK_COMM_LEN is 16 including the NUL: longer names are cut at 15 bytes. */
  comm: string;
  /** cgroup v2 id of the task's cgroup, and the ids of its ancestors from the root (level 0) down to it. */
  cgroupId: bigint;
  cgroupAncestors: bigint[];
  /** Pid namespaces the task is visible in, innermost last (the initial namespace first). */
  pidNs: PidNsRecord[];
  /** Simulated address of its task_struct (bpf_get_current_task). */
  taskAddr: bigint;
  /** Simulated kernel and user call stacks, innermost first (bpf_get_stack/get_stackid). */
  kernelStack: bigint[];
  userStack: bigint[];
}

/** The initial pid namespace's /proc/self/ns/pid identity on a typical machine (PROC_PID_INIT_INO). */
export const INIT_PID_NS = { dev: 4n, ino: 0xeffffffcn } as const;

/** The default current task: a root shell process that loads and test-runs programs. */
export function defaultTask(): Task {
  return {
    pid: 1000,
    tgid: 1000,
    uid: 0,
    gid: 0,
    comm: 'bpfsim',
    cgroupId: 1n,
    cgroupAncestors: [1n],
    pidNs: [{ ...INIT_PID_NS, pid: 1000, tgid: 1000 }],
    taskAddr: 0xffff_8880_0100_0000n,
    kernelStack: [0xffff_ffff_8100_1000n, 0xffff_ffff_8100_2000n, 0xffff_ffff_8100_3000n],
    userStack: [0x0000_5555_5555_1000n, 0x0000_5555_5555_2000n],
  };
}

/** comm as the kernel stores it: at most 15 bytes then NUL, in a 16-byte array. */
export function commBytes(comm: string): Uint8Array {
  const out = new Uint8Array(16);
  const enc = new TextEncoder().encode(comm);
  out.set(enc.subarray(0, 15));
  return out;
}
