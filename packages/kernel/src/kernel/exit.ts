/**
 * do_exit / do_group_exit / release_task (kernel/exit.c): a task gives back
 * its resources, its children go to the nearest child subreaper or the pid
 * namespace's init, its parent gets the exit signal, and it stays a zombie
 * until reaped (or is reaped at once when the parent ignores SIGCHLD). When a
 * namespace's init dies, every task of the namespace is killed.
 */
import { SIG } from './signal';
import type { TaskStruct } from './task_struct';
import type { World } from './world';
import { doExitTraced, doGroupExitTraced } from '../trace/kprobe-process';
import { doNotifyParent, sendSignal } from './signal_send';

/** do_group_exit: every thread of the group exits with the group's code (the first one set wins). */
export function doGroupExit(w: World, t: TaskStruct, status: number): void {
  doGroupExitTraced(w, t, status, () => groupExit(w, t, status));
}

function groupExit(w: World, t: TaskStruct, status: number): void {
  const sig = t.signal;
  if (sig.groupExit) status = sig.groupExitCode;
  else {
    sig.groupExit = true;
    sig.groupExitCode = status;
  }
  for (const th of sig.threads.slice()) if (th !== t && th.alive && !th.exiting) doExit(w, th, status);
  if (t.alive && !t.exiting) doExit(w, t, status);
}

function findAliveThread(p: TaskStruct): TaskStruct | undefined {
  return p.signal.threads.find((t) => t.alive && !t.exiting);
}

/** find_child_reaper: the namespace's init, or a live thread of it; when none is left, the namespace is killed. */
function findChildReaper(w: World, father: TaskStruct): TaskStruct {
  const ns = father.pidNamespace;
  const reaper = ns.childReaper;
  if (reaper && reaper.signal !== father.signal) return reaper;
  const th = findAliveThread(father);
  if (th) {
    ns.childReaper = th;
    return th;
  }
  zapPidNsProcesses(w, father);
  return father;
}

/** zap_pid_ns_processes: no more pids in the namespace, SIGKILL to every task in it, and the dying init reaps them. */
function zapPidNsProcesses(w: World, init: TaskStruct): void {
  const ns = init.pidNamespace;
  ns.adding = false;
  for (const t of w.tasksIn(ns)) if (t.signal !== init.signal && t.alive) sendSignal(w, t, SIG.SIGKILL, true, true);
  // The init ignores SIGCHLD while zapping, so its zombie children are reaped now.
  for (const th of init.signal.threads) for (const c of th.children.slice()) if (c.state === 'zombie' && c.isGroupLeader && c.signal.threads.length === 1) releaseTask(w, c);
}

/** find_new_reaper: a live thread of the group, else the nearest subreaper ancestor in the namespace, else init. */
function findNewReaper(father: TaskStruct, childReaper: TaskStruct): TaskStruct {
  const th = findAliveThread(father);
  if (th) return th;
  if (father.signal.hasChildSubreaper) {
    const level = father.pidStruct.level;
    for (let r = father.realParent; r.pidStruct.level === level && r.pid !== 0; r = r.realParent) {
      if (r === childReaper) break;
      if (!r.signal.isChildSubreaper) continue;
      const t = findAliveThread(r);
      if (t) return t;
    }
  }
  return childReaper;
}

/** forget_original_parent: move `father`'s children to their new parent. */
function forgetOriginalParent(w: World, father: TaskStruct): void {
  if (father.children.length === 0) {
    if (father.pidNamespace.childReaper === father) findChildReaper(w, father);
    return;
  }
  const reaper = findNewReaper(father, findChildReaper(w, father));
  for (const p of father.children.splice(0)) {
    p.realParent = reaper;
    reaper.children.push(p);
    for (const t of p.signal.threads) if (t.pdeathSignal && t.alive) sendSignal(w, t, t.pdeathSignal, true);
    if (reaper.signal !== father.signal) {
      // reparent_leader: a reparented process always signals SIGCHLD; a zombie is offered to its new parent.
      if (p.state === 'dead') continue;
      p.exitSignal = SIG.SIGCHLD;
      if (p.state === 'zombie' && p.isGroupLeader && p.signal.threads.length === 1 && doNotifyParent(w, p, p.exitSignal)) releaseTask(w, p);
    }
  }
}

/** do_exit with a wait status word (exit(): (code & 0xff) << 8; a signal: its number). */
export function doExit(w: World, t: TaskStruct, status: number): void {
  doExitTraced(w, t, status, () => exit(w, t, status));
}

function exit(w: World, t: TaskStruct, status: number): void {
  if (!t.alive || t.exiting) return;
  t.exiting = true;
  t.exitCode = status;
  if (t.blocked) t.blocked = undefined;
  const sig = t.signal;
  sig.live--;
  // After exit_code is set, before exit_mm: what exitsnoop reads.
  w.events?.exit(t, sig.live === 0);
  // exit_mm: wakes a vfork parent.
  w.releaseVfork(t);
  if (t.mm && --t.mm.users === 0) t.mm.release();
  t.mm = undefined;
  if (--t.files.users === 0) t.files.closeAll();
  t.fs.users--;
  t.sighand.users--;
  // cgroup_exit: the task no longer populates its cgroup (its pids charge stays until it is reaped).
  w.cgroups?.exit(t);
  // exit_notify
  forgetOriginalParent(w, t);
  let autoreap: boolean;
  if (t.isGroupLeader) autoreap = sig.threads.length === 1 && doNotifyParent(w, t, t.exitSignal);
  else autoreap = true;
  t.state = autoreap ? 'dead' : 'zombie';
  if (autoreap) releaseTask(w, t);
  t.nsproxy.put();
  // do_task_dead: the final switch away from the dead task.
  w.rq?.dead(t);
  w.taskExited(t);
}

/** release_task: the task leaves its group, its parent's children and the pid tables. */
export function releaseTask(w: World, p: TaskStruct): void {
  p.state = 'dead';
  const sig = p.signal;
  const i = sig.threads.indexOf(p);
  if (i >= 0) sig.threads.splice(i, 1);
  const parentKids = p.realParent.children;
  const j = parentKids.indexOf(p);
  if (j >= 0) parentKids.splice(j, 1);
  w.detach(p);
  // cgroup_release: the pids charge goes.
  w.cgroups?.release(p);
  // delayed_put_task_struct's sched_process_free (an RCU grace period later in Linux).
  w.events?.free(p);
  // The last thread of a group whose leader is a zombie lets the leader be reported.
  const leader = p.groupLeader;
  if (leader !== p && sig.threads.length === 1 && sig.threads[0] === leader && leader.state === 'zombie') {
    if (doNotifyParent(w, leader, leader.exitSignal)) releaseTask(w, leader);
  }
}
