/**
 * compute_live_registers: which of r0..r9 are live before each instruction (backward data flow over
 * the CFG). Printed at log level 2 as "Live regs before insn:" and used to ignore dead registers when
 * comparing states for pruning, as the kernel does.
 */
import type { Insn } from '@bpfsim/isa';
import { op } from './opcodes';
import { HELPER_PROTOS } from '@bpfsim/uapi';
import { successors } from './structure';

const bit = (r: number): number => (r < 10 ? 1 << r : 0);
const CALLER_SAVED = 0x3f; // r0..r5

function useDef(insn: Insn): [use: number, def: number] {
  const cls = insn.code & 7;
  const o = insn.code & 0xf0;
  const x = (insn.code & 8) !== 0;
  switch (cls) {
    case op.BPF_ALU: case op.BPF_ALU64:
      if (o === op.BPF_MOV) return [x ? bit(insn.src) : 0, bit(insn.dst)];
      if (o === op.BPF_NEG || o === op.BPF_END) return [bit(insn.dst), bit(insn.dst)];
      return [bit(insn.dst) | (x ? bit(insn.src) : 0), bit(insn.dst)];
    case op.BPF_LDX: return [bit(insn.src), bit(insn.dst)];
    case op.BPF_ST: return [bit(insn.dst), 0];
    case op.BPF_STX:
      if ((insn.code & 0xe0) === op.BPF_ATOMIC) {
        if (insn.imm === op.BPF_CMPXCHG) return [bit(insn.dst) | bit(insn.src) | 1, 1];
        if (insn.imm === op.BPF_LOAD_ACQ) return [bit(insn.src), bit(insn.dst)];
        if (insn.imm & op.BPF_FETCH) return [bit(insn.dst) | bit(insn.src), bit(insn.src)];
      }
      return [bit(insn.dst) | bit(insn.src), 0];
    case op.BPF_LD:
      if ((insn.code & 0xe0) === op.BPF_IMM) return [0, bit(insn.dst)];
      return [bit(6) | ((insn.code & 0xe0) === op.BPF_IND ? bit(insn.src) : 0), CALLER_SAVED];
    case op.BPF_JMP: case op.BPF_JMP32:
      if (o === op.BPF_EXIT) return [1, 0];
      if (o === op.BPF_JA || o === op.BPF_JCOND) return [0, 0];
      if (o === op.BPF_CALL) {
        if (insn.src === 0) {
          const p = HELPER_PROTOS.get(insn.imm);
          const n = p ? p.args.length : 5;
          return [((1 << (n + 1)) - 1) & ~1, CALLER_SAVED];
        }
        return [0x3e, CALLER_SAVED];
      }
      return [bit(insn.dst) | (x ? bit(insn.src) : 0), 0];
  }
  return [0, 0];
}

/** Bitmask of live r0..r9 before each instruction. */
export function liveRegsBefore(prog: readonly Insn[]): Uint16Array {
  const n = prog.length;
  const live = new Uint16Array(n);
  // flat arrays: this pass runs once per program, over up to a million instructions
  const use = new Uint16Array(n), def = new Uint16Array(n);
  const s0 = new Int32Array(n).fill(-1), s1 = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const [u, d] = useDef(prog[i]);
    use[i] = u;
    def[i] = d;
    // a callback's address (lddw BPF_PSEUDO_FUNC) is not a control-flow edge for liveness
    const succ = prog[i].code === 0x18 ? [i + 2] : successors(prog, i);
    let k = 0;
    for (const t of succ) {
      if (t < 0 || t >= n) continue;
      if (k++ === 0) s0[i] = t; else s1[i] = t;
    }
  }
  for (let changed = true; changed;) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      if (i > 0 && prog[i - 1].code === 0x18) continue;
      let out = 0;
      if (s0[i] >= 0) out |= live[s0[i]];
      if (s1[i] >= 0) out |= live[s1[i]];
      const v = (use[i] | (out & ~def[i])) & 0x3ff;
      if (v !== live[i]) { live[i] = v; changed = true; }
    }
  }
  return live;
}

export function liveStr(mask: number): string {
  let s = '';
  for (let r = 0; r < 10; r++) s += mask & (1 << r) ? String(r) : '.';
  return s;
}
