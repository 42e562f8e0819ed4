/**
 * The passes the kernel runs before abstract interpretation, in its order (bpf_check):
 * add_subprog_and_kfunc, check_subprogs, resolve_pseudo_ldimm64 (with the opcode table),
 * check_cfg. Each returns the kernel's message and errno for the first problem it finds.
 */
import type { Insn } from '@bpfsim/isa';
import { op } from './opcodes';
import type { KernelBtf, MapInfo } from './api';

export interface StructureError {
  msg: string; errno: 'EINVAL' | 'EACCES' | 'E2BIG' | 'EBADF' | 'EPROTO';
  /** Subprograms found before the error (the kernel has printed `func#N @start` for them at log level 2). */
  subprogs?: number[];
}

const VALID = new Set<number>();
(() => {
  const aluOps = [op.BPF_ADD, op.BPF_SUB, op.BPF_MUL, op.BPF_DIV, op.BPF_OR, op.BPF_AND, op.BPF_LSH, op.BPF_RSH,
    op.BPF_MOD, op.BPF_XOR, op.BPF_MOV, op.BPF_ARSH];
  for (const cls of [op.BPF_ALU, op.BPF_ALU64]) {
    for (const o of aluOps) { VALID.add(cls | o | op.BPF_K); VALID.add(cls | o | op.BPF_X); }
    VALID.add(cls | op.BPF_NEG);
    VALID.add(cls | op.BPF_END | op.BPF_TO_LE);
  }
  VALID.add(op.BPF_ALU | op.BPF_END | op.BPF_TO_BE);
  const jmpOps = [op.BPF_JEQ, op.BPF_JGT, op.BPF_JGE, op.BPF_JSET, op.BPF_JNE, op.BPF_JSGT, op.BPF_JSGE, op.BPF_JLT,
    op.BPF_JLE, op.BPF_JSLT, op.BPF_JSLE];
  for (const cls of [op.BPF_JMP, op.BPF_JMP32]) {
    for (const o of jmpOps) { VALID.add(cls | o | op.BPF_K); VALID.add(cls | o | op.BPF_X); }
    VALID.add(cls | op.BPF_JA);
  }
  VALID.add(op.BPF_JMP | op.BPF_CALL);
  VALID.add(op.BPF_JMP | op.BPF_EXIT);
  VALID.add(op.BPF_JMP | op.BPF_JCOND);
  VALID.add(op.BPF_LD | op.BPF_IMM | op.BPF_DW);
  for (const sz of [op.BPF_B, op.BPF_H, op.BPF_W]) {
    VALID.add(op.BPF_LD | op.BPF_ABS | sz);
    VALID.add(op.BPF_LD | op.BPF_IND | sz);
    VALID.add(op.BPF_LDX | op.BPF_MEMSX | sz);
  }
  for (const sz of [op.BPF_B, op.BPF_H, op.BPF_W, op.BPF_DW]) {
    VALID.add(op.BPF_LDX | op.BPF_MEM | sz);
    VALID.add(op.BPF_ST | op.BPF_MEM | sz);
    VALID.add(op.BPF_STX | op.BPF_MEM | sz);
    VALID.add(op.BPF_STX | op.BPF_ATOMIC | sz);
  }
})();

/** bpf_opcode_in_insntable. */
export const opcodeValid = (code: number): boolean => VALID.has(code);

const isPseudoCall = (i: Insn): boolean => i.code === (op.BPF_JMP | op.BPF_CALL) && i.src === op.BPF_PSEUDO_CALL;
const isPseudoFunc = (i: Insn): boolean => i.code === 0x18 && i.src === op.BPF_PSEUDO_FUNC;

export interface Structure {
  /** Start instruction of every subprogram, ascending; [0] is 0. */
  subprogs: number[];
  /** Map referenced by each lddw (slot index -> map), for map-pointer loads. */
  ldMaps: Map<number, MapInfo>;
}

/** What check_subprogs records per subprogram (bpf_subprog_info.has_tail_call / has_ld_abs). */
export interface SubprogFlags { hasTailCall: boolean; hasLdAbs: boolean }

/** check_subprogs' per-subprogram flags, for the no-BTF and stack-depth rules. */
export function subprogFlags(prog: readonly Insn[], subprogs: readonly number[]): SubprogFlags[] {
  return subprogs.map((start, k) => {
    const end = k + 1 < subprogs.length ? subprogs[k + 1] : prog.length;
    const f: SubprogFlags = { hasTailCall: false, hasLdAbs: false };
    for (let i = start; i < end; i++) {
      const x = prog[i];
      if ((x.code & 7) === op.BPF_LD && ((x.code & 0xe0) === op.BPF_ABS || (x.code & 0xe0) === op.BPF_IND)) f.hasLdAbs = true;
      if (x.code === (op.BPF_JMP | op.BPF_CALL) && x.src === 0 && x.imm === 12 /* bpf_tail_call */) f.hasTailCall = true;
    }
    return f;
  });
}

