/**
 * unshare(2) (kernel/fork.c ksys_unshare): implied flags, the checks of
 * check_unshare_flags, then new namespaces, fs_struct and files_struct.
 * CLONE_NEWPID changes only where the caller's future children live.
 */
import { Errno } from '@bpfsim/uapi';
import { CLONE, hasFlag } from '../kernel/clone_flags';
import { CAP } from '../kernel/cred';
import { createNewNamespaces, CLONE_NEW_NS_FLAGS, NsProxy, type NsSet } from '../ns/nsproxy';
import type { NsCommon } from '../ns/ns_common';
import type { PidNamespace } from '../ns/pid_namespace';
import type { MntNamespace } from '../ns/mnt_namespace';
import type { UtsNamespace } from '../ns/uts_namespace';
import type { SimpleNamespace } from '../ns/simple_namespace';
import type { SysHandler } from './context';
import { bindCgroupNs } from '../cgroup/namespace';

const ALLOWED = CLONE.THREAD | CLONE.FS | CLONE.NEWNS | CLONE.SIGHAND | CLONE.VM | CLONE.FILES | CLONE.SYSVSEM | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWNET | CLONE.NEWUSER | CLONE.NEWPID | CLONE.NEWCGROUP | CLONE.NEWTIME;

const unshare: SysHandler = (c, a) => {
  let f = a[0] >>> 0;
  const has = (x: number): boolean => hasFlag(f, x);
  if (has(CLONE.NEWUSER)) f |= CLONE.THREAD | CLONE.FS;
  if (has(CLONE.VM)) f |= CLONE.SIGHAND;
  if (has(CLONE.SIGHAND)) f |= CLONE.THREAD;
  if (has(CLONE.NEWNS)) f |= CLONE.FS;
  f >>>= 0;
  if (f & ~ALLOWED) return -Errno.EINVAL;
  const t = c.t;
  // "Not implemented, but pretend it works if there is nothing to unshare."
  if (has(CLONE.THREAD) || has(CLONE.SIGHAND) || has(CLONE.VM)) if (t.signal.threads.filter((x) => x.alive).length > 1) return -Errno.EINVAL;
  if ((has(CLONE.SIGHAND) || has(CLONE.VM)) && t.sighand.users > 1) return -Errno.EINVAL;
  if (has(CLONE.VM) && t.mm && t.mm.users > 1) return -Errno.EINVAL;
  if (has(CLONE.NEWUSER)) return -Errno.EINVAL; // user namespaces: not modelled yet (docs/kernel.md)
  const nsFlags = (f & CLONE_NEW_NS_FLAGS) >>> 0;
  let nsp = t.nsproxy;
  if (nsFlags) {
    if (!t.cred.capable(CAP.SYS_ADMIN)) return -Errno.EPERM;
    const n = createNewNamespaces(nsFlags, t.nsproxy, t.pidNamespace, c.w.inums, false);
    if (typeof n === 'number') return n;
    // copy_cgroup_ns: rooted at the caller's cgroup.
    if (has(CLONE.NEWCGROUP)) bindCgroupNs(n.cgroup, t);
    nsp = n;
  }
  if (has(CLONE.FS) && t.fs.users > 1) {
    t.fs.users--;
    t.fs = t.fs.copy();
  }
  if (has(CLONE.FILES) && t.files.users > 1) {
    t.files.users--;
    t.files = t.files.copy();
  }
  if (nsp !== t.nsproxy) {
    nsp.get();
    t.nsproxy.put();
    t.nsproxy = nsp;
    if (has(CLONE.NEWNS)) t.fs.root = nsp.mnt.root;
  }
  return 0;
};

/** EUSERS (87): not in @bpfsim/uapi's errno list. */
const EUSERS = 87;

/** The CLONE_NEW* flag naming each namespace type (setns's nstype). */
const NSTYPE: Record<string, number> = { mnt: CLONE.NEWNS, uts: CLONE.NEWUTS, ipc: CLONE.NEWIPC, net: CLONE.NEWNET, pid: CLONE.NEWPID, cgroup: CLONE.NEWCGROUP, time: CLONE.NEWTIME, user: CLONE.NEWUSER };

/**
 * setns(fd, nstype) with a /proc/PID/ns/* descriptor (kernel/nsproxy.c and
 * each namespace's install): EBADF, EINVAL for a non-namespace file or a type
 * mismatch, EPERM without CAP_SYS_ADMIN. A pid namespace may only be the
 * caller's own or a descendant, and becomes where its children live.
 */
const setns: SysHandler = (c, a) => {
  const f = c.t.files.get(a[0] | 0);
  if (!f) return -Errno.EBADF;
  const ns = f.inode.ns as NsCommon | undefined;
  if (!ns) return -Errno.EINVAL;
  const want = a[1] >>> 0;
  if (want && want !== NSTYPE[ns.type]) return -Errno.EINVAL;
  const t = c.t;
  if (!t.cred.capable(CAP.SYS_ADMIN)) return -Errno.EPERM;
  const cur = t.nsproxy;
  const set: NsSet = { mnt: cur.mnt, uts: cur.uts, ipc: cur.ipc, net: cur.net, cgroup: cur.cgroup, time: cur.time, timeForChildren: cur.timeForChildren, pidForChildren: cur.pidForChildren };
  switch (ns.type) {
    case 'pid': {
      const target = ns as PidNamespace;
      const active = t.pidNamespace;
      if (target.level < active.level || !active.isAncestorOf(target)) return -Errno.EINVAL;
      set.pidForChildren = target;
      break;
    }
    case 'mnt':
      if (!t.cred.capable(CAP.SYS_CHROOT)) return -Errno.EPERM;
      if (t.fs.users > 1) return -Errno.EINVAL;
      set.mnt = ns as MntNamespace;
      break;
    case 'uts':
      set.uts = ns as UtsNamespace;
      break;
    case 'time':
      // timens_install: a multi-threaded process cannot change its time namespace.
      if (t.signal.threads.filter((x) => x.alive).length > 1) return -EUSERS;
      set.timeForChildren = ns as SimpleNamespace;
      break;
    default:
      (set as unknown as Record<string, NsCommon>)[ns.type] = ns;
  }
  const n = new NsProxy(set).get();
  cur.put();
  t.nsproxy = n;
  if (ns.type === 'mnt') t.fs.root = t.fs.pwd = n.mnt.root;
  return 0;
};

export const nsSyscalls: Record<string, SysHandler> = { unshare, setns };
