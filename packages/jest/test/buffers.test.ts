/**
 * obj.openBuffers(): a test reads a tool's ring and perf buffers as its user space would
 * (@bpfsim/kernel's BufferReader), including what a full perf buffer loses.
 */
import '../src/setup';
import { bpfsim } from '../src';
import { corpusFile, scenarioFile } from './paths';

function killRecord(pid: number, sig: number): Uint8Array {
  const b = Buffer.alloc(32);
  b.writeInt32LE(62, 8);
  b.writeBigInt64LE(BigInt(pid), 16);
  b.writeBigInt64LE(BigInt(sig), 24);
  return new Uint8Array(b);
}

describe('openBuffers', () => {
  test('ring buffer records arrive at the next poll, in order, with the CPU that made them; discarded ones never', () => {
    const k = bpfsim.kernel({ seed: 1, cpus: 2 });
    const obj = k.load(scenarioFile('ringbuf-events', 'ringbuf_events.bpf.o'));
    const reader = obj.openBuffers();
    obj.program('on_kill').run({ ctx: killRecord(1234, 15), cpu: 0 });
    obj.program('on_kill').run({ ctx: killRecord(0, 9), cpu: 1 }); // discarded by the program
    obj.program('on_kill').run({ ctx: killRecord(5678, 9), cpu: 1 });
    const got = reader.poll();
    expect(got.map((e) => [e.kind, e.source, e.map, e.cpu, e.kind === 'sample' ? new DataView(e.data.buffer, e.data.byteOffset).getInt32(0, true) : 0]))
      .toEqual([['sample', 'ringbuf', 'events', 0, 1234], ['sample', 'ringbuf', 'events', 1, 5678]]);
    expect(reader.poll()).toEqual([]);
  });

  test('a perf buffer of one page that nobody reads: -ENOSPC, then one lost record with the count', () => {
    const k = bpfsim.kernel({ seed: 1, cpus: 1 });
    const obj = k.load(corpusFile('perfbuf.bpf.o'));
    const reader = obj.openBuffers({ perfPages: 1 });
    for (let i = 0; i < 400; i++) obj.program('perf_exec').run({ ctx: new Uint8Array(64), cpu: 0 });
    const got = reader.poll();
    const samples = got.filter((e) => e.kind === 'sample');
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.length).toBeLessThan(400);
    const lost = 400 - samples.length;
    expect(reader.lostCounts()).toEqual({ 'perf:events': lost });
    obj.program('perf_exec').run({ ctx: new Uint8Array(64), cpu: 0 });
    const next = reader.poll();
    expect(next.map((e) => e.kind)).toEqual(['lost', 'sample']);
    expect(next[0]).toMatchObject({ kind: 'lost', count: lost, map: 'events', cpu: 0 });
  });
});