/**
 * add_kfunc_call, as far as bpfsim can follow it without module BTFs or kallsyms: the license, a
 * module BTF offset (no fd_array is ever passed), an id that is not a FUNC in the kernel BTF. A
 * call with id 0 and offset 0 is left for later, as the kernel leaves it; so is a real kfunc.
 */
function addKfuncCall(insn: Insn, ctx: KfuncContext): StructureError | null {
  if (!ctx.gpl) return { msg: 'cannot call kernel function from non-GPL compatible program', errno: 'EINVAL' };
  if (insn.imm === 0 && insn.off === 0) return null;
  // find_kfunc_desc_btf: an offset names a module BTF in fd_array
  if (insn.off < 0) return { msg: 'negative offset disallowed for kernel module function call\nfailed to find BTF for kernel function', errno: 'EINVAL' };
  if (insn.off > 0) return { msg: 'kfunc offset > 0 without fd_array is invalid\nfailed to find BTF for kernel function', errno: 'EPROTO' };
  const btf = ctx.btf?.();
  if (!btf) return null;
  const id = insn.imm >>> 0;
  if (btf.types[id]?.kind !== 12 /* BTF_KIND_FUNC */) return { msg: `kernel btf_id ${id} is not a function`, errno: 'EINVAL' };
  return null;
}

/** What add_kfunc_call needs to know about the program. */
export interface KfuncContext { gpl: boolean; btf?: () => KernelBtf | undefined }

/** add_subprog_and_kfunc + check_subprogs. */
export function findSubprogs(prog: readonly Insn[], kfunc: KfuncContext = { gpl: true }): { subprogs: number[] } | StructureError {
  const starts = new Set<number>([0]);
  for (let i = 0; i < prog.length; i++) {
    const insn = prog[i];
    if (insn.code === (op.BPF_JMP | op.BPF_CALL) && insn.src === op.BPF_PSEUDO_KFUNC_CALL) {
      const e = addKfuncCall(insn, kfunc);
      if (e) return e;
      continue;
    }
    if (!isPseudoCall(insn) && !isPseudoFunc(insn)) continue;
    const t = i + insn.imm + 1;
    if (t < 0 || t >= prog.length) return { msg: 'call to invalid destination', errno: 'EINVAL' };
    starts.add(t);
  }
  const subprogs = [...starts].sort((a, b) => a - b);
  if (subprogs.length > 256) return { msg: 'too many subprograms', errno: 'E2BIG' };
  let cur = 0;
  let start = 0;
  let end = subprogs.length > 1 ? subprogs[1] : prog.length;
  for (let i = 0; i < prog.length; i++) {
    const code = prog[i].code;
    const cls = code & 7;
    if ((cls === op.BPF_JMP || cls === op.BPF_JMP32) && (code & 0xf0) !== op.BPF_EXIT && (code & 0xf0) !== op.BPF_CALL) {
      const off = code === (op.BPF_JMP32 | op.BPF_JA) ? i + prog[i].imm + 1 : i + prog[i].off + 1;
      if (off < start || off >= end) return { msg: `jump out of range from insn ${i} to ${off}`, errno: 'EINVAL', subprogs };
    }
    if (i === end - 1) {
      if (code !== (op.BPF_JMP | op.BPF_EXIT) && code !== (op.BPF_JMP32 | op.BPF_JA) && code !== (op.BPF_JMP | op.BPF_JA)) {
        return { msg: 'last insn is not an exit or jmp', errno: 'EINVAL', subprogs };
      }
      start = end;
      cur++;
      end = cur + 1 < subprogs.length ? subprogs[cur + 1] : prog.length;
    }
  }
  return { subprogs };
}

