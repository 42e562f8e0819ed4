/**
 * Invalid encodings are verdicts, not crashes: seeded programs with one badly encoded instruction
 * (an unknown opcode, reserved fields set, a broken or truncated lddw, registers R11-R15, bad
 * byte-swap widths and sign-extension offsets, calls and exits with stray fields) go to the running
 * kernel and to bpfsim. The kernel refuses each at load (resolve_pseudo_ldimm64, check_subprogs,
 * do_check) with EINVAL and one message; bpfsim must give the same errno, final line and log.
 * Skipped, with the reason, where bpf() is not available.
 */
import seedrandom from 'seedrandom';
import { Insn } from '@bpfsim/isa';
import { BpfProgType } from '@bpfsim/uapi';
import { compareCase, oracleAvailable } from './gen/compare';
import type { GenCase } from './gen/verifier-gen';

const avail = oracleAvailable();
const d = avail.ok ? describe : describe.skip;
if (!avail.ok) console.log(`encoding kernel tests skipped: ${avail.reason}`);

type Rng = () => number;
const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => new Insn(code, dst, src, off, imm | 0);
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const reg = (r: Rng): number => int(r, 0, 9);
const badReg = (r: Rng): number => int(r, 11, 15);

/** One bad instruction (or lddw pair) per kind. */
const KINDS: Record<string, (r: Rng) => Insn[]> = {
  unknown_opcode: (r) => [I(pick(r, [0x8f, 0x0e, 0xe7, 0xf5, 0xfd, 0x9d, 0x3e, 0x8c, 0xd6, 0x20, 0x28, 0x30, 0x38, 0x40]), reg(r), 0, 0, 0)],
  alu_k_src: (r) => [I(pick(r, [0x07, 0x04, 0x17, 0x47, 0xa7, 0xb7, 0xb4]), reg(r), int(r, 1, 9), 0, 1)],
  alu_x_imm: (r) => [I(pick(r, [0x0f, 0x0c, 0x1f, 0x4f, 0xaf]), reg(r), reg(r), 0, int(r, 1, 99))],
  alu_off: (r) => [I(pick(r, [0x07, 0x0f, 0x27, 0x2f, 0x57]), reg(r), 0, int(r, 1, 9), 1)],
  div_off: (r) => [I(pick(r, [0x37, 0x97, 0x3f]), reg(r), 0, int(r, 2, 9), 1)],
  mov_bad_sx: (r) => [I(pick(r, [0xbf, 0xbc]), reg(r), reg(r), pick(r, [1, 4, 24, 33, 64]), 0)],
  mov_x_imm: (r) => [I(0xbf, reg(r), reg(r), 0, int(r, 1, 9))],
  neg_fields: (r) => [I(pick(r, [0x87, 0x84]), reg(r), pick(r, [0, 1]), pick(r, [0, 2]), pick(r, [1, 0]))],
  end_width: (r) => [I(pick(r, [0xd4, 0xdc, 0xd7]), reg(r), 0, 0, pick(r, [0, 8, 24, 48, 128]))],
  ldx_imm: (r) => [I(pick(r, [0x61, 0x79, 0x71]), reg(r), 10, -8, int(r, 1, 9))],
  st_src: (r) => [I(pick(r, [0x62, 0x7a]), 10, int(r, 1, 9), -8, 0)],
  stx_imm: (r) => [I(pick(r, [0x63, 0x7b]), 10, reg(r), -8, int(r, 1, 9))],
  jmp_k_src: (r) => [I(pick(r, [0x15, 0x25, 0x16]), reg(r), int(r, 1, 9), 0, 0)],
  jmp_x_imm: (r) => [I(pick(r, [0x1d, 0x2d, 0x1e]), reg(r), reg(r), 0, int(r, 1, 9))],
  ja_fields: (r) => [I(0x05, pick(r, [0, 1]), pick(r, [0, 2]), 0, pick(r, [1, 0]))],
  call_fields: (r) => [I(0x85, pick(r, [0, 1]), 0, pick(r, [0, 3]), 7)],
  exit_fields: (r) => [I(0x95, pick(r, [0, 1]), pick(r, [0, 1]), 0, pick(r, [0, 1]))],
  lddw_second: (r) => [I(0x18, reg(r), 0, 0, 1), I(pick(r, [0, 0x18, 0x07]), pick(r, [0, 1]), pick(r, [0, 1]), pick(r, [0, 1]), 0)],
  lddw_off: (r) => [I(0x18, reg(r), 0, int(r, 1, 9), 1), I(0)],
  ld_imm_size: (r) => [I(pick(r, [0x00, 0x08, 0x10]), reg(r), 0, 0, 1), I(0)],
  ld_abs_fields: (r) => [I(pick(r, [0x20, 0x28, 0x30, 0x40]), pick(r, [0, 1]), pick(r, [0, 1]), pick(r, [0, 1]), 0)],
  dst_r11: (r) => [I(pick(r, [0xb7, 0x07, 0x61, 0x79]), badReg(r), 0, 0, 0)],
  src_r11: (r) => [I(pick(r, [0xbf, 0x0f, 0x7b, 0x1d]), reg(r), badReg(r), 0, 0)],
};

