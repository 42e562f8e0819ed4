/**
 * Comparing the kernel's and the VM's outcome of one generated case, and
 * printing a disagreement as a jest test case ready to paste.
 */
import type { GeneratedCase } from './generator';
import type { KernelOutcome } from './kernel-side';
import { OUT_REGS_OFF, OUT_STACK_OFF, PKT_LEN, STACK_AREA_LEN, STACK_AREA_OFF } from './layout';
import type { VmOutcome } from './vm-side';

type KernelRan = Extract<KernelOutcome, { accepted: true }>;

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const u64At = (b: Uint8Array, at: number): bigint => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true);
const h64 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

/** What differs, in words ([] when the two agree). */
export function differences(k: KernelRan, v: VmOutcome): string[] {
  if (k.errnoName) return [`kernel test run failed: ${k.errnoName}`];
  if (!v.ok) return [`vm failed: ${v.error}`];
  const out: string[] = [];
  if (k.retval !== v.retval) out.push(`retval: kernel ${k.retval} (0x${k.retval.toString(16)}), vm ${v.retval} (0x${v.retval.toString(16)})`);
  if (k.packet.length !== v.packet.length) return [...out, `packet length: kernel ${k.packet.length}, vm ${v.packet.length}`];
  for (let reg = 0; reg <= 9; reg++) {
    const at = OUT_REGS_OFF + 8 * reg;
    const a = u64At(k.packet, at);
    const b = u64At(v.packet, at);
    if (a !== b) out.push(`r${reg}: kernel ${h64(a)}, vm ${h64(b)}`);
  }
  for (let w = 0; w < STACK_AREA_LEN; w += 8) {
    const a = u64At(k.packet, OUT_STACK_OFF + w);
    const b = u64At(v.packet, OUT_STACK_OFF + w);
    if (a !== b) out.push(`stack *(u64 *)(r10 ${STACK_AREA_OFF + w}): kernel ${h64(a)}, vm ${h64(b)}`);
  }
  for (let i = OUT_STACK_OFF + STACK_AREA_LEN; i < PKT_LEN; i++) {
    if (k.packet[i] !== v.packet[i]) out.push(`packet[${i}]: kernel 0x${k.packet[i].toString(16)}, vm 0x${v.packet[i].toString(16)}`);
  }
  return out;
}

/** The kernel's own listing of the program ("12: (bf) r1 = r6"), from a log_level 2 log. */
export function kernelListing(log: string): string[] {
  const out: string[] = [];
  let inLive = false;
  for (const line of log.split('\n')) {
    if (line === 'Live regs before insn:') { inLive = true; continue; }
    if (!inLive) continue;
    const m = /^\s*(?:\d+\s+)?(\d+): \S{10} (\(.*)$/.exec(line);
    if (!m) break;
    out.push(`${m[1]}: ${m[2]}`);
  }
  return out;
}

/** A jest test reproducing the disagreement (paste into tools/fuzz/test/regressions.test.ts). */
export function formatJestCase(c: GeneratedCase, k: KernelRan, v: VmOutcome, diffs: string[], listing: string[] = []): string {
  const insns = c.insns.map((i) => `    new Insn(0x${i.code.toString(16).padStart(2, '0')}, ${i.dst}, ${i.src}, ${i.off}, ${i.imm}),`);
  return [
    `// fuzz case ${c.seed}: the kernel and bpfsim disagree`,
    ...diffs.map((d) => `//   ${d}`),
    ...(listing.length ? ['// program, as the kernel lists it:', ...listing.map((l) => `//   ${l}`)] : []),
    `test('fuzz ${c.seed}', () => {`,
    `  const insns = [`,
    ...insns,
    `  ];`,
    `  const packet = Uint8Array.from(Buffer.from('${hex(c.packet)}', 'hex'));`,
    `  const vm = runInVm({ seed: '${c.seed}', insns, packet });`,
    `  if (!vm.ok) throw new Error(vm.error);`,
    `  // the kernel's outcome (BPF_PROG_TEST_RUN on Linux ${process.platform === 'linux' ? require('os').release() : '?'}):`,
    `  expect(vm.retval).toBe(${k.retval});`,
    `  expect(Buffer.from(vm.packet).toString('hex')).toBe('${hex(k.packet)}');`,
    v.ok ? `  // bpfsim gave retval ${v.retval}, packet ${hex(v.packet)}` : `  // bpfsim failed: ${v.error}`,
    `});`,
  ].join('\n');
}
