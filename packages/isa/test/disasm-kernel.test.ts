import fc from 'fast-check';
import * as op from '@bpfsim/uapi';
import { HELPER_NAMES } from '@bpfsim/uapi';
import { Insn, R0, R1, R2, R3, R6, R10, asm, disassemble, formatInsn, inKernelInsnTable, isLdImm64 } from '../src';
import { ALL_CODES, insnFor, instructions } from './gen';
import { liveRegsListing, loadPrograms, traceInsns, unavailableReason } from './kernel-oracle';
import { acceptedXdp } from './xdp-gen';

const k = (slots: Insn[], opts = {}): string => disassemble(slots, { flavour: 'kernel', ...opts });

describe('kernel flavour: disasm.c syntax', () => {
  test.each<[string, Insn[], string]>([
    ['mov imm', asm.Mov.Imm(R0, 42), '(b7) r0 = 42'],
    ['mov32 reg', asm.Mov32.Reg(R1, R2), '(bc) w1 = w2'],
    ['lsh32', asm.Alu32.Lsh.Imm(R1, 8), '(64) w1 <<= 8'],
    ['jgt', asm.JumpIf('JGT', R1, R2, 22), '(2d) if r1 > r2 goto pc+22'],
    ['jeq imm -1', asm.JumpIf('JEQ', R1, -1, -3), '(15) if r1 == 0xffffffff goto pc-3'],
    ['jmp32 imm', asm.Jump32If('JSLT', R3, 7, 0), '(c6) if w3 s< 0x7 goto pc+0'],
    ['ldx', asm.LoadMem(R1, R6, 13, 'B'), '(71) r1 = *(u8 *)(r6 +13)'],
    ['ldxsx', asm.LoadMemSX(R1, R6, -2, 'H'), '(89) r1 = *(s16 *)(r6 -2)'],
    ['stx', asm.StoreMem(R10, -4, R1, 'W'), '(63) *(u32 *)(r10 -4) = r1'],
    ['st', asm.StoreImm(R10, -8, 0, 'DW'), '(7a) *(u64 *)(r10 -8) = 0'],
    ['lock add', asm.Atomic('add', R0, 0, R1), '(db) lock *(u64 *)(r0 +0) += r1'],
    ['lock or32', asm.Atomic('or', R0, 4, R1, 'W'), '(c3) lock *(u32 *)(r0 +4) |= r1'],
    ['fetch add', asm.Atomic('fetch_add', R1, 0, R0), '(db) r0 = atomic64_fetch_add((u64 *)(r1 +0), r0)'],
    ['fetch xor32', asm.Atomic('fetch_xor', R1, 0, R2, 'W'), '(c3) r2 = atomic_fetch_xor((u32 *)(r1 +0), r2)'],
    ['xchg', asm.Atomic('xchg', R1, -8, R2), '(db) r2 = atomic64_xchg((u64 *)(r1 -8), r2)'],
    ['cmpxchg32', asm.Atomic('cmpxchg', R1, 0, R2, 'W'), '(c3) r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)'],
    ['load_acquire', asm.LoadAcquire(R0, R1, 8, 'B'), '(d3) r0 = load_acquire((u8 *)(r1 +8))'.replace('(d3)', '(d3)')],
    ['store_release', asm.StoreRelease(R1, 0, R2, 'DW'), '(db) store_release((u64 *)(r1 +0), r2)'],
    ['lddw', asm.LoadImm64(R1, 0x1122334455667788n), '(18) r1 = 0x1122334455667788'],
    ['map fd', asm.LoadMapFd(R1, 5), '(18) r1 = map[id:5]'],
    ['map value', asm.LoadMapValue(R1, 5, 16), '(18) r1 = map[id:5][0]+16'],
    ['helper', asm.Call(1), '(85) call bpf_map_lookup_elem#1'],
    ['helper by name', asm.Call('bpf_ktime_get_ns'), '(85) call bpf_ktime_get_ns#5'],
    ['local call', asm.CallLocal(5), '(85) call pc+5'],
    ['unknown helper', asm.Call(999), '(85) call unknown#999'],
    ['kfunc', asm.CallKfunc(1234), '(85) call kernel-function#1234'],
    ['ld_abs', asm.LoadAbs('B', 12), '(30) r0 = *(u8 *)skb[12]'],
    ['ld_ind', asm.LoadInd('W', R3, -4), '(40) r0 = *(u32 *)skb[r3 + -4]'],
    ['movsx', asm.MovSX(R1, R2, 8), '(bf) r1 = (s8)r2'],
    ['movsx32', asm.MovSX32(R1, R2, 16), '(bc) w1 = (s16)w2'],
    ['bswap', asm.Bswap(R1, 16), '(d7) r1 = bswap16 r1'],
    ['be16', asm.Endian('be', R1, 16), '(dc) r1 = be16 r1'],
    ['le64', asm.Endian('le', R1, 64), '(d4) r1 = le64 r1'],
    ['gotol', asm.Gotol(-7), '(06) gotol pc-7'],
    ['goto', asm.Ja(3), '(05) goto pc+3'],
    ['may_goto', asm.MayGoto(4), '(e5) may_goto pc+4'],
    ['neg', asm.Neg(R0), '(87) r0 = -r0'],
    ['sdiv32', asm.Alu32.SDiv.Reg(R0, R1), '(3c) w0 s/= w1'],
    ['smod imm', asm.Alu64.SMod.Imm(R0, -3), '(97) r0 s%= -3'],
    ['arsh', asm.Alu64.Arsh.Imm(R2, 3), '(c7) r2 s>>= 3'],
    ['exit', asm.Return(), '(95) exit'],
    ['callx (not in disasm.c: printed as LLVM does)', asm.Callx(R3), '(8d) callx r3'],
  ])('%s', (_name, slots, text) => {
    expect(k(slots)).toBe(text);
    expect(formatInsn(slots[0], { next: slots[1] })).toBe(text);
  });

  test('index prefix and lddw numbering as in the verifier log', () => {
    const prog = asm.program(asm.LoadImm64(R1, 1), asm.Mov.Imm(R0, 0), asm.Return());
    expect(k(prog, { withIndex: true })).toBe('0: (18) r1 = 0x1\n2: (b7) r0 = 0\n3: (95) exit');
  });

  test('helper and kfunc name callbacks, raw lddw', () => {
    expect(k(asm.Call(1), { helperName: () => 'mine' })).toBe('(85) call mine#1');
    expect(k(asm.CallKfunc(7), { kfuncName: () => 'bpf_obj_new_impl' })).toBe('(85) call bpf_obj_new_impl#7');
    expect(k(asm.LoadMapValue(R1, 3, 4), { imm64: 'raw' })).toBe('(18) r1 = 0x400000003');
    expect(HELPER_NAMES[1]).toBe('bpf_map_lookup_elem');
  });
});

