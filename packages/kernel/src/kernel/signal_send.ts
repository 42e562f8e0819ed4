/**
 * Sending and acting on signals (kernel/signal.c). Simulated processes run no
 * user code, so a signal whose disposition is the default acts at once (the
 * process dies, stops or continues); a signal with a handler is queued, and a
 * task sleeping in a syscall is woken with -EINTR (or keeps sleeping under
 * SA_RESTART, as the syscall would be restarted).
 */
import { CLD, SA, SIG, SIG_DFL, SIG_IGN, sigDefault, sigKernelOnly, signalStatus, validSignal } from './signal';
import type { TaskStruct } from './task_struct';
import type { World } from './world';
import { doGroupExit } from './exit';

const bit = (sig: number): bigint => 1n << BigInt(sig - 1);

/** enum trace_signal_deliver_result (include/trace/events/signal.h): signal_generate's `result`. */
const TRACE_SIGNAL_DELIVERED = 0, TRACE_SIGNAL_IGNORED = 1, TRACE_SIGNAL_ALREADY_PENDING = 2;

/**
 * Deliver `sig` to `target` (a thread; `group` for kill(), which targets the
 * whole process). `force`: the sender sits outside the target's pid namespace,
 * so SIGKILL/SIGSTOP reach even that namespace's init.
 */
export function sendSignal(w: World, target: TaskStruct, sig: number, group: boolean, force = false, from?: TaskStruct): void {
  // Kernel threads ignore signals (kthreadd's ignore_signals; none here calls allow_signal).
  if (!validSignal(sig) || sig === 0 || !target.alive) return;
  const generated = (result: number) => w.events?.signalGenerate?.(sig, target, group, result, from);
  if (target.kthread) return generated(TRACE_SIGNAL_IGNORED);
  const act = target.sighand.action[sig];
  // sig_task_ignored: init of a pid namespace ignores default-action signals from inside it.
  if (target.signal.unkillable && act.handler === SIG_DFL && !(force && sigKernelOnly(sig))) return generated(TRACE_SIGNAL_IGNORED);
  if (act.handler === SIG_IGN && !sigKernelOnly(sig)) return generated(TRACE_SIGNAL_IGNORED);
  if (target.signal.groupExit) return generated(TRACE_SIGNAL_IGNORED);
  // prepare_signal: SIGCONT flushes pending stops; a stop flushes pending SIGCONT.
  if (sig === SIG.SIGCONT) {
    dropPending(target, [SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU]);
    if (target.signal.stopped) {
      target.signal.stopped = false;
      target.signal.notifyContinued = true;
      for (const t of target.signal.threads) if (t.state === 'stopped') t.state = t.blocked ? 'sleeping' : 'running';
      notifyParentCldstop(w, target.groupLeader, CLD.CONTINUED);
    }
  } else if (sigDefault(sig) === 'stop') {
    dropPending(target, [SIG.SIGCONT]);
  }
  const dfl = act.handler === SIG_DFL || sigKernelOnly(sig);
  const blocked = (target.blockedSigs & bit(sig)) !== 0n && !sigKernelOnly(sig);
  if (dfl && !blocked) {
    // The signal is queued (delivered), then acted on at once: simulated processes run no user code.
    const kind = sigDefault(sig);
    if (kind === 'ignore' || kind === 'cont') {
      // prepare_signal drops an ignored default-action signal (SIGCONT has already acted above)
      generated(kind === 'cont' ? TRACE_SIGNAL_DELIVERED : TRACE_SIGNAL_IGNORED);
      return;
    }
    generated(TRACE_SIGNAL_DELIVERED);
    // get_signal dequeues it in the target's context: signal_deliver, then the default action.
    w.events?.signalDeliver?.(sig, target, 0n, BigInt(act.flags));
    switch (kind) {
      case 'term':
      case 'core':
        doGroupExit(w, target, signalStatus(sig, false));
        return;
      case 'stop':
        if (!target.signal.stopped) {
          target.signal.stopped = true;
          target.signal.stopSignal = sig;
          target.signal.notifyStopped = true;
          for (const t of target.signal.threads) if (t.alive) t.state = 'stopped';
          notifyParentCldstop(w, target.groupLeader, CLD.STOPPED);
        }
        return;
    }
  }
  const q = group ? target.signal.shared : target.pending;
  // Standard signals do not queue twice; real-time ones do.
  if (sig < 32 && q.includes(sig)) generated(TRACE_SIGNAL_ALREADY_PENDING);
  else {
    q.push(sig);
    generated(TRACE_SIGNAL_DELIVERED);
  }
  if (!blocked) interruptSleep(w, target, sig);
}

