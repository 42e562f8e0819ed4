/** Instruction text for the log, in the kernel's syntax (the isa package's disassembler). */
import type { Insn } from '@bpfsim/isa';
import { formatInsn } from '@bpfsim/isa';
import type { MapInfo } from './api';

export function insnText(prog: readonly Insn[], i: number, ldMaps: ReadonlyMap<number, MapInfo>, kfuncName?: (insn: Insn) => string | undefined): string {
  const insn = prog[i];
  if (insn.code === 0x18) {
    // The kernel prints the map's kernel address here; bpfsim prints a stable stand-in.
    const map = ldMaps.get(i);
    return formatInsn(insn, {
      next: prog[i + 1],
      imm64: (a, b) => (map ? `map[id:${map.fd ?? map.index ?? 0}]${insn.src === 2 || insn.src === 6 ? `+${b?.imm ?? 0}` : ''}` : `0x${(((BigInt((b?.imm ?? 0) >>> 0)) << 32n) | BigInt(a.imm >>> 0)).toString(16)}`),
    });
  }
  // print_bpf_insn prints an encoding it cannot name as `BUG_<class>_<code>`, without the `(code)` prefix
  return formatInsn(insn, kfuncName ? { kfuncName } : undefined).replace(/^\([0-9a-f]{2}\) (BUG_)/, '$1');
}