/** Random kernel-accepted instructions with every jump pointing at the next instruction, so the CFG is valid. */
function kernelInsn(code: number): fc.Arbitrary<Insn[]> {
  return insnFor(code)
    .filter(([i]) => !(i.code === 0x85 && i.src !== 0) && !(isLdImm64(i) && i.src > 2))
    .map((slots) => {
      const [i, n] = slots;
      const cls = op.bpfClass(i.code);
      if (cls === op.BPF_JMP || cls === op.BPF_JMP32) {
        if (i.code === (op.BPF_JMP32 | op.BPF_JA)) return [i.with({ imm: 0 })];
        if (op.bpfOp(i.code) !== op.BPF_CALL) return [i.with({ off: 0 })];
      }
      return n ? [i, n] : [i];
    });
}
const KERNEL_CODES = ALL_CODES.filter((c) => inKernelInsnTable(c) && c !== (op.BPF_JMP | op.BPF_EXIT));

const reason = unavailableReason();
const kernelTest = reason === undefined ? test : test.skip;
if (reason !== undefined) {
  // eslint-disable-next-line no-console
  console.warn(`skipping kernel comparisons: ${reason}`);
}

describe('kernel flavour against the running kernel', () => {
  kernelTest('every instruction of generated programs prints as the 6.18 verifier log prints it', () => {
    const progs = fc.sample(
      fc.array(fc.constantFrom(...KERNEL_CODES).chain(kernelInsn), { minLength: 8, maxLength: 40 }).map((xs) => [...xs.flat(), ...asm.Mov.Imm(R0, 0), ...asm.Return()]),
      { numRuns: 150, seed: 2024 },
    );
    // Every kernel opcode at least once, in its own small programs.
    for (const code of KERNEL_CODES) {
      for (const s of fc.sample(kernelInsn(code), { numRuns: 4, seed: code })) progs.push([...s, ...asm.Mov.Imm(R0, 0), ...asm.Return()]);
    }
    const results = loadPrograms(progs.map((prog) => ({ type: op.BpfProgType.SOCKET_FILTER, prog })));
    let compared = 0;
    let listed = 0;
    const seen = new Set<number>();
    results.forEach((r, p) => {
      const listing = liveRegsListing(r.log);
      if (listing.size === 0) return;
      listed++;
      for (const [insn, next, i] of instructions(progs[p])) {
        let mine = formatInsn(insn, { next, imm64: 'raw' });
        let theirs = listing.get(i);
        if (isLdImm64(insn) && insn.src !== 0) {
          // the kernel prints the map's kernel address
          mine = mine.replace(/0x[0-9a-f]+$/, 'ADDR');
          theirs = theirs?.replace(/0x[0-9a-f]+$/, 'ADDR');
        }
        expect(`${i}: ${mine}`).toBe(`${i}: ${theirs}`);
        seen.add(insn.code);
        compared++;
      }
    });
    expect(listed).toBeGreaterThan(progs.length * 0.9);
    expect([...KERNEL_CODES].filter((c) => !seen.has(c))).toEqual([]);
    expect(compared).toBeGreaterThan(2000);
  });

  kernelTest('generated accepted XDP programs: every instruction of the verification trace', () => {
    const progs = fc.sample(acceptedXdp, { numRuns: 120, seed: 6 });
    const results = loadPrograms(progs.map((prog) => ({ type: op.BpfProgType.XDP, prog })));
    let accepted = 0;
    let compared = 0;
    const seen = new Set<number>();
    results.forEach((r, p) => {
      if (!r.ok) return;
      accepted++;
      const trace = traceInsns(r.log);
      for (const [insn, next, i] of instructions(progs[p])) {
        const theirs = trace.get(i);
        expect(theirs).toBeDefined(); // straight-line: every instruction is visited
        const mask = (t: string | undefined): string | undefined => (isLdImm64(insn) && insn.src !== 0 ? t?.replace(/0x[0-9a-f]+$/, 'ADDR') : t);
        expect(`${i}: ${mask(formatInsn(insn, { next, imm64: 'raw' }))}`).toBe(`${i}: ${mask(theirs)}`);
        seen.add(insn.code);
        compared++;
      }
    });
    expect(accepted).toBeGreaterThan(progs.length * 0.95);
    expect(compared).toBeGreaterThan(5000);
    expect(seen.size).toBeGreaterThan(100);
  });

  kernelTest('accepted XDP programs: the verification trace prints each instruction the same way', () => {
    const progs: Insn[][] = [
      asm.program(
        asm.LoadMem(R2, R1, 0, 'W'), asm.LoadMem(R3, R1, 4, 'W'), asm.Mov.Reg(R1, R2), asm.Alu64.Add.Imm(R1, 14),
        asm.JumpIf('JGT', R1, R3, 'drop'), asm.LoadMem(R0, R2, 12, 'H'), asm.Endian('be', R0, 16), asm.Jump32If('JNE', R0, 0x800, 'drop'),
        asm.StoreImm(R10, -8, 0, 'DW'), asm.Mov.Reg(R2, R10), asm.Alu64.Add.Imm(R2, -8), asm.LoadMapFd(R1, 0), asm.Call('map_lookup_elem'),
        asm.JumpIf('JEQ', R0, 0, 'pass'), asm.Mov.Imm(R1, 1), asm.Atomic('add', R0, 0, R1), asm.Atomic('fetch_add', R0, 0, R1),
        asm.Atomic('xchg', R0, 0, R1), asm.Atomic('fetch_or', R0, 0, R1, 'W'), asm.Label('pass'), asm.Mov.Imm(R0, 2), asm.Return(),
        asm.Label('drop'), asm.Mov.Imm(R0, 1), asm.Alu32.SDiv.Imm(R0, 1), asm.Alu64.SMod.Imm(R0, 5), asm.MovSX(R0, R0, 16),
        asm.Bswap(R0, 32), asm.Neg32(R0), asm.Gotol(0), asm.Mov32.Imm(R0, 1), asm.Return(),
      ),
      asm.program(asm.Mov.Imm(R0, 0), asm.StoreImm(R10, -8, 7, 'DW'), asm.LoadMemSX(R1, R10, -8, 'B'), asm.MovSX32(R2, R1, 8),
        asm.CallLocal('f'), asm.Return(), asm.Label('f'), asm.Mov.Imm(R0, 0), asm.Return()),
    ];
    const results = loadPrograms(progs.map((prog) => ({ type: op.BpfProgType.XDP, prog })));
    results.forEach((r, p) => {
      expect(r.log).toMatch(/processed \d+ insns/);
      expect(r.ok).toBe(true);
      const trace = traceInsns(r.log);
      let n = 0;
      for (const [insn, next, i] of instructions(progs[p])) {
        const theirs = trace.get(i);
        if (theirs === undefined) continue; // not visited
        const mine = formatInsn(insn, { next, imm64: 'raw' });
        expect(isLdImm64(insn) && insn.src !== 0 ? mine.replace(/0x[0-9a-f]+$/, 'X') : mine).toBe(isLdImm64(insn) && insn.src !== 0 ? theirs.replace(/0x[0-9a-f]+$/, 'X') : theirs);
        n++;
      }
      expect(n).toBeGreaterThan(5);
    });
  });
});
