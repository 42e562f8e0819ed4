/**
 * The point of no return of execve (fs/exec.c begin_new_exec): the other
 * threads die and the caller takes the leader's pid (de_thread), a new address
 * space gets the argument strings (mm/exec_stack.ts), close-on-exec descriptors
 * close, caught signals go back to SIG_DFL, a vfork parent wakes, and comm
 * becomes the file name's last component.
 */
import { MmStruct } from '../mm/mm_struct';
import type { Cred } from './cred';
import { S_ISGID, S_ISUID, type Inode } from '../fs/inode';
import { setupExecStack } from '../mm/exec_stack';
import { SIG, SIG_IGN } from './signal';
import { SigHand } from './signal_struct';
import type { TaskStruct } from './task_struct';
import type { World } from './world';
import { doExit, releaseTask } from './exit';

/**
 * The credentials a new program runs with (bprm_fill_uid + cap_bprm_creds_from_file, without file
 * capabilities, no_new_privs or nosuid mounts): a set-user-ID file gives its owner as the effective
 * uid (set-group-ID with group execute, its group); an effective uid of 0 gets the bounding set as its
 * permitted and effective capabilities, anyone else keeps none; saved and fs ids follow the effective ones.
 */
export function execCred(old: Cred, file: Inode | undefined): { cred: Cred; secure: boolean } {
  let euid = old.euid;
  let egid = old.egid;
  if (file && file.mode & S_ISUID) euid = file.uid;
  if (file && (file.mode & (S_ISGID | 0o010)) === (S_ISGID | 0o010)) egid = file.gid;
  const root = euid === 0 || old.uid === 0;
  const permitted = root ? old.capBset : old.capAmbient;
  const effective = euid === 0 ? permitted : old.capAmbient;
  const cred = old.with({ euid, egid, suid: euid, fsuid: euid, sgid: egid, fsgid: egid, capPermitted: permitted, capEffective: effective });
  // secureexec: the program runs with ids other than the caller's real ones.
  const secure = euid !== old.uid || egid !== old.gid;
  return { cred, secure };
}

export interface ExecRequest {
  /** bprm->filename: the path as given (or "/dev/fd/N[/path]" for execveat relative to a descriptor). */
  filename: string;
  /** The name comm takes (kbasename of the filename, or the file's own name for a /dev/fd path). */
  commName: string;
  argv: Uint8Array[];
  envp: Uint8Array[];
  /** The file run (its set-id bits decide the credentials). */
  file?: Inode;
}

/** de_thread: kill the other threads; a non-leader caller takes over the leader's identity. */
function deThread(w: World, t: TaskStruct): void {
  const sig = t.signal;
  for (const th of sig.threads.slice()) if (th !== t && th.alive) doExit(w, th, SIG.SIGKILL);
  if (!t.isGroupLeader) {
    const leader = t.groupLeader;
    // exchange_tids + the leader's place in the process tree.
    const lp = leader.pidStruct;
    leader.pidStruct = t.pidStruct;
    t.pidStruct = lp;
    w.rehash(t);
    w.rehash(leader);
    t.realParent = leader.realParent;
    t.exitSignal = leader.exitSignal;
    const kids = leader.realParent.children;
    const i = kids.indexOf(leader);
    if (i >= 0) kids[i] = t;
    t.children.push(...leader.children.splice(0));
    for (const c of t.children) c.realParent = t;
    for (const th of sig.threads) th.groupLeader = t;
    t.groupLeader = t;
    leader.groupLeader = t;
    leader.exitSignal = -1;
    sig.threads.splice(sig.threads.indexOf(t), 1);
    sig.threads.unshift(t);
    if (leader.state === 'zombie') {
      leader.realParent = t;
      releaseTask(w, leader);
    }
  }
}

export function execImage(w: World, t: TaskStruct, req: ExecRequest): void {
  // old_pid of sched_process_exec: the caller's thread id before de_thread.
  const oldPid = t.pid;
  deThread(w, t);
  w.releaseVfork(t);
  if (t.mm && --t.mm.users === 0) t.mm.release();
  const mm = new MmStruct(w.mem, `pid ${t.pid} ${req.commName}`);
  t.mm = mm;
  const { cred, secure } = execCred(t.cred, req.file);
  t.cred = cred;
  if (secure) t.pdeathSignal = 0;
  setupExecStack(mm, {
    filename: req.filename,
    argv: req.argv,
    envp: req.envp,
    random: w.randomBytes(16),
    cred,
    clkTck: 100,
    secure,
  });
  if (t.files.users > 1) {
    t.files.users--;
    t.files = t.files.copy();
  }
  t.files.closeOnExec();
  if (t.sighand.users > 1) {
    t.sighand.users--;
    t.sighand = new SigHand(t.sighand);
  }
  // flush_signal_handlers: handlers reset, ignored signals stay ignored.
  for (const a of t.sighand.action) if (a.handler !== SIG_IGN) Object.assign(a, { handler: 0n, flags: 0, mask: 0n, restorer: 0n });
  t.comm = req.commName;
  t.forkNoExec = false;
  // rseq_execve and exec_mm_release: the new image registers its own.
  t.rseq = 0;
  t.robustList = 0;
  // exec_binprm: the new image is in place.
  w.events?.exec(t, oldPid, req.filename);
}
