/**
 * Process lifecycle syscalls (kernel/fork.c, kernel/exit.c, kernel/sys.c):
 * fork/vfork/clone/clone3, exit/exit_group, wait4/waitid, the pid getters and
 * process groups and sessions.
 */
import { Errno } from '@bpfsim/uapi';
import { CLONE, CLONE_ARGS_SIZE_VER0, CLONE_ARGS_SIZE_VER2, CLONE_LEGACY_FLAGS, hasFlag } from '../kernel/clone_flags';
import { copyProcess, type CloneArgs } from '../kernel/fork';
import { copyProcessTraced, kernelCloneTraced, wakeUpNewTask } from '../trace/kprobe-process';
import { doExit, doGroupExit } from '../kernel/exit';
import { doWait, W, type WaitResult, type WaitSelector } from '../kernel/wait';
import { CLD, SIG, exitStatus, validSignal } from '../kernel/signal';
import { BLOCK, type TaskStruct } from '../kernel/task_struct';
import { MAX_PID_NS_LEVEL } from '../ns/pid_namespace';
import { fromUser, i32, le32, toUser, type SysCtx, type SysHandler, type SysRet } from './context';

const PAGE_SIZE = 4096;

function kernelClone(c: SysCtx, args: CloneArgs): SysRet {
  return kernelCloneTraced(c, args, () => kernelCloneModel(c, args), (r) => BigInt(r === BLOCK ? (c.child?.pidIn(c.t.pidNamespace) ?? 0) : r));
}

function kernelCloneModel(c: SysCtx, args: CloneArgs): SysRet {
  const f = args.flags;
  // CLONE_PIDFD returns the pidfd through parent_tid in legacy clone: the two cannot share it.
  if (hasFlag(f, CLONE.PIDFD) && hasFlag(f, CLONE.PARENT_SETTID) && args.pidfd === args.parentTid) return -Errno.EINVAL;
  const child = copyProcessTraced(c.w, () => copyProcess(c.w, c.t, args));
  if (typeof child === 'number') return child;
  c.child = child;
  wakeUpNewTask(c.w, child);
  const nr = child.pidIn(c.t.pidNamespace);
  if (hasFlag(f, CLONE.VFORK)) {
    // The parent sleeps until the child execs or exits (World.releaseVfork completes the call).
    c.t.state = 'sleeping';
    c.t.blocked = { name: 'vfork', retry: () => (child.vforkParent === c.t ? BLOCK : nr) };
    return BLOCK;
  }
  return nr;
}

/** struct clone_args from user memory, checked as copy_clone_args_from_user and clone3_args_valid do. */
function readCloneArgs(c: SysCtx, addr: number, size: number): CloneArgs | number {
  if (size > PAGE_SIZE) return -Errno.E2BIG;
  if (size < CLONE_ARGS_SIZE_VER0) return -Errno.EINVAL;
  const raw = fromUser(c, addr, size);
  if (typeof raw === 'number') return raw;
  // Bytes past the struct this kernel knows must be zero.
  for (let i = CLONE_ARGS_SIZE_VER2; i < size; i++) if (raw[i] !== 0) return -Errno.E2BIG;
  const buf = new Uint8Array(CLONE_ARGS_SIZE_VER2);
  buf.set(raw.subarray(0, Math.min(size, CLONE_ARGS_SIZE_VER2)));
  const dv = new DataView(buf.buffer);
  const q = (o: number): bigint => dv.getBigUint64(o, true);
  const flags = q(0), pidfd = q(8), childTid = q(16), parentTid = q(24), exitSignal = q(32);
  const stack = q(40), stackSize = q(48), setTidPtr = q(64), setTidSize = q(72), cgroup = q(80);
  if (setTidSize > BigInt(MAX_PID_NS_LEVEL)) return -Errno.EINVAL;
  if (setTidPtr === 0n && setTidSize > 0n) return -Errno.EINVAL;
  if (setTidPtr !== 0n && setTidSize === 0n) return -Errno.EINVAL;
  // exit_signal must be a valid signal number within CSIGNAL.
  if (exitSignal & ~0xffn || !validSignal(Number(exitSignal))) return -Errno.EINVAL;
  if (flags & BigInt(CLONE.INTO_CGROUP) && (cgroup > 0x7fffffffn || size < CLONE_ARGS_SIZE_VER2)) return -Errno.EINVAL;
  // clone3_args_valid
  const known = BigInt(CLONE_LEGACY_FLAGS) | BigInt(CLONE.CLEAR_SIGHAND) | BigInt(CLONE.INTO_CGROUP);
  if (flags & ~known) return -Errno.EINVAL;
  if (flags & BigInt(CLONE.DETACHED | (CLONE.CSIGNAL & ~CLONE.NEWTIME))) return -Errno.EINVAL;
  const fl = Number(flags);
  if (hasFlag(fl, CLONE.SIGHAND) && hasFlag(fl, CLONE.CLEAR_SIGHAND)) return -Errno.EINVAL;
  if ((hasFlag(fl, CLONE.THREAD) || hasFlag(fl, CLONE.PARENT)) && exitSignal !== 0n) return -Errno.EINVAL;
  if (stack === 0n ? stackSize !== 0n : stackSize === 0n) return -Errno.EINVAL;
  let setTid: number[] | undefined;
  if (setTidSize > 0n) {
    const b = fromUser(c, Number(setTidPtr), Number(setTidSize) * 4);
    if (typeof b === 'number') return b;
    const v = new DataView(b.buffer);
    setTid = Array.from({ length: Number(setTidSize) }, (_, i) => v.getInt32(i * 4, true));
  }
  return { flags: fl, exitSignal: Number(exitSignal), setTid, parentTid, childTid, pidfd, cgroupFd: Number(cgroup) };
}

