import fc from 'fast-check';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as op from '@bpfsim/uapi';
import { Insn, R0, R1, R2, R10, asm, assemble, decodeProgram, disassemble, encodeProgram, formatInsn } from '../src';
import { hexBytes } from '../src/disasm/llvm';
import { ALL_CODES, insnFor, instructions } from './gen';
import { CLANG, MC, OBJCOPY, OBJDUMP, objdump, objectWith, sectionBytes, tmp } from './llvm-tools';

describe('llvm flavour', () => {
  test.each<[Insn[], string, string]>([
    [asm.Mov.Imm(R0, 42), 'r0 = 0x2a', 'r0 = 42'],
    [asm.JumpIf('JGT', R1, R2, 22), 'if r1 > r2 goto +0x16', 'if r1 > r2 goto +22'],
    [asm.StoreMem(R10, -4, R1, 'W'), '*(u32 *)(r10 - 0x4) = w1', '*(u32 *)(r10 - 4) = w1'],
    [asm.LoadImm64(R1, 0x1122334455667788n), 'r1 = 0x1122334455667788 ll', 'r1 = 1234605616436508552 ll'],
    [asm.Call(1), 'call 0x1', 'call 1'],
    [asm.Atomic('add', R1, 0, R2), 'lock *(u64 *)(r1 + 0x0) += r2', 'lock *(u64 *)(r1 + 0) += r2'],
  ])('%#: %s', (slots, hex, dec) => {
    expect(disassemble(slots, { flavour: 'llvm' })).toBe(hex);
    expect(disassemble(slots, { flavour: 'llvm', imm: 'dec' })).toBe(dec);
  });

  test('jump targets can carry llvm-objdump labels', () => {
    const prog = asm.program(asm.JumpIf('JGT', R1, R2, 'l'), asm.Mov.Imm(R0, 0), asm.Label('l'), asm.Return());
    expect(disassemble(prog, { flavour: 'llvm', imm: 'dec', targetLabel: (t) => (t === 2 ? 'LBB0_2' : undefined) })).toBe(
      'if r1 > r2 goto +1 <LBB0_2>\nr0 = 0\nexit',
    );
  });

  test('withIndex prints the address and hex bytes columns', () => {
    const prog = asm.program(asm.LoadImm64(R1, 1), asm.Return());
    expect(disassemble(prog, { flavour: 'llvm', withIndex: true, imm: 'dec' })).toBe(
      '       0:\t18 01 00 00 01 00 00 00 00 00 00 00 00 00 00 00\tr1 = 1 ll\n       2:\t95 00 00 00 00 00 00 00\texit',
    );
  });
});

const haveLlvm = OBJDUMP !== undefined && MC !== undefined && OBJCOPY !== undefined;
if (!haveLlvm) console.warn('skipping llvm-objdump comparisons: llvm-objdump-19, llvm-mc-19 or llvm-objcopy-19 is missing');
const llvmTest = haveLlvm ? test : test.skip;

// LLVM 19 does not know load-acquire/store-release (LLVM 21 does) and prints them as plain atomics.
const llvm19Knows = (i: Insn): boolean => !(op.bpfMode(i.code) === op.BPF_ATOMIC && op.bpfClass(i.code) === op.BPF_STX && i.imm >= 0x100);

describe('llvm flavour against llvm-objdump-19', () => {
  llvmTest('every instruction of generated programs, hex and decimal immediates', () => {
    const dir = tmp();
    // B and H atomics exist only as load-acquire/store-release
    const codes = ALL_CODES.filter((c) => c !== 0xcb && c !== 0xd3);
    const progs: Insn[][] = [codes.flatMap((c) => fc.sample(insnFor(c).filter(([i]) => llvm19Knows(i)), { numRuns: 16, seed: c }).flat())];
    progs.push(...fc.sample(fc.array(fc.constantFrom(...codes).chain(insnFor), { minLength: 200, maxLength: 400 }).map((x) => x.flat().filter(llvm19Knows)), { numRuns: 4, seed: 3 }));
    let compared = 0;
    progs.forEach((prog, p) => {
      const obj = objectWith(dir, prog, `p${p}`);
      for (const imm of ['hex', 'dec'] as const) {
        const rows = objdump(obj, '.text', imm === 'dec' ? ['--no-print-imm-hex'] : [], true);
        const mine = [...instructions(prog)];
        expect(rows.length).toBe(mine.length);
        mine.forEach(([insn, next, i], r) => {
          const [idx, bytes, text] = rows[r];
          expect(idx).toBe(i);
          expect(bytes).toBe(hexBytes(next ? [insn, next] : [insn]));
          // with objdump's target annotation: <.text+0x30> (and <.text> at offset 0)
          const targetLabel = (t: number): string => (t === 0 ? '.text' : `.text+0x${BigInt.asUintN(64, BigInt(t * 8)).toString(16)}`);
          expect(`${i}: ${formatInsn(insn, { flavour: 'llvm', next, imm, pc: i, targetLabel })}`).toBe(`${i}: ${text}`);
          compared++;
        });
      }
    });
    expect(compared).toBeGreaterThan(3000);
  });

  const clangTest = haveLlvm && CLANG !== undefined ? test : test.skip;
  clangTest('objects built by clang-19 from C snippets: decode and print every section as llvm-objdump does', () => {
    const dir = tmp();
    const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'snippets.c'), 'utf8');
    fs.writeFileSync(path.join(dir, 'snippets.c'), src);
    let compared = 0;
    for (const cpu of ['v1', 'v2', 'v3', 'v4']) {
      const obj = path.join(dir, `snippets-${cpu}.o`);
      execFileSync(CLANG!, ['-O2', '-target', 'bpf', `-mcpu=${cpu}`, '-c', path.join(dir, 'snippets.c'), '-o', obj], { stdio: 'pipe' });
      const sections = execFileSync(OBJDUMP!, ['-h', obj]).toString().split('\n')
        .map((l) => /^\s*\d+\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+TEXT/.exec(l)?.[1])
        .filter((s): s is string => s !== undefined);
      expect(sections.length).toBeGreaterThan(2);
      for (const section of sections) {
        const prog = decodeProgram(sectionBytes(dir, obj, section), { file: `${cpu}:${section}` });
        const rows = objdump(obj, section);
        const mine = [...instructions(prog)];
        expect(rows.map((r) => r[0])).toEqual(mine.map((m) => m[2]));
        mine.forEach(([insn, next, i], r) => {
          expect(`${section}:${i}: ${formatInsn(insn, { flavour: 'llvm', next })}`).toBe(`${section}:${i}: ${rows[r][2]}`);
          compared++;
        });
        // the listing itself assembles back to the section (its bytes column settles `call -0x1`)
        const listing = execFileSync(OBJDUMP!, ['-d', '--mcpu=v4', `--section=${section}`, obj]).toString();
        expect([...encodeProgram(assemble(listing, { file: 'objdump.txt', dialect: 'kernel' }))]).toEqual([...encodeProgram(prog)]);
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});
