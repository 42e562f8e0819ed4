import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpFile } from './helpers';

describe('bpfsim run', () => {
  test('runs uBPF assembly with memory in r1/r2 and prints r0 as 16 hex digits', async () => {
    const f = tmpFile('p.s', 'ldxh %r0, [%r1+1]\nadd %r0, %r2\nexit\n');
    const r = await cli('run', f, '--mem-hex', '00 34 12 00');
    expect(r).toEqual({ code: 0, out: '0x0000000000001238\n', err: '' });
  });

  test('runs kernel-syntax assembly and reports the instruction count with --json', async () => {
    const f = tmpFile('p.s', 'r0 = 0\nr1 = 5\nloop:\nr0 += r1\nr1 += -1\nif r1 != 0 goto loop\nexit\n');
    const r = await cli('run', f, '--json');
    expect(JSON.parse(r.out)).toEqual({ r0: '0x000000000000000f', insns: 3 + 5 * 3 });
  });

  test('runs raw instruction words', async () => {
    const raw = new Uint8Array(16);
    raw.set([0xb7, 0x00, 0, 0, 0x2a, 0, 0, 0]); // r0 = 42
    raw.set([0x95], 8); // exit
    const r = await cli('run', tmpFile('p.bin', raw));
    expect(r.out).toBe('0x000000000000002a\n');
  });

  test('an out-of-bounds access is a typed fault: one line, exit 2', async () => {
    const f = tmpFile('p.s', 'r0 = *(u64 *)(r1 +2)\nexit\n');
    const r = await cli('run', f, '--mem-hex', 'aabbcc');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.err).toMatch(/^bpfsim: .*insn 0/);
  });

  test.each([
    [['run', '/no/such/file'], /^bpfsim: \/no\/such\/file: cannot read: no such file\n$/],
    [['run', '__PROG__', '--mem-hex', 'xyz'], /^bpfsim: --mem-hex: 'xyz' is not hex bytes/],
    [['run', '__BAD__'], /^bpfsim: .*bad\.s:2:\d+: /],
    [['run', '__ODD__'], /^bpfsim: .*odd\.bin.*multiple of 8/],
    [['frobnicate'], /^bpfsim: /],
    [['run'], /^bpfsim: /],
  ])('bad input %j gets one clear line and a non-zero exit', async (argv, msg) => {
    const subst: Record<string, string> = {
      __PROG__: tmpFile('ok.s', 'r0 = 1\nexit\n'),
      __BAD__: tmpFile('bad.s', 'r0 = 1\nr0 = frob 3\nexit\n'),
      __ODD__: tmpFile('odd.bin', new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0, 0xb7])),
    };
    const r = await cli(...(argv as string[]).map((a) => subst[a] ?? a));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(msg);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('bpfsim asm / disasm', () => {
  test('asm writes instruction bytes that disasm prints in the kernel syntax', async () => {
    const src = tmpFile('p.s', 'r1 = 0x1122334455667788 ll\nw0 = w1\nw0 <<= 8\nexit\n');
    const out = path.join(path.dirname(src), 'p.bin');
    const a = await cli('asm', src, '-o', out);
    expect(a.code).toBe(0);
    expect(fs.statSync(out).size).toBe(5 * 8);
    const d = await cli('disasm', out);
    expect(d.out).toBe('0: (18) r1 = 0x1122334455667788\n2: (bc) w0 = w1\n3: (64) w0 <<= 8\n4: (95) exit\n');
  });

  test('disasm --flavour llvm prints llvm-objdump syntax', async () => {
    const src = tmpFile('p.s', 'r0 = 42\nexit\n');
    const d = await cli('disasm', src, '--flavour', 'llvm');
    // llvm-objdump's own format: index, the bytes, the instruction (immediates in hex).
    expect(d.out).toBe('       0:\tb7 00 00 00 2a 00 00 00\tr0 = 0x2a\n       1:\t95 00 00 00 00 00 00 00\texit\n');
  });
});

describe('bpfsim disasm on ELF objects', () => {
  const obj = path.resolve(__dirname, '../../../scenarios/xdp-firewall/xdp_firewall.bpf.o');

  test('prints each program with a header, in the kernel syntax', async () => {
    const r = await cli('disasm', obj);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^xdp_firewall \(section xdp, \d+ insns\):\n0: \(b7\) r0 = 2\n1: \(61\) r2 = \*\(u32 \*\)\(r1 \+4\)\n/);
  });

  test('--source interleaves the C lines recorded in BTF line info', async () => {
    const r = await cli('disasm', obj, '--source');
    expect(r.out).toContain('; void *data_end = (void *)(long)ctx->data_end;   [./scenarios/xdp-firewall/xdp_firewall.bpf.c:39]\n1: (61) r2 = *(u32 *)(r1 +4)');
  });

  test('--prog and --section pick programs; a wrong name lists what there is', async () => {
    expect((await cli('disasm', obj, '--prog', 'xdp_firewall')).code).toBe(0);
    const r = await cli('disasm', obj, '--section', 'tc');
    expect(r.code).toBe(2);
    expect(r.err).toBe(`bpfsim: ${obj}: no section 'tc' (programs: xdp_firewall (xdp))\n`);
  });
});