function waitStatusOut(c: SysCtx, addr: number, r: WaitResult): number {
  return addr ? toUser(c, addr, le32(r.status)) : 0;
}

/** struct siginfo for waitid: si_signo, si_errno, si_code, si_pid, si_uid, si_status (128 bytes). */
function siginfoOut(c: SysCtx, addr: number, r: WaitResult | undefined): number {
  if (!addr) return 0;
  const b = new Uint8Array(128);
  if (r) {
    const dv = new DataView(b.buffer);
    let code: number, status: number;
    if (r.why === 'exited') {
      const sig = r.status & 0x7f;
      code = sig === 0 ? CLD.EXITED : r.status & 0x80 ? CLD.DUMPED : CLD.KILLED;
      status = sig === 0 ? (r.status >> 8) & 0xff : sig;
    } else if (r.why === 'stopped') {
      code = CLD.STOPPED;
      status = (r.status >> 8) & 0xff;
    } else {
      code = CLD.CONTINUED;
      status = SIG.SIGCONT;
    }
    dv.setInt32(0, SIG.SIGCHLD, true);
    dv.setInt32(8, code, true);
    dv.setInt32(16, r.pid, true);
    dv.setUint32(20, r.uid, true);
    dv.setInt32(24, status, true);
  }
  return toUser(c, addr, b);
}

/** Run do_wait now or sleep until it has an answer. */
function waitOrBlock(c: SysCtx, name: string, pass: () => SysRet): SysRet {
  const r = pass();
  if (r !== BLOCK) return r;
  c.t.state = 'sleeping';
  c.t.blocked = { name, retry: pass };
  return BLOCK;
}

function findVpid(c: SysCtx, nr: number): TaskStruct | undefined {
  return c.w.findTask(nr, c.t.pidNamespace);
}

const wait4: SysHandler = (c, a) => {
  const upid = i32(a[0]);
  const options = a[2] >>> 0;
  if (options & ~(W.NOHANG | W.UNTRACED | W.CONTINUED | W.NOTHREAD | W.CLONE | W.ALL)) return -Errno.EINVAL;
  if (upid === -0x80000000) return -Errno.ESRCH;
  let sel: WaitSelector;
  if (upid === -1) sel = { type: 'all' };
  else if (upid < 0) sel = { type: 'pgid', pgid: c.w.findPgrp(-upid, c.t.pidNamespace) ?? null };
  else if (upid === 0) sel = { type: 'pgid', pgid: c.t.signal.pgrp };
  else sel = { type: 'pid', task: findVpid(c, upid)?.groupLeader };
  const t = c.t;
  return waitOrBlock(c, 'wait4', () => {
    const r = doWait(c.w, t, sel, options | W.EXITED);
    if (typeof r !== 'object') return r;
    const e = waitStatusOut({ w: c.w, t }, a[1], r);
    return e || r.pid;
  });
};

