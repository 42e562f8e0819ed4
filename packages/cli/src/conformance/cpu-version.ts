/**
 * The lowest -mcpu version whose instruction set covers a program, as clang
 * and the kernel define the versions: v2 adds JLT/JLE/JSLT/JSLE, v3 adds
 * JMP32 and atomics, v4 adds sdiv/smod, movsx, sign-extending loads, bswap
 * and ja32 (gotol). callx is not in any Linux version; the suite counts it as v4.
 */
import type { Program } from '@bpfsim/isa';
import * as op from '@bpfsim/uapi';
import { BpfsimError } from '@bpfsim/uapi';

export type CpuVersion = 1 | 2 | 3 | 4;

export function requiredCpuVersion(prog: Program): CpuVersion {
  let need: CpuVersion = 1;
  const at = (v: CpuVersion) => { if (v > need) need = v; };
  for (let i = 0; i < prog.length; i++) {
    const { code, off } = prog[i];
    const cls = op.bpfClass(code);
    switch (cls) {
      case op.BPF_ALU:
      case op.BPF_ALU64: {
        const o = op.bpfOp(code);
        if ((o === op.BPF_DIV || o === op.BPF_MOD) && off === 1) at(4);
        if (o === op.BPF_MOV && off !== 0) at(4);
        if (o === op.BPF_END && cls === op.BPF_ALU64) at(4);
        break;
      }
      case op.BPF_JMP:
      case op.BPF_JMP32: {
        const o = op.bpfOp(code);
        if (cls === op.BPF_JMP32) at(o === op.BPF_JA ? 4 : 3);
        if (o === op.BPF_JLT || o === op.BPF_JLE || o === op.BPF_JSLT || o === op.BPF_JSLE) at(2);
        if (o === op.BPF_CALL && op.bpfSrc(code) === op.BPF_X) at(4);
        break;
      }
      case op.BPF_LDX:
        if (op.bpfMode(code) === op.BPF_MEMSX) at(4);
        break;
      case op.BPF_STX:
        if (op.bpfMode(code) === op.BPF_ATOMIC) at(3);
        break;
      case op.BPF_LD:
        if (code === 0x18) i++; // skip the second slot of lddw
        break;
    }
  }
  return need;
}

export function parseCpuVersion(s: string): CpuVersion {
  const m = /^v?([1-4])$/.exec(s.trim());
  if (!m) throw new BpfsimError('EUSAGE', `--cpu takes v1, v2, v3 or v4, not '${s}'`);
  return Number(m[1]) as CpuVersion;
}
