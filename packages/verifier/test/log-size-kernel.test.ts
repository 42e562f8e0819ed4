/**
 * log_size as Linux 6.18 (kernel/bpf/log.c): the log keeps its last log_size - 1 bytes (rotating, the
 * default) or its first (BPF_LOG_FIXED), a log that did not fit fails the load with ENOSPC — an
 * accepted program's too — and log_true_size says what the whole log needs. Each program is loaded
 * by the kernel (tools/oracle) at log levels 1 and 2, rotating and fixed, with buffers from 128
 * bytes to just above the whole log; bpfsim must keep the same bytes and report the same errno and
 * true size. The oracle takes at least 128 bytes; smaller sizes and the EINVAL rules of
 * bpf_verifier_log_attr_valid are checked against the kernel's rules below.
 */
import { assemble, encodeProgram, type Insn } from '@bpfsim/isa';
import { verify } from '@bpfsim/verifier';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const oracle = require('../../../tools/oracle');

const XDP = 6;
const BPF_LOG_FIXED = 8;

/**
 * Programs whose whole log bpfsim already writes byte for byte as the kernel does at these levels
 * (bpfsim's logs still differ on pruning and precision in loops, and at level 2 the kernel adds its
 * stack-liveness lines after an exit), so that any difference below is the buffer's.
 */
const PROGRAMS: Record<string, { src: string; levels: number[] }> = {
  // accepted: a full buffer fails the load all the same (ENOSPC)
  straight: {
    src: 'r0 = 0\n' + Array.from({ length: 40 }, (_, i) => `r${1 + (i % 5)} = ${i * 7}\n*(u64 *)(r10 -${8 * (1 + (i % 8))}) = r${1 + (i % 5)}`).join('\n') + '\nexit',
    levels: [1, 1 | BPF_LOG_FIXED],
  },
  // refused on the second path: a packet read past the bound checked
  refused: {
    src: `
    r0 = 0
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r2
    r4 += 4
    if r4 > r3 goto +5
    r5 = *(u8 *)(r2 +0)
    if r5 > 9 goto +2
    r0 = *(u32 *)(r2 +0)
    exit
    r0 = *(u32 *)(r2 +2)
    exit`,
    levels: [1, 2, 1 | BPF_LOG_FIXED, 2 | BPF_LOG_FIXED],
  },
  // refused after several explored paths (bpf_vlog_reset at level 1 drops each finished one)
  manypaths: {
    src: `
    r0 = 0
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r2
    r4 += 8
    if r4 > r3 goto +12
    r5 = *(u8 *)(r2 +0)
    r6 = *(u8 *)(r2 +1)
    r7 = *(u8 *)(r2 +2)
    if r5 > r6 goto +1
    r0 += r5
    if r6 > r7 goto +1
    r0 += r6
    if r5 > r7 goto +1
    r0 += r7
    r0 &= 3
    r0 += 1
    r8 = 2
    r8 += r0
    exit`,
    levels: [1, 2, 1 | BPF_LOG_FIXED, 2 | BPF_LOG_FIXED],
  },
};

const progs = Object.entries(PROGRAMS).map(([name, p]) => ({ name, levels: p.levels, insns: assemble(p.src, { dialect: 'kernel' }) as Insn[] }));

interface Answer { errno: string | null; log: string; trueSize: number }

function kernelAnswer(insns: Insn[], level: number, size: number): Answer {
  // maxLogSize = logSize: one load with exactly this buffer; on ENOSPC the oracle keeps that log and
  // asks again without a log for the verifier's own verdict (logTruncated)
  const r = oracle.progLoad({ type: XDP, insns: encodeProgram(insns), logLevel: level, logSize: size, maxLogSize: size });
  if (r.fd !== null) oracle.close(r.fd);
  return { errno: r.logTruncated ? 'ENOSPC' : r.fd !== null ? null : r.errnoName, log: r.log, trueSize: r.logTrueSize };
}

function simAnswer(insns: Insn[], level: number, size: number): Answer {
  const v = verify(insns, { progType: XDP, logLevel: (level & 3) as 1 | 2, logSize: size, logFixed: (level & BPF_LOG_FIXED) !== 0 });
  return { errno: v.errno, log: v.log, trueSize: v.logTrueSize ?? -1 };
}

const avail = oracle.available();
const k = avail.ok ? describe : describe.skip;

k(`log_size against the kernel (${avail.ok ? 'kernel' : avail.reason})`, () => {
  for (const p of progs) {
    for (const level of p.levels) {
      test(`${p.name}, log_level ${level}`, () => {
        const whole = kernelAnswer(p.insns, level, 1 << 20);
        const n = whole.trueSize;
        expect(n).toBeGreaterThan(500);
        expect(simAnswer(p.insns, level, 1 << 20)).toEqual(whole);
        const sizes = [...new Set([128, 129, 200, 511, 1000, 4096, n - 2, n - 1, n, n + 1, 1 << 20].filter((s) => s >= 128 && s <= 1 << 20))];
        for (const size of sizes) {
          const want = kernelAnswer(p.insns, level, size);
          expect({ size, ...simAnswer(p.insns, level, size) }).toEqual({ size, ...want });
        }
      });
    }
  }
});

describe('bpf_vlog_init: log attributes the kernel refuses (EINVAL, nothing logged)', () => {
  const insns = progs[0].insns;
  test.each([
    ['a buffer with log level 0', 0, 100],
    ['more than UINT_MAX >> 2 bytes', 1, 2 ** 30],
    ['a negative size', 1, -1],
    ['a fractional size', 1, 10.5],
  ])('%s', (_what, level, size) => {
    const v = verify(insns, { progType: XDP, logLevel: level as 0 | 1, logSize: size });
    expect([v.accepted, v.errno, v.log, v.processed]).toEqual([false, 'EINVAL', '', 0]);
  });
  test('the largest size, and no buffer (size 0) at level 1: accepted, log_true_size reported', () => {
    const big = verify(insns, { progType: XDP, logLevel: 1, logSize: 2 ** 30 - 1 });
    expect([big.accepted, big.errno]).toEqual([true, null]);
    const none = verify(insns, { progType: XDP, logLevel: 1, logSize: 0 });
    expect([none.accepted, none.errno, none.log, none.logTrueSize]).toEqual([true, null, '', big.logTrueSize]);
  });
  test('sizes below 128 are taken (6.18 has no minimum): size 1 keeps nothing, size 10 the last 9 bytes', () => {
    const one = verify(insns, { progType: XDP, logLevel: 1, logSize: 1 });
    expect([one.errno, one.log]).toEqual(['ENOSPC', '']);
    const ten = verify(insns, { progType: XDP, logLevel: 1, logSize: 10 });
    expect([ten.errno, ten.log]).toEqual(['ENOSPC', 'k_read 0\n']);
  });
});
