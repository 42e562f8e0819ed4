/**
 * validateInsn against the running kernel: random valid instructions with one field
 * mutated are loaded into Linux (socket filter, registers initialised); whenever the kernel
 * refuses one for a structural reason (reserved fields, unknown opcode, bad register,
 * malformed lddw), validateInsn must refuse it too, and vice versa.
 */
import fc from 'fast-check';
import * as op from '@bpfsim/uapi';
import { Insn, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, asm, inKernelInsnTable, validateInsn } from '../src';
import { anyInsn } from './gen';
import { loadPrograms, unavailableReason } from './kernel-oracle';

const STRUCTURAL = /uses reserved fields|unknown opcode|invalid atomic|^R\d+ is invalid|bpf_ld_imm64 insn|invalid may_goto|addr_space_cast insn can only convert/;
// Errors the kernel finds before it looks at the mutated instruction's fields: no verdict.
const EARLIER = /jump out of range|unreachable insn|last insn is not an exit|invalid func|call to invalid destination|back-edge|infinite loop|jump into the middle of ldimm64|BPF program is too large|fd_idx without fd_array|R6 != pointer to skb/;

const reason = unavailableReason();
(reason === undefined ? test : test.skip)('structural verdicts agree with Linux 6.18', () => {
  const mutated = fc.sample(
    fc.tuple(anyInsn, fc.constantFrom('dst', 'src', 'off', 'imm', 'none'), fc.oneof(fc.integer({ min: 0, max: 15 }), fc.constantFrom(-1, 8, 16, 32, 64, 0x100, 0x110, 0xe1, 0x41, 1 << 16))),
    { numRuns: 1500, seed: 99 },
  ).map(([[insn, next], field, v]) => {
    const val = field === 'dst' || field === 'src' ? v & 15 : field === 'off' ? Math.max(-32768, Math.min(32767, v)) : v;
    const m = field === 'none' ? insn : insn.with({ [field]: val });
    // Jumps point at the next instruction unless the mutation is what we test.
    const cls = op.bpfClass(m.code);
    const j = (cls === op.BPF_JMP || cls === op.BPF_JMP32) && op.bpfOp(m.code) !== op.BPF_CALL && field !== 'off' ? m.with({ off: m.code === 0x06 ? m.off : 0, imm: m.code === 0x06 && field !== 'imm' ? 0 : m.imm }) : m;
    return next ? [j, next] : [j];
  });
  const init: Insn[] = [];
  for (const r of [R0, R2, R3, R4, R5, R7, R8, R9]) init.push(...asm.Mov.Imm(r, 0));
  init.push(...asm.Mov.Reg(R6, R1)); // LD_ABS/IND need the skb in r6
  const progs = mutated.map((slots) => [...init, ...slots, ...asm.Mov.Imm(R0, 0), ...asm.Return()]);
  const results = loadPrograms(progs.map((prog) => ({ type: op.BpfProgType.SOCKET_FILTER, prog })));
  let conclusive = 0;
  let refused = 0;
  const disagreements: string[] = [];
  results.forEach((r, i) => {
    const lines = r.log.split('\n').filter((l) => l && !/^\s*\d+:|^func#|^processed|^Live regs|^mark_precise|^from \d+ to/.test(l));
    const verdict = r.ok ? '' : lines[lines.length - 1] ?? '';
    if (EARLIER.test(verdict)) return;
    conclusive++;
    const [insn, next] = mutated[i];
    const mine = validateInsn(insn, next) ?? (inKernelInsnTable(insn.code) ? undefined : 'unknown opcode (not in the kernel table)');
    const kernel = STRUCTURAL.test(verdict);
    if (kernel) refused++;
    if (kernel !== (mine !== undefined)) {
      disagreements.push(`${[insn.code.toString(16), insn.dst, insn.src, insn.off, insn.imm].join(',')}: kernel "${verdict}", validateInsn ${mine ?? 'valid'}`);
    }
  });
  expect(disagreements).toEqual([]);
  expect(conclusive).toBeGreaterThan(1000);
  expect(refused).toBeGreaterThan(200);
});
