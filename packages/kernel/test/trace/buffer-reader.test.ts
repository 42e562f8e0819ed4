/**
 * The buffer reader (src/bpf/buffer-reader.ts): perf and ring buffers consumed as libbpf's
 * perf_buffer__poll / ring_buffer__poll do, with the kernel's space accounting when the consumer
 * falls behind. The capacities below follow from the kernel's formulas, written out per case:
 * perf (kernel/events/ring_buffer.c perf_output_begin): a sample takes 8 + round_up(4 + size, 8)
 * bytes and fits while CIRC_SPACE = data_size - used - 1 >= that; a refused one returns -ENOSPC.
 * ringbuf (kernel/bpf/ringbuf.c __bpf_ringbuf_reserve): a record takes round_up(size + 8, 8) and
 * fits while prod + len - cons <= mask (size - 1); bpf_ringbuf_output returns -EAGAIN otherwise.
 */
import { BufferReader, type BufferEvent, type TaskStruct } from '../../src';
import { clang, loadTool, type Tool } from './fire-kit';

const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

/** How many samples of `size` bytes a perf ring of `pages` pages takes before refusing one. */
function perfCapacity(pages: number, size: number): number {
  const rec = 8 + roundUp8(4 + size);
  let used = 0, n = 0;
  while (pages * 4096 - used - 1 >= rec) { used += rec; n++; }
  return n;
}
/** The same for a ring buffer of `bytes` bytes. */
function ringCapacity(bytes: number, size: number): number {
  const rec = roundUp8(size + 8);
  let prod = 0, n = 0;
  while (prod + rec <= bytes - 1) { prod += rec; n++; }
  return n;
}

function counters(t: Tool): Record<string, bigint> {
  const v = t.obj.map('.bss').lookup(new Uint8Array(4))!;
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  // Each u64 counter where the .bss DATASEC puts it.
  const btf = t.obj.object.btf!;
  const sec = btf.types.find((x) => x.kind === 15 && x.name === '.bss') as { vars: { type: number; offset: number }[] };
  const out: Record<string, bigint> = {};
  for (const x of sec.vars) {
    const name = (btf.types[x.type] as { name: string }).name;
    if (name !== 'buf') out[name] = dv.getBigUint64(x.offset, true);
  }
  return out;
}

const seqOf = (e: BufferEvent): number => (e.kind === 'sample' ? Number(new DataView(e.data.buffer, e.data.byteOffset).getBigUint64(0, true)) : -1);

function setUp(size: number): { t: Tool; task: TaskStruct } {
  const t = loadTool('outputs', { globals: { sample_size: size }, seed: 'buffers' });
  const task = t.k.syscall(t.k.world.init, 'fork').child!;
  return { t, task };
}

(clang ? describe : describe.skip)('buffer reader', () => {
  test('a consumer that falls behind: -ENOSPC / -EAGAIN once full, then PERF_RECORD_LOST before the next sample', () => {
    for (const size of [8, 100, 101, 300]) {
      const { t, task } = setUp(size);
      const reader = new BufferReader(t.k, [t.obj.map('perf').map, t.obj.map('ring').map], { perfPages: 1, pollIntervalNs: 10n ** 15n });
      reader.poll(true);
      const N = 300; // more than any of these rings holds
      for (let i = 0; i < N; i++) t.k.syscall(task, 'getpid');
      expect(reader.poll()).toEqual([]); // not due yet: the consumer is busy elsewhere
      const pc = perfCapacity(1, size), rc = ringCapacity(4096, size);
      const c = counters(t);
      expect(c).toMatchObject({ seq: BigInt(N), perf_ok: BigInt(Math.min(N, pc)), perf_enospc: BigInt(Math.max(0, N - pc)), perf_other: 0n,
        ring_ok: BigInt(Math.min(N, rc)), ring_eagain: BigInt(Math.max(0, N - rc)), ring_other: 0n });
      const first = reader.poll(true);
      const perf = first.filter((e) => e.source === 'perf');
      const ring = first.filter((e) => e.source === 'ringbuf');
      expect(pc).toBeLessThan(N);
      expect(rc).toBeLessThan(N);
      expect(perf.map(seqOf)).toEqual(Array.from({ length: pc }, (_, i) => i + 1));
      // The raw size reads back padded so that u32 size + data is a multiple of 8.
      for (const e of perf) expect((e as { data: Uint8Array }).data.length).toBe(roundUp8(4 + size) - 4);
      expect(ring.filter((e) => e.kind === 'sample').map((e) => (e as { data: Uint8Array }).data.length)).toEqual(Array(rc).fill(size));
      expect(ring.filter((e) => e.kind === 'lost')).toEqual([expect.objectContaining({ count: N - rc })]);
      // Drained: the next sample fits and is preceded by the count of those refused.
      t.k.syscall(task, 'getpid');
      const next = reader.poll(true).filter((e) => e.source === 'perf');
      expect(next).toEqual([
        expect.objectContaining({ kind: 'lost', count: N - pc }),
        expect.objectContaining({ kind: 'sample' }),
      ]);
      expect(seqOf(next[1])).toBe(N + 1);
      expect(reader.lostCounts()).toEqual({ 'ringbuf:ring': N - rc, 'perf:perf': N - pc });
    }
  });

  test('a consumer polled after every syscall loses nothing; samples carry the time and CPU they were made on', () => {
    const { t, task } = setUp(200);
    const reader = new BufferReader(t.k, [t.obj.map('perf').map, t.obj.map('ring').map], { perfPages: 1 });
    const got: BufferEvent[] = [];
    for (let i = 0; i < 200; i++) {
      t.k.syscall(task, 'getpid');
      got.push(...reader.poll());
    }
    expect(got.filter((e) => e.kind === 'lost')).toEqual([]);
    expect(got.filter((e) => e.source === 'perf').map(seqOf)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(got.filter((e) => e.source === 'ringbuf').map(seqOf)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // Each sample's time and CPU are those of the program run that made it (the kernel trace's record).
    const made = t.k.trace.of('perf_event');
    expect(got.filter((e) => e.source === 'perf').map((e) => [String(e.timeNs), e.cpu])).toEqual(made.map((r) => [r.t, r.cpu]));
    const rb = t.k.trace.of('ringbuf');
    expect(got.filter((e) => e.source === 'ringbuf').map((e) => [String(e.timeNs), e.cpu])).toEqual(rb.map((r) => [r.t, r.cpu]));
    expect(counters(t)).toMatchObject({ perf_enospc: 0n, ring_eagain: 0n });
  });

  test('a perf ring size that is not a power of 2 is refused', () => {
    const { t } = setUp(8);
    expect(() => new BufferReader(t.k, [t.obj.map('perf').map], { perfPages: 3 })).toThrow(/power of 2/);
  });
});
