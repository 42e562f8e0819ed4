/**
 * copy_process / kernel_clone (kernel/fork.c): a new task sharing or copying
 * its parent's resources as the clone flags say, with the flag combinations the
 * kernel refuses refused with the same errno, in the same order.
 */
import { Errno } from '@bpfsim/uapi';
import { CLONE, hasFlag } from './clone_flags';
import { CAP } from './cred';
import { allocPid } from './pid';
import { SIG } from './signal';
import { SigHand, SignalStruct } from './signal_struct';
import { TaskStruct } from './task_struct';
import { createNewNamespaces, CLONE_NEW_NS_FLAGS, type NsProxy } from '../ns/nsproxy';
import type { World } from './world';
import { bindCgroupNs } from '../cgroup/namespace';

export interface CloneArgs {
  /** Clone flags without the exit signal (clone3's flags; legacy clone's flags & ~CSIGNAL). */
  flags: number;
  exitSignal: number;
  /** clone3 set_tid: pids to take, innermost namespace first. */
  setTid?: readonly number[];
  parentTid?: bigint;
  childTid?: bigint;
  pidfd?: bigint;
  /** clone3 cgroup: a cgroup2 directory fd (CLONE_INTO_CGROUP). */
  cgroupFd?: number;
}

/** copy_process's checks, in its order. 0 when the flags are acceptable. */
export function checkCloneFlags(cur: TaskStruct, f: number): number {
  const has = (x: number): boolean => hasFlag(f, x);
  if (has(CLONE.NEWNS) && has(CLONE.FS)) return -Errno.EINVAL;
  if (has(CLONE.NEWUSER) && has(CLONE.FS)) return -Errno.EINVAL;
  // Thread groups must share signals as well; shared signal handlers imply shared VM.
  if (has(CLONE.THREAD) && !has(CLONE.SIGHAND)) return -Errno.EINVAL;
  if (has(CLONE.SIGHAND) && !has(CLONE.VM)) return -Errno.EINVAL;
  // Siblings of a namespace's init would stay zombies forever.
  if (has(CLONE.PARENT) && cur.signal.unkillable) return -Errno.EINVAL;
  if (has(CLONE.THREAD)) {
    if (has(CLONE.NEWUSER) || has(CLONE.NEWPID)) return -Errno.EINVAL;
    if (cur.pidNamespace !== cur.nsproxy.pidForChildren) return -Errno.EINVAL;
  }
  if (has(CLONE.PIDFD) && has(CLONE.DETACHED)) return -Errno.EINVAL;
  return 0;
}

/** copy_namespaces: the child's nsproxy, or -errno. */
function copyNamespaces(w: World, cur: TaskStruct, f: number): NsProxy | number {
  if (!(f & CLONE_NEW_NS_FLAGS) && !hasFlag(f, CLONE.NEWTIME) && cur.nsproxy.time === cur.nsproxy.timeForChildren) return cur.nsproxy;
  if (f & CLONE_NEW_NS_FLAGS && !cur.cred.capable(CAP.SYS_ADMIN)) return -Errno.EPERM;
  // A vfork()/CLONE_VM child shares the parent's mm, so it cannot switch time namespaces.
  if ((hasFlag(f, CLONE.NEWTIME) || cur.nsproxy.time !== cur.nsproxy.timeForChildren) && hasFlag(f, CLONE.VM)) return -Errno.EINVAL;
  if (hasFlag(f, CLONE.NEWIPC) && hasFlag(f, CLONE.SYSVSEM)) return -Errno.EINVAL;
  if (hasFlag(f, CLONE.NEWUSER)) return -Errno.EINVAL; // user namespaces: not modelled yet (docs/kernel.md)
  return createNewNamespaces(f, cur.nsproxy, cur.pidNamespace, w.inums, true);
}

