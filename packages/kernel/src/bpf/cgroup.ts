/**
 * Programs attached to cgroups (kernel/bpf/cgroup.c): per cgroup and attach
 * type a list of programs and the flags they were attached with (none,
 * BPF_F_ALLOW_OVERRIDE or BPF_F_ALLOW_MULTI), and the effective array the hook
 * runs — the cgroup's own programs, then each ancestor's as long as nothing was
 * found yet or the ancestor allows multiple programs (compute_effective_progs).
 * The checks of __cgroup_bpf_attach / __cgroup_bpf_detach / __cgroup_bpf_query
 * are the kernel's, in its order. Running the effective programs is the hooks'
 * business (sockets, sysctl, devices).
 */
import { BpfAttachType as A, BpfProgType as T, Errno } from '@bpfsim/uapi';
import type { Cgroup } from '../cgroup/cgroup';

export const BPF_F_ALLOW_OVERRIDE = 1;
export const BPF_F_ALLOW_MULTI = 2;
export const BPF_F_REPLACE = 4;
export const BPF_F_QUERY_EFFECTIVE = 1;
/** BPF_CGROUP_MAX_PROGS. */
export const BPF_CGROUP_MAX_PROGS = 64;

/** What the cgroup hooks need of a program. */
export interface CgroupProg {
  readonly id: number;
  readonly type: number;
  readonly expectedAttachType: number;
}

/** attach_type_to_prog_type for the cgroup attach types (data). */
export const CGROUP_ATTACH_PROG_TYPE: Readonly<Record<number, number>> = {
  [A.CGROUP_INET_INGRESS]: T.CGROUP_SKB, [A.CGROUP_INET_EGRESS]: T.CGROUP_SKB,
  [A.CGROUP_INET_SOCK_CREATE]: T.CGROUP_SOCK, [A.CGROUP_INET_SOCK_RELEASE]: T.CGROUP_SOCK,
  [A.CGROUP_INET4_POST_BIND]: T.CGROUP_SOCK, [A.CGROUP_INET6_POST_BIND]: T.CGROUP_SOCK,
  [A.CGROUP_SOCK_OPS]: T.SOCK_OPS, [A.CGROUP_DEVICE]: T.CGROUP_DEVICE, [A.CGROUP_SYSCTL]: T.CGROUP_SYSCTL,
  [A.CGROUP_GETSOCKOPT]: T.CGROUP_SOCKOPT, [A.CGROUP_SETSOCKOPT]: T.CGROUP_SOCKOPT,
  [A.CGROUP_INET4_BIND]: T.CGROUP_SOCK_ADDR, [A.CGROUP_INET6_BIND]: T.CGROUP_SOCK_ADDR,
  [A.CGROUP_INET4_CONNECT]: T.CGROUP_SOCK_ADDR, [A.CGROUP_INET6_CONNECT]: T.CGROUP_SOCK_ADDR,
  [A.CGROUP_UDP4_SENDMSG]: T.CGROUP_SOCK_ADDR, [A.CGROUP_UDP6_SENDMSG]: T.CGROUP_SOCK_ADDR,
  [A.CGROUP_UDP4_RECVMSG]: T.CGROUP_SOCK_ADDR, [A.CGROUP_UDP6_RECVMSG]: T.CGROUP_SOCK_ADDR,
  [A.CGROUP_INET4_GETPEERNAME]: T.CGROUP_SOCK_ADDR, [A.CGROUP_INET6_GETPEERNAME]: T.CGROUP_SOCK_ADDR,
  [A.CGROUP_INET4_GETSOCKNAME]: T.CGROUP_SOCK_ADDR, [A.CGROUP_INET6_GETSOCKNAME]: T.CGROUP_SOCK_ADDR,
  [A.CGROUP_UNIX_CONNECT]: T.CGROUP_SOCK_ADDR, [A.CGROUP_UNIX_SENDMSG]: T.CGROUP_SOCK_ADDR, [A.CGROUP_UNIX_RECVMSG]: T.CGROUP_SOCK_ADDR,
  [A.CGROUP_UNIX_GETPEERNAME]: T.CGROUP_SOCK_ADDR, [A.CGROUP_UNIX_GETSOCKNAME]: T.CGROUP_SOCK_ADDR,
};

