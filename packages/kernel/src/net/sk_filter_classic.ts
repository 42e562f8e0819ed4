/**
 * Classic BPF socket filters (SO_ATTACH_FILTER, net/core/filter.c: bpf_check_classic and the
 * classic instruction set the kernel converts to eBPF): checked as the kernel checks them
 * (1..4096 instructions, known opcodes, no division by a constant 0, scratch memory M[0..15],
 * jumps inside the program, a return last) and run on the packet: A, X and M[16]; loads by
 * absolute or X-relative offset from the filter's data start (SKF_NET_OFF and SKF_LL_OFF reach
 * the network and link headers), the packet length, the ancillary fields SKF_AD_PROTOCOL,
 * PKTTYPE, IFINDEX, MARK, HATYPE, VLAN_TAG(_PRESENT), CPU; a load past the end returns 0 (drop).
 */
import { BpfsimError } from '@bpfsim/uapi';

export interface ClassicInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const BPF_MAXINSNS = 4096, BPF_MEMWORDS = 16;
const SKF_AD_OFF = -0x1000, SKF_NET_OFF = -0x100000, SKF_LL_OFF = -0x200000;

/** struct sock_filter[] (8 bytes each: u16 code, u8 jt, u8 jf, u32 k) → instructions; bpf_check_classic's checks. */
export function parseClassic(bytes: Uint8Array): ClassicInsn[] {
  const n = bytes.length / 8;
  if (!Number.isInteger(n) || n === 0 || n > BPF_MAXINSNS) throw new BpfsimError('EINVAL', `classic BPF: ${n} instructions (1..${BPF_MAXINSNS})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const prog: ClassicInsn[] = [];
  for (let i = 0; i < n; i++) prog.push({ code: dv.getUint16(i * 8, true), jt: bytes[i * 8 + 2], jf: bytes[i * 8 + 3], k: dv.getUint32(i * 8 + 4, true) });
  prog.forEach((p, i) => {
    const cls = p.code & 7, bad = (why: string) => new BpfsimError('EINVAL', `classic BPF instruction ${i} (code 0x${p.code.toString(16)}): ${why}`);
    switch (cls) {
      case 0: case 1: { // LD, LDX
        const mode = p.code & 0xe0, size = p.code & 0x18;
        if (cls === 1 && ![0x00, 0x60, 0x80, 0xa0].includes(mode)) throw bad('bad LDX mode');
        if (cls === 1 && mode === 0xa0 && size !== 0x10) throw bad('MSH loads a byte');
        if (cls === 0 && ![0x00, 0x20, 0x40, 0x60, 0x80].includes(mode)) throw bad('bad LD mode');
        if (size === 0x18) throw bad('bad size');
        if (mode === 0x60 && p.k >= BPF_MEMWORDS) throw bad('scratch memory index');
        break;
      }
      case 2: case 3:
        if (p.code !== (cls === 2 ? 0x02 : 0x03)) throw bad('bad store');
        if (p.k >= BPF_MEMWORDS) throw bad('scratch memory index');
        break;
      case 4: {
        const op = p.code & 0xf0;
        if (op > 0xa0 || p.code & 0x07 & ~4) throw bad('bad ALU op');
        if ((op === 0x30 || op === 0x90) && !(p.code & 8) && p.k === 0) throw bad('division by zero');
        break;
      }
      case 5: {
        const op = p.code & 0xf0;
        if (op === 0) {
          if (p.code !== 0x05 || i + 1 + p.k >= n) throw bad('jump out of range');
        } else {
          if (op > 0x40) throw bad('bad jump');
          if (i + 1 + p.jt >= n || i + 1 + p.jf >= n) throw bad('jump out of range');
        }
        break;
      }
      case 6:
        if (![0x06, 0x0e, 0x16].includes(p.code)) throw bad('bad return');
        break;
      case 7:
        if (p.code !== 0x07 && p.code !== 0x87) throw bad('bad misc op');
        break;
    }
  });
  if ((prog[n - 1].code & 7) !== 6) throw new BpfsimError('EINVAL', 'classic BPF: the last instruction is not a return');
  return prog;
}

export interface ClassicPacket {
  /** The frame; offsets in it of the filter's data start, the network and link headers (-1: none). */
  frame: Uint8Array;
  data: number;
  nh: number;
  mac: number;
  protocol: number;
  pktType: number;
  ifindex: number;
  mark: number;
  hatype: number;
}

/** Run the filter; what it returns (the bytes to keep). */
export function runClassic(prog: readonly ClassicInsn[], p: ClassicPacket): number {
  let A = 0, X = 0;
  const M = new Uint32Array(BPF_MEMWORDS);
  const len = p.frame.length - p.data;
  const load = (k: number, size: number): number | undefined => {
    let base = p.data, off = k | 0;
    if (off >= SKF_AD_OFF && off < 0) {
      switch (off - SKF_AD_OFF) {
        case 0: return p.protocol;
        case 4: return p.pktType;
        case 8: return p.ifindex;
        case 20: return p.mark >>> 0;
        case 28: return p.hatype;
        case 36: return 0;
        case 44: case 48: case 60: return 0;
        default: return undefined;
      }
    }
    if (off < 0) {
      if (off >= SKF_NET_OFF && off < SKF_NET_OFF + 0x100000 && p.nh >= 0) {
        base = p.nh;
        off -= SKF_NET_OFF;
      } else if (off >= SKF_LL_OFF && off < SKF_NET_OFF && p.mac >= 0) {
        base = p.mac;
        off -= SKF_LL_OFF;
      } else return undefined;
    }
    const at = base + off;
    if (at < 0 || at + size > p.frame.length) return undefined;
    const f = p.frame;
    return size === 4 ? ((f[at] << 24) | (f[at + 1] << 16) | (f[at + 2] << 8) | f[at + 3]) >>> 0 : size === 2 ? (f[at] << 8) | f[at + 1] : f[at];
  };
  for (let pc = 0, steps = 0; pc < prog.length && steps < 1 << 20; pc++, steps++) {
    const { code, jt, jf, k } = prog[pc];
    const size = [4, 2, 1][(code & 0x18) >> 3];
    switch (code & 7) {
      case 0: {
        const mode = code & 0xe0;
        if (mode === 0x00) A = k >>> 0;
        else if (mode === 0x80) A = len;
        else if (mode === 0x60) A = M[k];
        else {
          const v = load(mode === 0x40 ? (X + k) | 0 : k, size);
          if (v === undefined) return 0;
          A = v;
        }
        break;
      }
      case 1: {
        const mode = code & 0xe0;
        if (mode === 0x00) X = k >>> 0;
        else if (mode === 0x80) X = len;
        else if (mode === 0x60) X = M[k];
        else {
          const v = load(k, 1);
          if (v === undefined) return 0;
          X = (v & 0xf) * 4;
        }
        break;
      }
      case 2: M[k] = A; break;
      case 3: M[k] = X; break;
      case 4: {
        const b = code & 8 ? X : k >>> 0;
        switch (code & 0xf0) {
          case 0x00: A = (A + b) >>> 0; break;
          case 0x10: A = (A - b) >>> 0; break;
          case 0x20: A = Math.imul(A, b) >>> 0; break;
          case 0x30: if (b === 0) return 0; A = Math.floor(A / b) >>> 0; break;
          case 0x40: A = (A | b) >>> 0; break;
          case 0x50: A = (A & b) >>> 0; break;
          case 0x60: A = b >= 32 ? 0 : (A << b) >>> 0; break;
          case 0x70: A = b >= 32 ? 0 : A >>> b; break;
          case 0x80: A = -A >>> 0; break;
          case 0x90: if (b === 0) return 0; A = A % b; break;
          case 0xa0: A = (A ^ b) >>> 0; break;
        }
        break;
      }
      case 5: {
        const op = code & 0xf0;
        if (op === 0) {
          pc += k;
          break;
        }
        const b = code & 8 ? X : k >>> 0;
        const t = op === 0x10 ? A === b : op === 0x20 ? A > b : op === 0x30 ? A >= b : (A & b) !== 0;
        pc += t ? jt : jf;
        break;
      }
      case 6: return code === 0x16 ? A : code === 0x0e ? X : k >>> 0;
      case 7: if (code === 0x07) X = A; else A = X; break;
    }
  }
  return 0;
}
