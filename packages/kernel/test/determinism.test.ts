/**
 * Determinism: the same seed gives the same trace, byte for byte in its
 * canonical (msgpack) encoding; the trace is plain data; a different seed
 * changes what the seeded streams decide; a new rng consumer does not shift
 * another's numbers.
 */
import fc from 'fast-check';
import { assemble } from '@bpfsim/isa';
import { Kernel, Rng, type TraceRecord } from '@bpfsim/kernel';
import { stackString } from './asm-util';
import { newKernel, u32le } from './kit';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const msgpack = require('msgpack-lite');

const [fmtAsm, fmtOff] = stackString('r=%u cpu=%d t=%llu\n', 16);
const PROG = `
  call bpf_get_prandom_u32
  r6 = r0
  call bpf_get_smp_processor_id
  r8 = r0
  call bpf_ktime_get_ns
  r7 = r0
  *(u32 *)(r10 - 4) = r8
  *(u64 *)(r10 - 16) = r6
  r1 = map[id:0]
  r2 = r10
  r2 += -4
  r3 = r10
  r3 += -16
  r4 = 0
  call bpf_map_update_elem
  ${fmtAsm}
  r1 = r10
  r1 += ${fmtOff}
  r2 = ${-fmtOff}
  r3 = r6
  r4 = r8
  r5 = r7
  call bpf_trace_printk
  r0 = r6
  r0 &= 3
  exit`;

function scenario(seed: string | number, cpus: number, runs: number): { kernel: Kernel; bytes: Buffer } {
  const k = newKernel({ seed, cpus });
  const map = k.bpf.mapCreate({ type: 1, keySize: 4, valueSize: 8, maxEntries: 64, name: 'last' });
  const insns = assemble(PROG.replace('map[id:0]', `map[id:${map}]`), { dialect: 'kernel' });
  const p = k.bpf.progLoad({ progType: 6, insns, license: 'GPL', name: 'det' });
  if (p.fd < 0) throw new Error(`load: ${p.error}\n${p.log}`);
  for (let i = 0; i < runs; i++) k.bpf.progTestRun(p.fd, { dataIn: new Uint8Array(14 + i), repeat: 1 + (i % 3) });
  return { kernel: k, bytes: msgpack.encode(k.trace.records) };
}

/** Plain data only: what the canonical encoding can hold unchanged. */
function assertPlain(v: unknown, path: string): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    expect({ path, finite: Number.isFinite(v) }).toEqual({ path, finite: true });
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => assertPlain(x, `${path}[${i}]`));
  expect({ path, proto: Object.getPrototypeOf(v) === Object.prototype }).toEqual({ path, proto: true });
  for (const [k, x] of Object.entries(v as object)) {
    expect({ path: `${path}.${k}`, defined: x !== undefined }).toEqual({ path: `${path}.${k}`, defined: true });
    assertPlain(x, `${path}.${k}`);
  }
}

describe('determinism', () => {
  test('same seed, same trace bytes; the records are plain data', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer()), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 }), (seed, cpus, runs) => {
        const a = scenario(seed, cpus, runs);
        const b = scenario(seed, cpus, runs);
        expect(a.bytes.equals(b.bytes)).toBe(true);
        expect(a.kernel.bpf.tracePipe).toEqual(b.kernel.bpf.tracePipe);
        a.kernel.trace.records.forEach((r: TraceRecord, i: number) => assertPlain(r, `trace[${i}]`));
        expect(msgpack.decode(a.bytes)).toEqual(a.kernel.trace.records);
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  test('different seeds give different prandom draws and CPU placements', () => {
    const traces = new Set<string>();
    for (let s = 0; s < 12; s++) traces.add(scenario(`seed-${s}`, 4, 4).bytes.toString('hex'));
    expect(traces.size).toBe(12);
  });

  test('the trace records what the program did', () => {
    const { kernel } = scenario('x', 2, 2);
    const kinds = kernel.trace.records.map((r) => r.kind);
    expect(kinds).toEqual(['map_update', 'trace_pipe', 'prog_run', 'map_update', 'trace_pipe', 'map_update', 'trace_pipe', 'prog_run']);
    const tp = kernel.trace.of('trace_pipe');
    const pr = kernel.trace.of('prog_run');
    // The printk saw the CPU the run was placed on, and the time the clock showed.
    expect(tp[0].text).toMatch(new RegExp(`^r=\\d+ cpu=${pr[0].cpu} t=${pr[0].t}$`));
    expect(kernel.bpf.tracePipe[0]).toMatch(/^ {10}bpfsim-1000    \[00\d\] b\.\.11     1\.000000: bpf_trace_printk: r=\d+ cpu=\d t=1000000000$/);
    // The map holds, per CPU used, the last prandom value drawn there.
    const m = kernel.bpf.allMaps()[0];
    const last = kernel.trace.of('map_update').at(-1)!;
    expect(Buffer.from(m.lookup(Buffer.from(last.key, 'hex')) as Uint8Array).toString('hex')).toBe(last.value);
  });

  test('a new rng consumer never shifts another stream', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string({ minLength: 1 }), { maxLength: 5 }), (seed, others) => {
        const a = new Rng(seed);
        const first = Array.from({ length: 8 }, () => a.stream('prandom').u32());
        const b = new Rng(seed);
        const draws: number[] = [];
        for (let i = 0; i < 8; i++) {
          for (const o of others) if (o !== 'prandom') b.stream(o).u32();
          draws.push(b.stream('prandom').u32());
        }
        expect(draws).toEqual(first);
      }),
      { numRuns: 50, seed: 8 },
    );
  });

  test('the clock only moves through modelled costs: runs advance it by their instruction count', () => {
    const k = newKernel({ seed: 1 });
    const p = k.bpf.progLoad({ progType: 6, insns: assemble('r0 = 2\nexit', { dialect: 'kernel' }), license: 'GPL' });
    const t0 = k.clock.monotonicNs;
    const r = k.bpf.progTestRun(p.fd, { dataIn: new Uint8Array(20), repeat: 5 });
    expect(typeof r === 'number' ? r : r.ret).toBe(0);
    expect(k.clock.monotonicNs - t0).toBe(10n);
    expect(typeof r === 'number' ? 0 : r.duration).toBe(2);
  });
});
