/**
 * kill/tkill/tgkill and rt_sigaction (kernel/signal.c). Permission by
 * kill_ok_by_cred; a pid namespace's init only dies of SIGKILL/SIGSTOP sent
 * from an ancestor namespace.
 */
import { Errno } from '@bpfsim/uapi';
import { sendSignal, killPermitted } from '../kernel/signal_send';
import { NSIG, SIG, sigKernelOnly, validSignal } from '../kernel/signal';
import { BLOCK, type TaskStruct } from '../kernel/task_struct';
import { fromUser, i32, toUser, type SysCtx, type SysHandler } from './context';
import { groupSendSigInfo, killTraced } from '../trace/kprobe-process';

/** The sender is outside the target's namespace (SIG_FROM_ANCESTOR): it may kill that namespace's init. */
function fromAncestor(sender: TaskStruct, target: TaskStruct): boolean {
  return target.pidIn(sender.pidNamespace) !== 0 && sender.pidNamespace !== target.pidNamespace && sender.pidNamespace.isAncestorOf(target.pidNamespace);
}

function signalProcess(c: SysCtx, target: TaskStruct, sig: number, group: boolean): number {
  const send = (): number => {
    if (!killPermitted(c.t, target, sig)) return -Errno.EPERM;
    sendSignal(c.w, target, sig, group, fromAncestor(c.t, target));
    return 0;
  };
  return group ? groupSendSigInfo(c, sig, target, send) : send();
}

const kill: SysHandler = (c, a) => killTraced(c, i32(a[1]), i32(a[0]), () => killModel(c, a) as number);

const killModel: SysHandler = (c, a) => {
  const pid = i32(a[0]);
  const sig = i32(a[1]);
  if (!validSignal(sig)) return -Errno.EINVAL;
  const ns = c.t.pidNamespace;
  if (pid > 0) {
    const t = c.w.findTask(pid, ns);
    if (!t || !t.alive) return t ? 0 : -Errno.ESRCH; // a zombie accepts (and ignores) signals
    return signalProcess(c, t.groupLeader, sig, true);
  }
  if (pid === -0x80000000) return -Errno.ESRCH;
  if (pid === -1) {
    // Everyone the caller's namespace numbers above 1, except its own thread group; EPERM failures
    // do not count as errors, and no target at all is ESRCH.
    let count = 0;
    let ret = 0;
    for (const t of c.w.tasksIn(ns)) {
      if (!t.isGroupLeader || !t.alive || t.tgidIn(ns) <= 1 || t.signal === c.t.signal) continue;
      count++;
      const r = signalProcess(c, t, sig, true);
      if (r !== -Errno.EPERM) ret = r;
    }
    return count ? ret : -Errno.ESRCH;
  }
  // pid 0: the caller's process group; < -1: group -pid. Success if any member was signalled, else the last error.
  const pgrp = pid === 0 ? c.t.signal.pgrp : c.w.findPgrp(-pid, ns);
  const targets = pgrp ? c.w.tasksIn(ns).filter((t) => t.isGroupLeader && t.state !== 'dead' && t.signal.pgrp === pgrp) : [];
  if (targets.length === 0) return -Errno.ESRCH;
  let ret = -Errno.ESRCH;
  let any = false;
  for (const t of targets) {
    const r = signalProcess(c, t, sig, true);
    if (r === 0) any = true;
    else ret = r;
  }
  return any ? 0 : ret;
};

function threadKill(c: SysCtx, tgid: number, tid: number, sig: number): number {
  if (tid <= 0) return -Errno.EINVAL;
  if (!validSignal(sig)) return -Errno.EINVAL;
  const t = c.w.findTask(tid, c.t.pidNamespace);
  if (!t || !t.alive || (tgid > 0 && t.tgidIn(c.t.pidNamespace) !== tgid)) return -Errno.ESRCH;
  return signalProcess(c, t, sig, false);
}