/** copy_process + wake_up_new_task: the new task, or -errno. */
export function copyProcess(w: World, cur: TaskStruct, args: CloneArgs): TaskStruct | number {
  const f = args.flags;
  const has = (x: number): boolean => hasFlag(f, x);
  const bad = checkCloneFlags(cur, f);
  if (bad) return bad;
  const nsp = copyNamespaces(w, cur, f);
  if (typeof nsp === 'number') return nsp;
  if (nsp !== cur.nsproxy) nsp.get();
  const pidNs = nsp.pidForChildren;
  const pid = allocPid(pidNs, args.setTid ?? [], cur.cred.capable(CAP.CHECKPOINT_RESTORE) || cur.cred.capable(CAP.SYS_ADMIN));
  if (typeof pid === 'number') {
    if (nsp !== cur.nsproxy) nsp.put();
    return pid;
  }
  // cgroup_can_fork, after alloc_pid: the pids controller may refuse (EAGAIN); the pid number stays used.
  let cg = cur.cgroup;
  if (has(CLONE.INTO_CGROUP) && cg) {
    const into = w.cgroups.forkInto(cur, cur.files.get(args.cgroupFd ?? -1)?.inode, has(CLONE.THREAD));
    if (typeof into === 'number') {
      pid.free();
      if (nsp !== cur.nsproxy) nsp.put();
      return into;
    }
    cg = into;
  }
  const cgErr = cg ? w.cgroups.canFork(cg) : 0;
  if (cgErr) {
    pid.free();
    if (nsp !== cur.nsproxy) nsp.put();
    return cgErr;
  }
  if (nsp === cur.nsproxy) nsp.get();
  // copy_cgroup_ns: a new cgroup namespace is rooted at the parent's cgroup.
  if (has(CLONE.NEWCGROUP)) bindCgroupNs(nsp.cgroup, cur);

  const thread = has(CLONE.THREAD);
  const signal = thread ? cur.signal : new SignalStruct();
  if (!thread && cur.signal.rlim) signal.rlim = cur.signal.rlim.map(([a, b]) => [a, b]);
  let sighand: SigHand;
  if (has(CLONE.SIGHAND)) {
    sighand = cur.sighand;
    sighand.users++;
  } else {
    sighand = new SigHand(cur.sighand);
    // CLONE_CLEAR_SIGHAND: handlers back to SIG_DFL, ignored signals stay ignored.
    if (has(CLONE.CLEAR_SIGHAND)) for (const a of sighand.action) if (a.handler > 1n) Object.assign(a, { handler: 0n, flags: 0, mask: 0n });
  }
  let fs = cur.fs;
  if (has(CLONE.FS)) fs.users++;
  else fs = cur.fs.copy();
  if (has(CLONE.NEWNS)) fs = Object.assign(fs, { root: nsp.mnt.root, pwd: fs.pwd });
  let files = cur.files;
  if (has(CLONE.FILES)) files.users++;
  else files = cur.files.copy();
  let mm = cur.mm;
  if (mm && has(CLONE.VM)) mm.users++;
  else if (mm) mm = mm.copy(`pid ${pid.nr}`);

  // CLONE_PARENT and CLONE_THREAD: the new task is the caller's parent's child; else the calling thread's.
  const parent = has(CLONE.PARENT) || thread ? cur.realParent : cur;
  const exitSignal = thread ? -1 : has(CLONE.PARENT) ? cur.groupLeader.exitSignal : args.exitSignal;
  const t = new TaskStruct(pid, cur.comm, cur.cred, signal, sighand, nsp, fs, files, mm, {
    leader: thread ? cur.groupLeader : undefined,
    parent,
    exitSignal,
    taskAddr: w.allocTaskAddr(),
  });
  t.cgroupId = cur.cgroupId;
  t.startTime = w.clock.monotonicNs;
  t.cgroupAncestors = cur.cgroupAncestors.slice();
  if (has(CLONE.CHILD_CLEARTID)) t.clearChildTid = args.childTid ?? 0n;

  if (thread) {
    signal.threads.push(t);
    signal.live++;
  } else {
    signal.threads.push(t);
    signal.live = 1;
    signal.pgrp = cur.signal.pgrp;
    signal.session = cur.signal.session;
    signal.hasChildSubreaper = cur.signal.hasChildSubreaper || cur.signal.isChildSubreaper;
    // The first process of a new pid namespace is its init.
    if (pid.nrIn(pidNs) === 1 && !pidNs.childReaper) {
      pidNs.childReaper = t;
      signal.unkillable = true;
    }
  }
  parent.children.push(t);
  if (cg) w.cgroups.postFork(t, cg);
  w.attach(t);

  // CLONE_PARENT_SETTID / CLONE_CHILD_SETTID write the child's tid as the child's namespace sees it.
  const vtid = pid.nrIn(pid.ns);
  const tidBytes = new Uint8Array(4);
  new DataView(tidBytes.buffer).setInt32(0, vtid, true);
  if (has(CLONE.PARENT_SETTID) && args.parentTid && cur.mm) cur.mm.copyToUser(args.parentTid, tidBytes);
  if (has(CLONE.CHILD_SETTID) && args.childTid && t.mm) t.mm.copyToUser(args.childTid, tidBytes);
  if (has(CLONE.VFORK)) t.vforkParent = cur;
  // task_newtask (end of copy_process), then kernel_clone's sched_process_fork, in the parent.
  w.events?.newTask(cur, t, f);
  // wake_up_new_task: the child is runnable (sched_wakeup_new); it runs when it first does something.
  w.rq?.newTask(t, cur);
  return t;
}

/** The exit signal legacy clone() and fork() use. */
export const DEFAULT_EXIT_SIGNAL = SIG.SIGCHLD;
