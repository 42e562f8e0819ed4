/**
 * Loads from a frozen read-only map (libbpf's .rodata / .kconfig) are known constants to the kernel
 * (check_mem_access: bpf_map_is_rdonly + bpf_map_direct_read), so a branch on such a value prunes
 * the dead side: `if (LINUX_KERNEL_VERSION >= ...) ctx[0] else ctx[1]`. Seeded generated programs
 * read a value at a constant offset (sizes 1..8, sign-extending or not) and jump over an invalid
 * read through a scalar only when it equals a constant; the maps are frozen or not, BPF_F_RDONLY_PROG or not.
 * bpfsim must reach the kernel's verdict, errno and final error line.
 */
import { asm, encodeProgram, R0, R1, R2, R3, type Insn } from '@bpfsim/isa';
import { verify } from '@bpfsim/verifier';
import { BpfProgType } from '@bpfsim/uapi';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const oracle = require('../../../tools/oracle');

const avail: { ok: boolean; reason?: string } = oracle.available();
const d = avail.ok ? describe : describe.skip;
if (!avail.ok) console.log(`rodata kernel tests skipped: ${avail.reason}`);

const BPF_MAP_TYPE_ARRAY = 2;
const BPF_F_RDONLY_PROG = 0x80;
const SIZES = [['B', 1], ['H', 2], ['W', 4], ['DW', 8]] as const;

interface Case {
  id: string; value: Uint8Array; rdonly: boolean; frozen: boolean;
  base: number; off: number; size: 'B' | 'H' | 'W' | 'DW'; bytes: number; signed: boolean; k: bigint;
}

/** A small LCG: the cases are a pure function of the seed, so a recorded tape replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
}

function cases(n: number, seed: number): Case[] {
  const next = rng(seed);
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const valueSize = 8 * (1 + (next() % 3));
    const value = new Uint8Array(valueSize).map(() => next() & 0xff);
    const kind = next() % 10;
    const rdonly = kind !== 8;
    const frozen = kind !== 9;
    const [size, bytes] = SIZES[next() % SIZES.length];
    const signed = bytes < 8 && next() % 3 === 0;
    const at = (next() % (valueSize / bytes)) * bytes;
    const base = at === 0 ? 0 : (next() % (at / bytes + 1)) * bytes;
    let v = 0n;
    for (let b = bytes - 1; b >= 0; b--) v = (v << 8n) | BigInt(value[at + b]);
    if (signed) v = BigInt.asUintN(64, BigInt.asIntN(bytes * 8, v));
    const k = next() % 4 === 0 ? BigInt.asUintN(64, v + 1n) : v;
    out.push({ id: `${i}:${rdonly ? 'ro' : 'rw'}${frozen ? '+frozen' : ''}:${signed ? 's' : 'u'}${bytes}@${base}+${at - base}`, value, rdonly, frozen, base, off: at - base, size, bytes, signed, k });
  }
  return out;
}

function program(c: Case, fd: number): Insn[] {
  return asm.program(
    asm.LoadMapValue(R1, fd, c.base),
    c.signed ? asm.LoadMemSX(R2, R1, c.off, c.size as 'B' | 'H' | 'W') : asm.LoadMem(R2, R1, c.off, c.size),
    asm.LoadImm64(R3, c.k),
    asm.JumpIf('JEQ', R2, R3, 'ok'),
    // reached only when the value is not known to equal k: a scalar dereferenced
    asm.LoadMem(R0, R2, 0, 'DW'),
    asm.Label('ok'),
    asm.Mov.Imm(R0, 0),
    asm.Return(),
  );
}

interface Outcome { accepted: boolean; errno: string | null; error: string | null }

function run(c: Case): { kernel: Outcome; sim: Outcome } {
  const valueSize = c.value.length;
  const flags = c.rdonly ? BPF_F_RDONLY_PROG : 0;
  const m = oracle.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize, maxEntries: 1, flags, name: 'ro' });
  if (m.fd === null) throw new Error(`map create: ${m.errnoName}`);
  try {
    const u = oracle.mapUpdate(m.fd, new Uint8Array(4), c.value);
    if (u.errno) throw new Error(`map update: ${u.errnoName}`);
    if (c.frozen) { const f = oracle.mapFreeze(m.fd); if (f.errno) throw new Error(`map freeze: ${f.errnoName}`); }
    const insns = program(c, m.fd);
    const k = oracle.loadVerdict({ type: BpfProgType.SOCKET_FILTER, insns: encodeProgram(insns), logLevel: 1 });
    const s = verify(insns, {
      progType: BpfProgType.SOCKET_FILTER, logLevel: 1,
      maps: [{
        fd: m.fd, type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize, maxEntries: 1, flags, name: 'ro', frozen: c.frozen,
        rdonlyValue: c.rdonly && c.frozen ? c.value : undefined,
      }],
    });
    return {
      kernel: { accepted: k.accepted, errno: k.accepted ? null : k.errnoName, error: k.accepted ? null : k.lastErrorLine },
      sim: { accepted: s.accepted, errno: s.errno, error: s.error },
    };
  } finally {
    oracle.close(m.fd);
  }
}

d('frozen read-only map values are constants (kernel)', () => {
  const all = cases(80, 0x5eed);

  it('covers both verdicts: constants that match and those that do not', () => {
    const known = all.filter((c) => c.rdonly && c.frozen);
    expect(known.length).toBeGreaterThan(40);
    expect(all.filter((c) => !(c.rdonly && c.frozen)).length).toBeGreaterThan(4);
    expect(all.some((c) => c.signed)).toBe(true);
  });

  it('verdict, errno and final error line equal the kernel\'s', () => {
    const diffs: string[] = [];
    let accepted = 0;
    for (const c of all) {
      const r = run(c);
      if (r.kernel.accepted) accepted++;
      if (JSON.stringify(r.kernel) !== JSON.stringify(r.sim)) diffs.push(`${c.id}: kernel ${JSON.stringify(r.kernel)} bpfsim ${JSON.stringify(r.sim)}`);
    }
    expect(diffs).toEqual([]);
    // the kernel accepted some (the constant matched) and refused others
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(all.length);
  });
});
