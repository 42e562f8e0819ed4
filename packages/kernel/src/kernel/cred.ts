/**
 * Credentials (include/linux/cred.h, kernel/cred.c) and the setuid/setgid rules
 * (kernel/sys.c with commoncap's cap_task_fix_setuid). Creds are immutable:
 * changing one makes a new object (prepare_creds/commit_creds), so a thread
 * that forked keeps its own.
 */
import { Errno } from '@bpfsim/uapi';

/** Capability numbers used by the model (include/uapi/linux/capability.h). */
export const CAP = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  DAC_READ_SEARCH: 2,
  FOWNER: 3,
  FSETID: 4,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SYS_CHROOT: 18,
  SYS_PTRACE: 19,
  SYS_ADMIN: 21,
  SYS_RESOURCE: 24,
  CHECKPOINT_RESTORE: 40,
} as const;
/** CAP_LAST_CAP in 6.18 is CAP_CHECKPOINT_RESTORE (40). */
export const CAP_LAST_CAP = 40;
export const CAP_FULL_SET = (1n << BigInt(CAP_LAST_CAP + 1)) - 1n;

/** (uid_t)-1: "leave unchanged" for setre*id, invalid for setuid. */
export const INVALID_ID = 0xffffffff;

export interface CredFields {
  uid: number;
  gid: number;
  suid: number;
  sgid: number;
  euid: number;
  egid: number;
  fsuid: number;
  fsgid: number;
  capInheritable: bigint;
  capPermitted: bigint;
  capEffective: bigint;
  capBset: bigint;
  capAmbient: bigint;
  groups: readonly number[];
}

export class Cred implements Readonly<CredFields> {
  readonly uid!: number;
  readonly gid!: number;
  readonly suid!: number;
  readonly sgid!: number;
  readonly euid!: number;
  readonly egid!: number;
  readonly fsuid!: number;
  readonly fsgid!: number;
  readonly capInheritable!: bigint;
  readonly capPermitted!: bigint;
  readonly capEffective!: bigint;
  readonly capBset!: bigint;
  readonly capAmbient!: bigint;
  readonly groups!: readonly number[];
  constructor(f: CredFields) {
    Object.assign(this, f);
    Object.freeze(this);
  }

  /** init_cred: root with every capability. */
  static root(): Cred {
    return new Cred({ uid: 0, gid: 0, suid: 0, sgid: 0, euid: 0, egid: 0, fsuid: 0, fsgid: 0, capInheritable: 0n, capPermitted: CAP_FULL_SET, capEffective: CAP_FULL_SET, capBset: CAP_FULL_SET, capAmbient: 0n, groups: [] });
  }

  /** An unprivileged user's creds as login would set them. */
  static user(uid: number, gid: number): Cred {
    return new Cred({ uid, gid, suid: uid, sgid: gid, euid: uid, egid: gid, fsuid: uid, fsgid: gid, capInheritable: 0n, capPermitted: 0n, capEffective: 0n, capBset: CAP_FULL_SET, capAmbient: 0n, groups: [] });
  }

  with(changes: Partial<CredFields>): Cred {
    return new Cred({ ...this, ...changes });
  }

  capable(cap: number): boolean {
    return (this.capEffective & (1n << BigInt(cap))) !== 0n;
  }

  inGroup(gid: number): boolean {
    return gid === this.fsgid || this.groups.includes(gid);
  }
}

/** cap_task_fix_setuid for the set*uid family (no SECBIT_KEEP_CAPS / NO_SETUID_FIXUP modelled). */
function fixSetuid(old: Cred, n: Cred): Cred {
  let c = n;
  const hadRoot = old.uid === 0 || old.euid === 0 || old.suid === 0;
  if (hadRoot && c.uid !== 0 && c.euid !== 0 && c.suid !== 0) c = c.with({ capPermitted: 0n, capEffective: 0n, capAmbient: 0n });
  if (old.euid === 0 && c.euid !== 0) c = c.with({ capEffective: 0n });
  if (old.euid !== 0 && c.euid === 0) c = c.with({ capEffective: c.capPermitted });
  // fsuid follows euid and its capability effects.
  return c;
}

/** __sys_setuid: a new Cred or -errno. */
export function setuid(old: Cred, uid: number): Cred | number {
  uid >>>= 0;
  if (uid === INVALID_ID) return -Errno.EINVAL;
  let n: Cred;
  if (old.capable(CAP.SETUID)) n = old.with({ uid, euid: uid, suid: uid, fsuid: uid });
  else if (uid === old.uid || uid === old.suid) n = old.with({ euid: uid, fsuid: uid });
  else return -Errno.EPERM;
  return fixSetuid(old, n);
}

/** __sys_setgid. */
export function setgid(old: Cred, gid: number): Cred | number {
  gid >>>= 0;
  if (gid === INVALID_ID) return -Errno.EINVAL;
  if (old.capable(CAP.SETGID)) return old.with({ gid, egid: gid, sgid: gid, fsgid: gid });
  if (gid === old.gid || gid === old.sgid) return old.with({ egid: gid, fsgid: gid });
  return -Errno.EPERM;
}
