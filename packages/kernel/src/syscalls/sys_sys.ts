/**
 * kernel/sys.c: credentials (get/set uid/gid), uname and the host and domain
 * names of the caller's UTS namespace, and prctl.
 */
import { utf8Decode } from '../kernel/utf8';
import { Errno } from '@bpfsim/uapi';
import { CAP, CAP_LAST_CAP, setgid, setuid } from '../kernel/cred';
import { validSignal } from '../kernel/signal';
import { TASK_COMM_LEN } from '../kernel/task_struct';
import { NEW_UTS_LEN, type UtsName } from '../ns/uts_namespace';
import { fromUser, le32, toUser, type SysCtx, type SysHandler } from './context';

const enc = new TextEncoder();

function utsField(s: string): Uint8Array {
  const b = new Uint8Array(NEW_UTS_LEN + 1);
  b.set(enc.encode(s).subarray(0, NEW_UTS_LEN));
  return b;
}

const setName = (field: keyof UtsName): SysHandler => (c, a) => {
  if (!c.t.cred.capable(CAP.SYS_ADMIN)) return -Errno.EPERM;
  const len = a[1] | 0;
  if (len < 0 || len > NEW_UTS_LEN) return -Errno.EINVAL;
  const b = fromUser(c, a[0], len);
  if (typeof b === 'number') return b;
  c.t.nsproxy.uts.name[field] = utf8Decode(b.indexOf(0) >= 0 ? b.subarray(0, b.indexOf(0)) : b);
  return 0;
};

function commSet(c: SysCtx, addr: number): number {
  // strncpy_from_user of at most 15 bytes: a longer name is cut, never an error.
  const raw = c.t.mm?.copyFromUser(BigInt(addr), 1);
  if (!raw) return -Errno.EFAULT;
  const bytes: number[] = [];
  for (let i = 0; i < TASK_COMM_LEN - 1; i++) {
    const b = c.t.mm!.copyFromUser(BigInt(addr + i), 1);
    if (!b) return -Errno.EFAULT;
    if (b[0] === 0) break;
    bytes.push(b[0]);
  }
  c.t.comm = utf8Decode(new Uint8Array(bytes));
  return 0;
}

/** prctl options (include/uapi/linux/prctl.h). */
export const PR = { SET_PDEATHSIG: 1, GET_PDEATHSIG: 2, GET_DUMPABLE: 3, SET_DUMPABLE: 4, CAPBSET_READ: 23, SET_NAME: 15, GET_NAME: 16, SET_CHILD_SUBREAPER: 36, GET_CHILD_SUBREAPER: 37 } as const;

const prctl: SysHandler = (c, a) => {
  switch (a[0]) {
    case PR.SET_PDEATHSIG:
      if (!validSignal(a[1])) return -Errno.EINVAL;
      c.t.pdeathSignal = a[1];
      return 0;
    case PR.GET_PDEATHSIG:
      return toUser(c, a[1], le32(c.t.pdeathSignal));
    case PR.SET_NAME:
      return commSet(c, a[1]);
    case PR.GET_NAME: {
      const b = new Uint8Array(TASK_COMM_LEN);
      b.set(enc.encode(c.t.comm));
      return toUser(c, a[1], b);
    }
    case PR.GET_DUMPABLE:
      return c.t.mm?.dumpable ?? 0;
    case PR.SET_DUMPABLE:
      // Only SUID_DUMP_DISABLE (0) and SUID_DUMP_USER (1) may be set.
      if (a[1] !== 0 && a[1] !== 1) return -Errno.EINVAL;
      if (c.t.mm) c.t.mm.dumpable = a[1];
      return 0;
    case PR.CAPBSET_READ:
      if (a[1] < 0 || a[1] > CAP_LAST_CAP) return -Errno.EINVAL;
      return (c.t.cred.capBset >> BigInt(a[1])) & 1n ? 1 : 0;
    case PR.SET_CHILD_SUBREAPER:
      c.t.signal.isChildSubreaper = a[1] !== 0;
      if (a[1]) for (const d of descendants(c.t)) d.signal.hasChildSubreaper = true;
      return 0;
    case PR.GET_CHILD_SUBREAPER:
      return toUser(c, a[1], le32(c.t.signal.isChildSubreaper ? 1 : 0));
    default:
      return -Errno.EINVAL;
  }
};

/** Every process below `t` (PR_SET_CHILD_SUBREAPER marks them so orphans search upward). */
function descendants(t: SysCtx['t']): SysCtx['t'][] {
  const out: SysCtx['t'][] = [];
  const walk = (p: SysCtx['t']): void => {
    for (const th of p.signal.threads) for (const ch of th.children) if (!out.includes(ch)) {
      out.push(ch);
      walk(ch);
    }
  };
  walk(t);
  return out;
}

/** do_sysinfo: uptime from CLOCK_BOOTTIME; memory figures of the simulated machine (2 GiB, mem_unit 1). */
const sysinfo: SysHandler = (c, a) => {
  const b = new Uint8Array(112);
  const dv = new DataView(b.buffer);
  const up = c.w.clock.boottimeNs;
  dv.setBigInt64(0, up / 1_000_000_000n + (up % 1_000_000_000n ? 1n : 0n), true);
  const ram = 2n << 30n;
  dv.setBigUint64(32, ram, true); // totalram
  dv.setBigUint64(40, ram, true); // freeram
  dv.setUint16(80, Math.min(c.w.allTasks().length, 0xffff), true); // procs
  dv.setUint32(104, 1, true); // mem_unit
  return toUser(c, a[0], b);
};

export const sysSyscalls: Record<string, SysHandler> = {
  sysinfo,
  getuid: (c) => c.t.cred.uid,
  geteuid: (c) => c.t.cred.euid,
  getgid: (c) => c.t.cred.gid,
  getegid: (c) => c.t.cred.egid,
  setuid: (c, a) => {
    const n = setuid(c.t.cred, a[0]);
    if (typeof n === 'number') return n;
    c.t.cred = n;
    return 0;
  },
  setgid: (c, a) => {
    const n = setgid(c.t.cred, a[0]);
    if (typeof n === 'number') return n;
    c.t.cred = n;
    return 0;
  },
  uname: (c, a) => {
    const n = c.t.nsproxy.uts.name;
    const out = new Uint8Array((NEW_UTS_LEN + 1) * 6);
    [n.sysname, n.nodename, n.release, n.version, n.machine, n.domainname].forEach((s, i) => out.set(utsField(s), i * (NEW_UTS_LEN + 1)));
    return toUser(c, a[0], out);
  },
  sethostname: setName('nodename'),
  setdomainname: setName('domainname'),
  prctl,
};