/** bpf_prog_attach_check_attach_type: these program types must have been loaded for the attach type. */
const EXACT_ATTACH_TYPE: ReadonlySet<number> = new Set([T.CGROUP_SOCK, T.CGROUP_SOCK_ADDR, T.CGROUP_SOCKOPT]);

/** The checks bpf_prog_attach makes before the cgroup's: 0 or -EINVAL. */
export function checkCgroupAttachType(prog: CgroupProg, attachType: number): number {
  const ptype = CGROUP_ATTACH_PROG_TYPE[attachType];
  if (ptype === undefined || prog.type !== ptype) return -Errno.EINVAL;
  if (EXACT_ATTACH_TYPE.has(ptype) && prog.expectedAttachType !== attachType) return -Errno.EINVAL;
  return 0;
}

export class CgroupBpf {
  /** Attached programs per attach type, in attach order. */
  private readonly progs = new Map<number, CgroupProg[]>();
  private readonly flags = new Map<number, number>();
  /** Effective arrays per attach type (recomputed on every change in this cgroup or above). */
  private readonly effective = new Map<number, CgroupProg[]>();
  /** Changes to this cgroup's attachments (query.revision). */
  revision = 1;

  constructor(private readonly cg: Cgroup) {}

  /** A new cgroup inherits its ancestors' effective programs (cgroup_bpf_inherit). */
  inherit(): void {
    for (const at of this.attachTypesAbove()) this.effective.set(at, this.compute(at));
  }
  release(): void {
    this.progs.clear();
    this.effective.clear();
  }

  private list(at: number): CgroupProg[] {
    let l = this.progs.get(at);
    if (!l) this.progs.set(at, (l = []));
    return l;
  }
  flagsOf(at: number): number {
    return this.flags.get(at) ?? 0;
  }

  private attachTypesAbove(): number[] {
    const s = new Set<number>();
    for (const p of this.cg.upward()) for (const [at, l] of p.bpf.progs) if (l.length) s.add(at);
    return [...s].sort((a, b) => a - b);
  }

  /** compute_effective_progs. */
  private compute(at: number): CgroupProg[] {
    const out: CgroupProg[] = [];
    for (const p of this.cg.upward()) {
      if (out.length > 0 && !(p.bpf.flagsOf(at) & BPF_F_ALLOW_MULTI)) continue;
      out.push(...(p.bpf.progs.get(at) ?? []));
    }
    return out;
  }
  /** update_effective_progs: this cgroup and every descendant. */
  private update(at: number): void {
    for (const d of this.cg.subtree()) d.bpf.effective.set(at, d.bpf.compute(at));
  }

  /** The programs a hook of `at` runs for a task of this cgroup, in order. */
  effectiveProgs(at: number): readonly CgroupProg[] {
    return this.effective.get(at) ?? [];
  }

  /** hierarchy_allows_attach: the nearest ancestor with a program must allow override or multi. */
  private hierarchyAllows(at: number): boolean {
    for (let p = this.cg.parent; p; p = p.parent) {
      const f = p.bpf.flagsOf(at);
      if (f & BPF_F_ALLOW_MULTI) return true;
      if ((p.bpf.progs.get(at)?.length ?? 0) === 1) return !!(f & BPF_F_ALLOW_OVERRIDE);
    }
    return true;
  }