/** struct k_sigaction as x86-64 rt_sigaction passes it: handler, flags, restorer, mask (32 bytes). */
const rtSigaction: SysHandler = (c, a) => {
  const sig = i32(a[0]);
  if (a[3] !== 8) return -Errno.EINVAL;
  if (sig < 1 || sig > NSIG) return -Errno.EINVAL;
  const cur = c.t.sighand.action[sig];
  if (a[2]) {
    const out = new Uint8Array(32);
    const dv = new DataView(out.buffer);
    dv.setBigUint64(0, cur.handler, true);
    dv.setBigUint64(8, BigInt(cur.flags >>> 0), true);
    dv.setBigUint64(16, cur.restorer, true);
    dv.setBigUint64(24, cur.mask, true);
    const e = toUser(c, a[2], out);
    if (e) return e;
  }
  if (a[1]) {
    if (sigKernelOnly(sig)) return -Errno.EINVAL;
    const b = fromUser(c, a[1], 32);
    if (typeof b === 'number') return b;
    const dv = new DataView(b.buffer);
    cur.handler = dv.getBigUint64(0, true);
    cur.flags = Number(dv.getBigUint64(8, true) & 0xffffffffn);
    cur.restorer = dv.getBigUint64(16, true);
    cur.mask = dv.getBigUint64(24, true) & ~((1n << BigInt(SIG.SIGKILL - 1)) | (1n << BigInt(SIG.SIGSTOP - 1)));
  }
  return 0;
};

/**
 * rt_sigreturn: the end of a signal handler. Handlers run no code here, so a handler is taken to
 * have run between the thread's last syscall and this call: the first pending unblocked signal
 * with a handler is consumed, and the registers saved at delivery come back, so the call returns
 * the rax the frame saved: the last syscall's result (signals are delivered on return to user mode).
 */
const rtSigreturn: SysHandler = (c) => {
  const t = c.t;
  for (const q of [t.pending, t.signal.shared]) {
    const i = q.findIndex((s) => (t.blockedSigs & (1n << BigInt(s - 1))) === 0n && t.sighand.action[s].handler > 1n);
    if (i >= 0) {
      q.splice(i, 1);
      break;
    }
  }
  return t.lastRet;
};

/** A pending signal `mask` does not block and the thread has a handler for. */
function handledPending(t: TaskStruct, mask: bigint): boolean {
  return [...t.pending, ...t.signal.shared].some((s) => (mask & (1n << BigInt(s - 1))) === 0n && t.sighand.action[s].handler > 1n);
}

/**
 * rt_sigsuspend: sleep with a temporary mask until a handled signal arrives; always -EINTR
 * (ERESTARTNOHAND, whatever SA_RESTART says). The mask comes back when the handler returns.
 */
const rtSigsuspend: SysHandler = (c, a) => {
  if (a[1] !== 8) return -Errno.EINVAL;
  const b = fromUser(c, a[0], 8);
  if (typeof b === 'number') return b;
  const t = c.t;
  const saved = t.blockedSigs;
  const mask = new DataView(b.buffer).getBigUint64(0, true) & ~((1n << BigInt(SIG.SIGKILL - 1)) | (1n << BigInt(SIG.SIGSTOP - 1)));
  const pass = (): number | typeof BLOCK => (handledPending(t, mask) ? -Errno.EINTR : BLOCK);
  const r = pass();
  if (r !== BLOCK) return r;
  t.blockedSigs = mask;
  t.state = 'sleeping';
  t.blocked = {
    name: 'rt_sigsuspend',
    retry: () => {
      const x = pass();
      if (x !== BLOCK) t.blockedSigs = saved;
      return x;
    },
  };
  return BLOCK;
};

export const signalSyscalls: Record<string, SysHandler> = {
  rt_sigsuspend: rtSigsuspend,
  rt_sigreturn: rtSigreturn,
  kill,
  tkill: (c, a) => threadKill(c, 0, i32(a[0]), i32(a[1])),
  tgkill: (c, a) => (i32(a[0]) <= 0 ? -Errno.EINVAL : threadKill(c, i32(a[0]), i32(a[1]), i32(a[2]))),
  rt_sigaction: rtSigaction,
};