/**
 * After the blocked mask shrank: pending signals that are no longer blocked act
 * now (recalc_sigpending + get_signal), thread-private ones first, in arrival order.
 */
export function deliverUnblocked(w: World, t: TaskStruct): void {
  for (const q of [t.pending, t.signal.shared]) {
    for (let i = 0; i < q.length; ) {
      const sig = q[i];
      if ((t.blockedSigs & bit(sig)) !== 0n) {
        i++;
        continue;
      }
      const act = t.sighand.action[sig];
      if (act.handler !== SIG_DFL) {
        i++; // a handler would run: it stays recorded as pending (docs/kernel.md)
        continue;
      }
      q.splice(i, 1);
      sendSignal(w, t, sig, q === t.signal.shared);
      if (!t.alive) return;
    }
  }
}

function dropPending(t: TaskStruct, sigs: number[]): void {
  for (const q of [t.signal.shared, ...t.signal.threads.map((x) => x.pending)]) {
    for (let i = q.length - 1; i >= 0; i--) if (sigs.includes(q[i])) q.splice(i, 1);
  }
}

/** A handled signal ends an interruptible sleep with -EINTR unless SA_RESTART restarts the call. */
function interruptSleep(w: World, target: TaskStruct, sig: number): void {
  const t = target.blocked ? target : target.signal.threads.find((x) => x.blocked && x.alive);
  if (!t || !t.blocked) return;
  // Under SA_RESTART the call sleeps on (unless it ends on any signal, as rt_sigsuspend does: its retry decides).
  w.interruptPending = true;
  if (t.sighand.action[sig].flags & SA.RESTART) return;
  // The woken sleeper re-checks its condition before signal_pending (do_wait's loop, pipe_read),
  // once the change that sent the signal is complete: a child whose exit sent the SIGCHLD is
  // reaped, not lost to -EINTR. World.settleInterrupts settles it.
  t.blocked.interrupted = true;
}

/** do_notify_parent_cldstop: SIGCHLD for a stop or continue, unless the parent set SA_NOCLDSTOP. */
function notifyParentCldstop(w: World, leader: TaskStruct, _why: number): void {
  const parent = leader.realParent;
  if (!parent.alive) return;
  const act = parent.sighand.action[SIG.SIGCHLD];
  if (act.handler !== SIG_IGN && !(act.flags & SA.NOCLDSTOP)) sendSignal(w, parent, SIG.SIGCHLD, true);
  w.wake();
}

/**
 * do_notify_parent at exit: SIGCHLD (or the exit signal) to the parent, and
 * whether the child is reaped at once because the parent ignores SIGCHLD or set SA_NOCLDWAIT.
 */
export function doNotifyParent(w: World, tsk: TaskStruct, sig: number): boolean {
  const parent = tsk.realParent;
  let autoreap = false;
  const act = parent.sighand.action[SIG.SIGCHLD];
  if (sig === SIG.SIGCHLD && (act.handler === SIG_IGN || act.flags & SA.NOCLDWAIT)) {
    autoreap = true;
    if (act.handler === SIG_IGN) sig = 0;
  }
  // An exit signal legacy clone() let through unchecked is simply not sent (valid_signal).
  // The exiting task sends it, in its own context.
  if (validSignal(sig) && sig > 0 && parent.alive) sendSignal(w, parent, sig, true, false, tsk);
  w.wake();
  return autoreap;
}

/** kill_ok_by_cred: same real/effective uid as the target's real/saved uid, or CAP_KILL. */
export function killPermitted(sender: TaskStruct, target: TaskStruct, sig: number): boolean {
  const c = sender.cred;
  const tc = target.cred;
  if (c.euid === tc.suid || c.euid === tc.uid || c.uid === tc.suid || c.uid === tc.uid) return true;
  if (c.capable(5 /* CAP_KILL */)) return true;
  // SIGCONT within one session is always allowed.
  return sig === SIG.SIGCONT && sender.signal.session !== undefined && sender.signal.session === target.signal.session;
}