/** resolve_pseudo_ldimm64: reserved LDX fields, lddw pairs, map references, unknown opcodes. */
export function resolveLdImm64(prog: readonly Insn[], maps: readonly MapInfo[]): { ldMaps: Map<number, MapInfo> } | StructureError {
  const ldMaps = new Map<number, MapInfo>();
  for (let i = 0; i < prog.length; i++) {
    const insn = prog[i];
    const cls = insn.code & 7;
    const mode = insn.code & 0xe0;
    if (cls === op.BPF_LDX && ((mode !== op.BPF_MEM && mode !== op.BPF_MEMSX) || insn.imm !== 0)) {
      return { msg: 'BPF_LDX uses reserved fields', errno: 'EINVAL' };
    }
    if (insn.code === 0x18) {
      const nx = prog[i + 1];
      if (i === prog.length - 1 || nx.code !== 0 || nx.dst !== 0 || nx.src !== 0 || nx.off !== 0) {
        return { msg: 'invalid bpf_ld_imm64 insn', errno: 'EINVAL' };
      }
      if (insn.src === 0 || insn.src === op.BPF_PSEUDO_FUNC) { i++; continue; }
      if (insn.src === op.BPF_PSEUDO_BTF_ID) return { msg: 'kernel is missing BTF, make sure CONFIG_DEBUG_INFO_BTF=y is specified in Kconfig.', errno: 'EINVAL' };
      const s = insn.src;
      if (!(s === op.BPF_PSEUDO_MAP_VALUE || s === op.BPF_PSEUDO_MAP_IDX_VALUE ||
        ((s === op.BPF_PSEUDO_MAP_FD || s === op.BPF_PSEUDO_MAP_IDX) && nx.imm === 0))) {
        return { msg: 'unrecognized bpf_ld_imm64 insn', errno: 'EINVAL' };
      }
      let map: MapInfo | undefined;
      if (s === op.BPF_PSEUDO_MAP_IDX || s === op.BPF_PSEUDO_MAP_IDX_VALUE) {
        map = maps.find((m, k) => (m.index ?? k) === insn.imm);
        if (!map) return { msg: 'fd_idx without fd_array is invalid', errno: 'EPROTO' };
      } else {
        map = maps.find((m) => m.fd === insn.imm);
        if (!map) return { msg: `fd ${insn.imm} is not pointing to valid bpf_map`, errno: 'EBADF' };
      }
      if (s === op.BPF_PSEUDO_MAP_VALUE || s === op.BPF_PSEUDO_MAP_IDX_VALUE) {
        const off = nx.imm >>> 0;
        if (off >= 1 << 29) return { msg: `direct value offset of ${off} is not allowed`, errno: 'EINVAL' };
        if (map.type !== op.BpfMapType.ARRAY || map.maxEntries !== 1) {
          if (map.type !== op.BpfMapType.ARRAY) return { msg: 'no direct value access support for this map type', errno: 'EINVAL' };
        }
        if (off >= map.valueSize) return { msg: `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`, errno: 'EINVAL' };
      }
      ldMaps.set(i, map);
      i++;
      continue;
    }
    if (!opcodeValid(insn.code)) return { msg: `unknown opcode ${(insn.code & 0xff).toString(16).padStart(2, '0')}`, errno: 'EINVAL' };
  }
  return { ldMaps };
}

/** Successors of instruction i in the CFG (check_cfg's visit_insn). */
export function successors(prog: readonly Insn[], i: number): number[] {
  const insn = prog[i];
  const cls = insn.code & 7;
  if (insn.code === 0x18) return isPseudoFunc(insn) ? [i + 2, i + insn.imm + 1] : [i + 2];
  if (cls !== op.BPF_JMP && cls !== op.BPF_JMP32) return [i + 1];
  const o = insn.code & 0xf0;
  if (o === op.BPF_EXIT) return [];
  if (o === op.BPF_CALL) return isPseudoCall(insn) ? [i + 1, i + insn.imm + 1] : [i + 1];
  if (o === op.BPF_JA) return [insn.code === (op.BPF_JMP32 | op.BPF_JA) ? i + insn.imm + 1 : i + insn.off + 1];
  if (o === op.BPF_JCOND) return [i + 1, i + insn.off + 1];
  return [i + 1, i + insn.off + 1];
}

/** check_cfg: every instruction reachable (from the entry and every subprog), no jumps into an lddw. */
export function checkCfg(prog: readonly Insn[], subprogs: readonly number[]): StructureError | null {
  const seen = new Uint8Array(prog.length);
  const stack: number[] = [];
  const visit = (s: number): StructureError | null => {
    if (seen[s]) return null;
    seen[s] = 1;
    stack.push(s);
    while (stack.length) {
      const t = stack.pop()!;
      for (const w of successors(prog, t)) {
        if (w < 0 || w >= prog.length) return { msg: `jump out of range from insn ${t} to ${w}`, errno: 'EINVAL' };
        if (!seen[w]) { seen[w] = 1; stack.push(w); }
      }
    }
    return null;
  };
  void subprogs;
  const e = visit(0);
  if (e) return e;
  for (let i = 0; i < prog.length; i++) {
    if (!seen[i]) return { msg: `unreachable insn ${i}`, errno: 'EINVAL' };
    if (prog[i].code === 0x18) {
      if (seen[i + 1]) return { msg: `jump into the middle of ldimm64 insn ${i}`, errno: 'EINVAL' };
      i++;
    }
  }
  return null;
}