/**
 * Whole programs of random words ending in exit (the order of the kernel's checks decides which
 * error comes first: check_subprogs' jump ranges, resolve_pseudo_ldimm64's opcodes, do_check's fields).
 */
function randomWords(seed: string, n: number): GenCase[] {
  const r = seedrandom(seed);
  const codes = [...new Set(Object.values(KINDS).flatMap((k) => k(seedrandom(`${seed}/codes`)).map((i) => i.code)))];
  return Array.from({ length: n }, (_, i) => {
    const len = int(r, 1, 8);
    const insns = Array.from({ length: len }, () => I(r() < 0.7 ? pick(r, codes) : int(r, 0, 255), int(r, 0, 15), int(r, 0, 15),
      r() < 0.7 ? int(r, -2, 3) : int(r, -32768, 32767), r() < 0.7 ? int(r, -1, 8) : int(r, -0x80000000, 0x7fffffff)));
    return { id: `${seed}/${i}`, kind: 'random_words', progType: BpfProgType.SOCKET_FILTER, insns: [...insns, I(0x95)], maps: [] };
  });
}

function cases(seed: string, n: number): GenCase[] {
  const r = seedrandom(seed);
  const kinds = Object.keys(KINDS);
  return Array.from({ length: n }, (_, i) => {
    const kind = kinds[i % kinds.length];
    const bad = KINDS[kind](seedrandom(`${seed}/${i}`));
    // a valid start (the stack slot the loads and stores use), the bad instruction, a valid end
    const insns = [I(0x7a, 10, 0, -8, 0), I(0xb7, 0, 0, 0, 0), ...bad, I(0xb7, 0, 0, 0, 0), I(0x95)];
    const progType = pick(r, [BpfProgType.SOCKET_FILTER, BpfProgType.XDP, BpfProgType.SCHED_CLS]);
    return { id: `${seed}/${i}`, kind, progType, insns, maps: [] };
  });
}

d('invalid encodings vs the kernel', () => {
  const results = avail.ok ? [...cases('encoding', 230), ...randomWords(process.env.BPFSIM_ENCODING_SEED ?? 'encoding-words', Number(process.env.BPFSIM_ENCODING_WORDS_N ?? 200))].map((c) => compareCase(c)) : [];

  test('errno and final line agree on every program', () => {
    const wrong = results.filter((x) => !(x.verdict && x.errno && x.line))
      .map((x) => `${x.c.id} ${x.c.kind} ${x.c.insns.map((i) => i.toString()).join(' ')}: kernel ${x.kernel.errno ?? 'OK'} ${x.kernel.error ?? ''} / bpfsim ${x.sim.errno ?? 'OK'} ${x.sim.error ?? ''}`);
    expect(wrong).toEqual([]);
  });

  test('the level-1 log is the kernel\'s', () => {
    const differ = results.filter((x) => (x.kernel.log ?? '') !== (x.sim.log ?? ''))
      .map((x) => `${x.c.id} ${x.c.kind}\n--- kernel\n${x.kernel.log}--- bpfsim\n${x.sim.log}`);
    expect(differ.slice(0, 3)).toEqual([]);
  });

  test('every kind is refused by the kernel somewhere, with EINVAL', () => {
    for (const kind of [...Object.keys(KINDS), 'random_words']) {
      const rs = results.filter((x) => x.c.kind === kind);
      expect(rs.some((x) => !x.kernel.accepted && x.kernel.errno === 'EINVAL')).toBe(true);
    }
  });
});
