/**
 * Comparing the model's result of one call with the recorded one: the return value or errno
 * name, and for the out-parameters strace shows (bytes read, stat structs, directory entries,
 * pipe fds) what the log shows of them. Returns undefined on a match, else what differs.
 */
import type { SyscallResult } from '@bpfsim/kernel';
import type { StraceCall } from './events';
import type { StraceValue } from './ast';
import { ERRNO } from './constants';
import { bytesOf, field, numOf, recordedStat } from './world';

export interface CompareCtx {
  /** Inode numbers the replay seeded from the log: only these are compared (others are the model's own). */
  seededInos: ReadonlySet<number>;
}

const ERRNO_NAME = new Map(Object.entries(ERRNO).map(([k, v]) => [v, k]));

export function describeRet(ret: number): string {
  if (ret < 0 && ret >= -4095) return `-1 ${ERRNO_NAME.get(-ret) ?? `errno ${-ret}`}`;
  return ret >= 0x1000 ? `0x${ret.toString(16)}` : String(ret);
}

export function compareResult(c: StraceCall, ret: number, res: SyscallResult | undefined, ctx: CompareCtx): string | undefined {
  const r = c.result!;
  if (r.errno) {
    const want = ERRNO[r.errno];
    if (want === undefined) return `unknown errno ${r.errno}`;
    // ERESTART*: the kernel-internal code strace sees; the process sees EINTR or a restarted call.
    if (r.errno.startsWith('ERESTART') && ret === -ERRNO.EINTR) return undefined;
    // A call strace saw interrupted for a restart: the model must at least have been interrupted.
    if (ret !== -want) return `returned ${describeRet(ret)}, recorded ${r.text}`;
    return undefined;
  }
  if (r.value === undefined) return undefined;
  if (BigInt(ret) !== r.value) return `returned ${describeRet(ret)}, recorded ${r.text}`;
  if (!res || ret < 0) return undefined;
  return compareOuts(c, ret, res, ctx);
}

const OUT_INDEX: Record<string, number> = {
  read: 1, pread64: 1, getdents64: 1, readlink: 1, readlinkat: 2, getcwd: 0, newfstatat: 2, fstat: 1, stat: 1, lstat: 1, pipe2: 0, pipe: 0, getrandom: 0,
};

function compareOuts(c: StraceCall, ret: number, res: SyscallResult, ctx: CompareCtx): string | undefined {
  const idx = OUT_INDEX[c.name];
  if (idx === undefined) return undefined;
  const shown = c.args[idx]?.value;
  const out = res.outs[0];
  if (!shown || !out) return undefined;
  switch (c.name) {
    case 'read': case 'pread64': case 'readlink': case 'readlinkat': case 'getcwd': case 'getrandom': {
      if (shown.kind !== 'str') return undefined;
      const want = bytesOf(shown.value);
      const n = c.name === 'getcwd' ? Math.min(want.length, ret) : Math.min(want.length, ret);
      for (let i = 0; i < n; i++) if (out[i] !== want[i]) return `bytes differ at offset ${i} (0x${out[i].toString(16)} vs recorded 0x${want[i].toString(16)})`;
      return undefined;
    }
    case 'newfstatat': case 'fstat': case 'stat': case 'lstat':
      return compareStat(shown, out, ctx);
    case 'pipe': case 'pipe2': {
      if (shown.kind !== 'array') return undefined;
      const dv = new DataView(out.buffer, out.byteOffset);
      const got = [dv.getInt32(0, true), dv.getInt32(4, true)];
      const want = shown.items.map((v) => numOf(v));
      return got[0] === want[0] && got[1] === want[1] ? undefined : `fds [${got}] vs recorded [${want}]`;
    }
    case 'getdents64':
      return compareDirents(shown, out.subarray(0, ret), ctx);
  }
  return undefined;
}

/** The stat fields the model owns: type and mode, owner, links, size, device; the inode number for seeded files. Times are pinned inputs. */
function compareStat(shown: StraceValue, out: Uint8Array, ctx: CompareCtx): string | undefined {
  const want = recordedStat(shown);
  if (!want) return undefined;
  const dv = new DataView(out.buffer, out.byteOffset);
  const got = {
    dev: Number(dv.getBigUint64(0, true)), ino: Number(dv.getBigUint64(8, true)), nlink: Number(dv.getBigUint64(16, true)),
    mode: dv.getUint32(24, true), uid: dv.getUint32(28, true), gid: dv.getUint32(32, true), size: Number(dv.getBigInt64(48, true)),
  };
  const diffs: string[] = [];
  for (const k of ['mode', 'uid', 'gid', 'nlink', 'size', 'dev'] as const) if (got[k] !== want[k]) diffs.push(`st_${k} ${got[k].toString(k === 'mode' ? 8 : 10)} vs ${want[k].toString(k === 'mode' ? 8 : 10)}`);
  if ((ctx.seededInos.has(want.ino) || ctx.seededInos.has(got.ino)) && got.ino !== want.ino) diffs.push(`st_ino ${got.ino} vs ${want.ino}`);
  return diffs.length ? diffs.join(', ') : undefined;
}

/** Directory entries as a set of (name, type, inode): the order and d_off are the recorded file system's hash order. */
function compareDirents(shown: StraceValue, out: Uint8Array, ctx: CompareCtx): string | undefined {
  if (shown.kind !== 'array') return undefined;
  const dv = new DataView(out.buffer, out.byteOffset, out.length);
  const got = new Map<string, [number, number]>();
  for (let off = 0; off + 19 <= out.length; ) {
    const ino = Number(dv.getBigUint64(off, true));
    const reclen = dv.getUint16(off + 16, true);
    const type = out[off + 18];
    const end = out.indexOf(0, off + 19);
    got.set(Buffer.from(out.subarray(off + 19, end)).toString('latin1'), [ino, type]);
    if (reclen === 0) break;
    off += reclen;
  }
  const DT: Record<string, number> = { DT_UNKNOWN: 0, DT_FIFO: 1, DT_CHR: 2, DT_DIR: 4, DT_BLK: 6, DT_REG: 8, DT_LNK: 10, DT_SOCK: 12 };
  for (const it of shown.items) {
    if (it.kind !== 'struct') continue;
    const nm = field(it, 'd_name');
    const ty = field(it, 'd_type');
    if (nm?.kind !== 'str') continue;
    const g = got.get(nm.value);
    if (!g) return `entry "${nm.value}" missing`;
    const wantType = ty?.kind === 'ident' ? DT[ty.name] : undefined;
    if (wantType !== undefined && g[1] !== wantType) return `entry "${nm.value}" type ${g[1]} vs ${wantType}`;
    const wantIno = numOf(field(it, 'd_ino'));
    if (wantIno !== undefined && ctx.seededInos.has(wantIno) && g[0] !== wantIno) return `entry "${nm.value}" d_ino ${g[0]} vs ${wantIno}`;
    got.delete(nm.value);
  }
  if (got.size) return `extra entries ${[...got.keys()].join(', ')}`;
  return undefined;
}
