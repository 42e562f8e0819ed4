/**
 * Map events as a user's process makes them: bpf(BPF_MAP_*_ELEM, &attr, 32)
 * by a simulated process, its attr, key and value in that process's memory
 * (an anonymous mapping it made for them, as a program's buffers would be).
 * The same bpf() path a recorded program's calls take; a program on
 * syscalls:sys_enter_bpf sees them.
 */
import { BpfCmd } from '@bpfsim/uapi';
import type { MapHandle, TaskStruct } from '@bpfsim/kernel';
import { ScenarioError, type Place } from './errors';
import type { ProcWorld } from './proc-world';

const ATTR_SIZE = 32;
const PROT_RW = 3;
const MAP_PRIVATE_ANON = 0x22;
const FLAG_NAMES = ['BPF_ANY', 'BPF_NOEXIST', 'BPF_EXIST'];

export type ElemCmd = 'MAP_LOOKUP_ELEM' | 'MAP_UPDATE_ELEM' | 'MAP_DELETE_ELEM';

const shortHex = (b: Uint8Array): string => {
  const h = Buffer.from(b.subarray(0, 16)).toString('hex').replace(/(..)(?!$)/g, '$1 ');
  return `[${h}${b.length > 16 ? ' ...' : ''}]`;
};

/** Buffers per process: [address, size] of the mapping its bpf() attrs live in. */
const buffers = new WeakMap<TaskStruct, { addr: bigint; size: number }>();

function bufferOf(pw: ProcWorld, ev: number, t: TaskStruct, need: number, at: Place): bigint {
  const b = buffers.get(t);
  if (b && b.size >= need) return b.addr;
  const size = Math.max(65536, Math.ceil(need / 4096) * 4096);
  const r = pw.sys(ev, t, 'mmap', [0, size, PROT_RW, MAP_PRIVATE_ANON, -1, 0], ['NULL', String(size), 'PROT_READ|PROT_WRITE', 'MAP_PRIVATE|MAP_ANONYMOUS', '-1', '0']);
  if (r.ret < 0) throw new ScenarioError(at, `mmap of a ${size}-byte buffer by ${t.describe()} failed (${r.ret})`);
  const addr = BigInt(r.ret);
  buffers.set(t, { addr, size });
  return addr;
}

/** One map element command; `ret` is 0 or -errno, `value` what a lookup copied out. */
export function bpfElem(pw: ProcWorld, ev: number, t: TaskStruct, cmd: ElemCmd, m: MapHandle, key: Uint8Array,
  value: Uint8Array | undefined, flags: number, at: Place): { ret: number; value?: Uint8Array } {
  const vsize = m.map.userValueSize;
  const base = bufferOf(pw, ev, t, ATTR_SIZE + key.length + vsize, at);
  const keyAddr = base + BigInt(ATTR_SIZE);
  const valAddr = keyAddr + BigInt(key.length);
  const attr = new Uint8Array(ATTR_SIZE);
  const dv = new DataView(attr.buffer);
  dv.setUint32(0, m.fd, true);
  dv.setBigUint64(8, key.length ? keyAddr : 0n, true);
  dv.setBigUint64(16, cmd === 'MAP_DELETE_ELEM' ? 0n : valAddr, true);
  dv.setBigUint64(24, BigInt(flags), true);
  // The process's own code filling its buffers: the one thing a simulated process does without a syscall.
  const mm = t.mm!;
  mm.copyToUser(base, attr);
  if (key.length) mm.copyToUser(keyAddr, key);
  if (value) mm.copyToUser(valAddr, value);
  const fields = [`map_fd=${m.fd}`, `key=${shortHex(key)}`];
  if (value) fields.push(`value=${shortHex(value)}`);
  if (cmd !== 'MAP_DELETE_ELEM') fields.push(`flags=${cmd === 'MAP_UPDATE_ELEM' ? FLAG_NAMES[flags] ?? String(flags) : String(flags)}`);
  const r = pw.sys(ev, t, 'bpf', [BpfCmd[cmd], Number(base), ATTR_SIZE], [`BPF_${cmd}`, `{${fields.join(', ')}}`, String(ATTR_SIZE)]);
  if (cmd !== 'MAP_LOOKUP_ELEM' || r.ret < 0) return { ret: r.ret };
  return { ret: r.ret, value: mm.copyFromUser(valAddr, vsize) };
}
