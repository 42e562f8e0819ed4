/** clone(2) flags (include/uapi/linux/sched.h) and the struct clone_args sizes. */
export const CLONE = {
  CSIGNAL: 0x000000ff,
  NEWTIME: 0x00000080,
  VM: 0x00000100,
  FS: 0x00000200,
  FILES: 0x00000400,
  SIGHAND: 0x00000800,
  PIDFD: 0x00001000,
  PTRACE: 0x00002000,
  VFORK: 0x00004000,
  PARENT: 0x00008000,
  THREAD: 0x00010000,
  NEWNS: 0x00020000,
  SYSVSEM: 0x00040000,
  SETTLS: 0x00080000,
  PARENT_SETTID: 0x00100000,
  CHILD_CLEARTID: 0x00200000,
  DETACHED: 0x00400000,
  UNTRACED: 0x00800000,
  CHILD_SETTID: 0x01000000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  IO: 0x80000000,
  // clone3 only: above 32 bits (kept as numbers; below 2^53).
  CLEAR_SIGHAND: 0x1_0000_0000,
  INTO_CGROUP: 0x2_0000_0000,
} as const;

/** CLONE_LEGACY_FLAGS: the low 32 bits. */
export const CLONE_LEGACY_FLAGS = 0xffffffff;
export const CLONE_ARGS_SIZE_VER0 = 64;
export const CLONE_ARGS_SIZE_VER1 = 80;
export const CLONE_ARGS_SIZE_VER2 = 88;

/** Is single-bit flag `f` set in `flags` (flag words exceed 32 bits, which JS bit operators truncate)? */
export function hasFlag(flags: number, f: number): boolean {
  return f > 0xffffffff ? Math.floor(flags / f) % 2 === 1 : (flags & f) !== 0;
}