const P_ALL = 0, P_PID = 1, P_PGID = 2;
const waitid: SysHandler = (c, a) => {
  const which = i32(a[0]);
  const upid = i32(a[1]);
  const options = a[3] >>> 0;
  if (options & ~(W.NOHANG | W.NOWAIT | W.EXITED | W.STOPPED | W.CONTINUED | W.NOTHREAD | W.CLONE | W.ALL)) return -Errno.EINVAL;
  if (!(options & (W.EXITED | W.STOPPED | W.CONTINUED))) return -Errno.EINVAL;
  let sel: WaitSelector;
  if (which === P_ALL) sel = { type: 'all' };
  else if (which === P_PID) {
    if (upid <= 0) return -Errno.EINVAL;
    sel = { type: 'pid', task: findVpid(c, upid)?.groupLeader };
  } else if (which === P_PGID) {
    if (upid < 0) return -Errno.EINVAL;
    sel = { type: 'pgid', pgid: upid ? c.w.findPgrp(upid, c.t.pidNamespace) ?? null : c.t.signal.pgrp };
  } else return -Errno.EINVAL;
  const t = c.t;
  return waitOrBlock(c, 'waitid', () => {
    const r = doWait(c.w, t, sel, options);
    if (r === BLOCK) return r;
    if (typeof r === 'number' && r < 0) return r;
    return siginfoOut({ w: c.w, t }, a[2], typeof r === 'object' ? r : undefined) || 0;
  });
};

const sid = (t: TaskStruct) => t.signal.session;

const setpgid: SysHandler = (c, a) => {
  const leader = c.t.groupLeader;
  let pid = i32(a[0]);
  let pgid = i32(a[1]);
  if (!pid) pid = leader.pidIn(c.t.pidNamespace);
  if (!pgid) pgid = pid;
  if (pgid < 0) return -Errno.EINVAL;
  const p = findVpid(c, pid);
  if (!p) return -Errno.ESRCH;
  if (!p.isGroupLeader) return -Errno.EINVAL;
  if (p.realParent.signal === leader.signal) {
    if (sid(p) !== sid(leader)) return -Errno.EPERM;
    if (!p.forkNoExec) return -Errno.EACCES;
  } else if (p !== leader) return -Errno.ESRCH;
  if (p.signal.sessionLeader) return -Errno.EPERM;
  let pgrp = p.pidStruct;
  if (pgid !== pid) {
    const g = c.w.allTasks().find((x) => x.alive && x.signal.pgrp?.nrIn(c.t.pidNamespace) === pgid);
    if (!g || sid(g) !== sid(leader)) return -Errno.EPERM;
    pgrp = g.signal.pgrp!;
  }
  p.signal.pgrp = pgrp;
  return 0;
};

const setsid: SysHandler = (c) => {
  const leader = c.t.groupLeader;
  const me = leader.pidStruct;
  // Fail if the caller's pid already names a process group.
  if (c.w.allTasks().some((x) => x.signal.pgrp === me && x.alive)) return -Errno.EPERM;
  leader.signal.sessionLeader = true;
  leader.signal.session = me;
  leader.signal.pgrp = me;
  return me.nrIn(c.t.pidNamespace);
};

function pgidOf(c: SysCtx, nr: number, which: 'pgrp' | 'session'): number {
  const p = nr === 0 ? c.t : findVpid(c, nr);
  if (!p) return -Errno.ESRCH;
  return p.signal[which]?.nrIn(c.t.pidNamespace) ?? 0;
}

export const processSyscalls: Record<string, SysHandler> = {
  getpid: (c) => c.t.tgidIn(c.t.pidNamespace),
  gettid: (c) => c.t.pidIn(c.t.pidNamespace),
  // task_tgid_vnr(real_parent): 0 when the parent is outside the caller's namespace.
  getppid: (c) => c.t.groupLeader.realParent.tgidIn(c.t.pidNamespace),
  fork: (c) => kernelClone(c, { flags: 0, exitSignal: SIG.SIGCHLD }),
  vfork: (c) => kernelClone(c, { flags: CLONE.VFORK | CLONE.VM, exitSignal: SIG.SIGCHLD }),
  // x86-64: clone(flags, newsp, parent_tid, child_tid, tls)
  clone: (c, a) => {
    const flags = a[0] >>> 0;
    return kernelClone(c, { flags: flags & ~CLONE.CSIGNAL, exitSignal: flags & CLONE.CSIGNAL, parentTid: BigInt(a[2]), childTid: BigInt(a[3]), pidfd: BigInt(a[2]) });
  },
  clone3: (c, a) => {
    const args = readCloneArgs(c, a[0], a[1]);
    return typeof args === 'number' ? args : kernelClone(c, args);
  },
  exit: (c, a) => {
    doExit(c.w, c.t, exitStatus(a[0]));
    return 0;
  },
  exit_group: (c, a) => {
    doGroupExit(c.w, c.t, exitStatus(a[0]));
    return 0;
  },
  wait4,
  waitid,
  setpgid,
  setsid,
  getpgid: (c, a) => pgidOf(c, i32(a[0]), 'pgrp'),
  getpgrp: (c) => pgidOf(c, 0, 'pgrp'),
  getsid: (c, a) => pgidOf(c, i32(a[0]), 'session'),
};