  /** __cgroup_bpf_attach. */
  attach(prog: CgroupProg, at: number, flags: number, replace?: CgroupProg): number {
    const saved = flags & (BPF_F_ALLOW_OVERRIDE | BPF_F_ALLOW_MULTI);
    if ((flags & BPF_F_ALLOW_OVERRIDE && flags & BPF_F_ALLOW_MULTI) || (flags & BPF_F_REPLACE && !(flags & BPF_F_ALLOW_MULTI))) return -Errno.EINVAL;
    if (!!replace !== !!(flags & BPF_F_REPLACE)) return -Errno.EINVAL;
    const progs = this.list(at);
    if (!this.hierarchyAllows(at)) return -Errno.EPERM;
    if (progs.length && this.flagsOf(at) !== saved) return -Errno.EPERM;
    if (progs.length >= BPF_CGROUP_MAX_PROGS) return -Errno.E2BIG;
    // find_attach_entry: without multi the one program is replaced; with it, a second copy is refused.
    let slot = -1;
    if (!(flags & BPF_F_ALLOW_MULTI)) slot = progs.length ? 0 : -1;
    else {
      if (progs.some((p) => p === prog && p !== replace)) return -Errno.EINVAL;
      if (replace) {
        slot = progs.indexOf(replace);
        if (slot < 0) return -Errno.ENOENT;
      }
    }
    if (slot >= 0) progs[slot] = prog;
    else progs.push(prog);
    this.flags.set(at, saved);
    this.revision++;
    this.update(at);
    return 0;
  }

  /** __cgroup_bpf_detach; `prog` undefined when the fd was not a program of the type (legacy detach). */
  detach(prog: CgroupProg | undefined, at: number): number {
    const progs = this.list(at);
    if (!progs.length) return -Errno.ENOENT;
    let i = 0;
    if (this.flagsOf(at) & BPF_F_ALLOW_MULTI) {
      if (!prog) return -Errno.EINVAL;
      i = progs.indexOf(prog);
      if (i < 0) return -Errno.ENOENT;
    }
    progs.splice(i, 1);
    if (!progs.length) this.flags.set(at, 0);
    this.revision++;
    this.update(at);
    return 0;
  }

  /** __cgroup_bpf_query: attach flags (0 for an effective query), the count and up to `max` ids (ENOSPC when cut). */
  query(at: number, queryFlags: number, max: number): { ret: number; attachFlags: number; progCnt: number; progIds: number[]; revision: number } {
    const eff = (queryFlags & BPF_F_QUERY_EFFECTIVE) !== 0;
    const list = eff ? this.effectiveProgs(at) : this.progs.get(at) ?? [];
    const ids = list.map((p) => p.id);
    const base = { attachFlags: eff ? 0 : this.flagsOf(at), progCnt: ids.length, revision: this.revision };
    if (max === 0 || !ids.length) return { ret: 0, ...base, progIds: [] };
    if (max < ids.length) return { ret: -Errno.ENOSPC, ...base, progIds: ids.slice(0, max) };
    return { ret: 0, ...base, progIds: ids };
  }
}

// ---- the bpf() commands (kernel/bpf/syscall.c bpf_prog_attach / bpf_prog_detach / bpf_prog_query) ----

/** What a bpf fd of kind 'cgroup' holds: the cgroup of an opened cgroup2 directory (undefined: an fd to anything else). */
export interface CgroupFdRef {
  readonly id: number;
  readonly cgroup: Cgroup | undefined;
}

export interface ProgAttachAttr {
  targetFd: number;
  attachBpfFd: number;
  attachType: number;
  attachFlags?: number;
  replaceBpfFd?: number;
}
export interface ProgQueryAttr {
  targetFd: number;
  attachType: number;
  queryFlags?: number;
  /** query.prog_cnt: room for this many ids (0: just the count and flags). */
  progCnt?: number;
}
export interface ProgQueryResult {
  ret: number;
  attachFlags?: number;
  progCnt?: number;
  progIds?: number[];
  revision?: number;
}

/** The bpf fd table as these commands see it. */
export interface CgroupBpfFds {
  prog(fd: number): CgroupProg | undefined;
  /** The cgroup behind fd, -EBADF for a closed fd or one that is not a cgroup2 directory (cgroup_get_from_fd). */
  cgroup(fd: number): Cgroup | number;
}

/** BPF_F_ATTACH_MASK_BASE. */
const ATTACH_MASK = BPF_F_ALLOW_OVERRIDE | BPF_F_ALLOW_MULTI | BPF_F_REPLACE;

/** bpf_prog_get_type: EBADF for no program, EINVAL for one of another type. */
function progOfType(fds: CgroupBpfFds, fd: number, ptype: number): CgroupProg | number {
  const p = fds.prog(fd);
  if (!p) return -Errno.EBADF;
  return p.type === ptype ? p : -Errno.EINVAL;
}

export function cgroupProgAttach(fds: CgroupBpfFds, a: ProgAttachAttr): number {
  const ptype = CGROUP_ATTACH_PROG_TYPE[a.attachType];
  if (ptype === undefined) return -Errno.EINVAL;
  const flags = a.attachFlags ?? 0;
  if (flags & ~ATTACH_MASK) return -Errno.EINVAL;
  const prog = progOfType(fds, a.attachBpfFd, ptype);
  if (typeof prog === 'number') return prog;
  if (checkCgroupAttachType(prog, a.attachType)) return -Errno.EINVAL;
  const cg = fds.cgroup(a.targetFd);
  if (typeof cg === 'number') return cg;
  let replace: CgroupProg | undefined;
  if (flags & BPF_F_ALLOW_MULTI && flags & BPF_F_REPLACE) {
    const r = progOfType(fds, a.replaceBpfFd ?? 0, ptype);
    if (typeof r === 'number') return r;
    replace = r;
  }
  return cg.bpf.attach(prog, a.attachType, flags, replace);
}

export function cgroupProgDetach(fds: CgroupBpfFds, a: ProgAttachAttr): number {
  const ptype = CGROUP_ATTACH_PROG_TYPE[a.attachType];
  if (ptype === undefined) return -Errno.EINVAL;
  const cg = fds.cgroup(a.targetFd);
  if (typeof cg === 'number') return cg;
  const prog = progOfType(fds, a.attachBpfFd, ptype);
  return cg.bpf.detach(typeof prog === 'number' ? undefined : prog, a.attachType);
}

export function cgroupProgQuery(fds: CgroupBpfFds, a: ProgQueryAttr): ProgQueryResult {
  if ((a.queryFlags ?? 0) & ~BPF_F_QUERY_EFFECTIVE) return { ret: -Errno.EINVAL };
  if (CGROUP_ATTACH_PROG_TYPE[a.attachType] === undefined) return { ret: -Errno.EINVAL };
  const cg = fds.cgroup(a.targetFd);
  if (typeof cg === 'number') return { ret: cg };
  return cg.bpf.query(a.attachType, a.queryFlags ?? 0, a.progCnt ?? 0);
}

// ---- cgroup_device (__cgroup_bpf_check_dev_permission) ----

/** BPF_DEVCG_ACC_* and BPF_DEVCG_DEV_* (include/uapi/linux/bpf.h). */
export const DEVCG_ACC = { MKNOD: 1, READ: 2, WRITE: 4 } as const;
export const DEVCG_DEV = { BLOCK: 1, CHAR: 2 } as const;

/** new_decode_dev: major and minor of a device number as stat's st_rdev and mknod's dev carry it. */
export function decodeDev(dev: number): { major: number; minor: number } {
  return { major: (dev & 0xfff00) >>> 8, minor: (dev & 0xff) | ((dev >>> 12) & 0xfff00) };
}

/**
 * The task's cgroup's effective CGROUP_DEVICE programs run on struct bpf_cgroup_dev_ctx
 * { access_type = access << 16 | type, major, minor }; one answering 0 makes it -EPERM.
 */
export function checkDevPermission(cg: Cgroup | undefined, run: ((prog: unknown, ctx: Uint8Array, struct: string, hook: string) => bigint) | undefined, type: number, major: number, minor: number, access: number): number {
  if (!cg || !run) return 0;
  const progs = cg.bpf.effectiveProgs(A.CGROUP_DEVICE);
  if (!progs.length) return 0;
  const ctx = new Uint8Array(12);
  const dv = new DataView(ctx.buffer);
  dv.setUint32(0, (access << 16) | type, true);
  dv.setUint32(4, major, true);
  dv.setUint32(8, minor, true);
  let ret = 0;
  for (const p of progs) if (!(run(p, ctx.slice(), 'bpf_cgroup_dev_ctx', `cgroup_device:${cg.id}`) & 1n)) ret = -Errno.EPERM;
  return ret;
}
