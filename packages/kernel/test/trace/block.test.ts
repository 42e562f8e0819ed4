/**
 * The block layer seen by a biosnoop-like tool: writes dirty pages, fsync/sync write them back as
 * requests on vda (254:0), which go insert → issue → complete through tp_btf and tracepoint programs;
 * requests, sectors and lengths follow from which pages were dirtied, queueing is first in first out,
 * and the fsync caller waits (its call takes the disk's time).
 */
import { Kernel, parseObject, vmlinuxBtf, type TaskStruct } from '../../src';
import { buildTool, clang, cstring, ringRecords, spawn } from './fire-kit';

interface Ev { delta: bigint; qdelta: bigint; sector: bigint; len: number; pid: number; flags: number; major: number; minor: number; rec: number; comm: string; rwbs: string }
function decode(b: Uint8Array): Ev {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    delta: dv.getBigUint64(0, true), qdelta: dv.getBigUint64(8, true), sector: dv.getBigUint64(16, true), len: dv.getUint32(24, true),
    pid: dv.getUint32(28, true), flags: dv.getUint32(32, true), major: dv.getUint32(36, true), minor: dv.getUint32(40, true),
    rec: dv.getUint32(44, true), comm: cstring(b.subarray(48, 64)), rwbs: cstring(b.subarray(64, 72)),
  };
}

function setup() {
  const k = new Kernel({ seed: 'block', cpus: 2, btf: vmlinuxBtf() });
  void k.world;
  const parsed = parseObject(buildTool('biosnoop'), 'biosnoop.bpf.o', k);
  const obj = k.loadObject(parsed, { file: 'biosnoop.bpf.o' });
  for (const p of parsed.programs) obj.program(p.name).attach(p.section);
  return { k, obj };
}

const O_WRONLY = 1, O_CREAT = 0o100;

function writeFile(k: Kernel, t: TaskStruct, path: string, chunks: [number, number][]): number {
  const fd = k.syscall(t, 'openat', [-100, path, O_WRONLY | O_CREAT, 0o644]).ret;
  expect(fd).toBeGreaterThanOrEqual(0);
  for (const [off, len] of chunks) expect(k.syscall(t, 'pwrite64', [fd, new Uint8Array(len).fill(0x61), len, off]).ret).toBe(len);
  return fd;
}

/** The requests the dirtied pages make: runs of consecutive 4 KiB pages (at most 320 per request). */
function expectedRuns(ino: number, chunks: [number, number][]): { sector: bigint; len: number }[] {
  const pages = new Set<number>();
  for (const [off, len] of chunks) for (let p = Math.floor(off / 4096); p <= Math.floor((off + len - 1) / 4096); p++) pages.add(p);
  const sorted = [...pages].sort((a, b) => a - b);
  const out: { sector: bigint; len: number }[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[j - 1] + 1 && j - i < 320) j++;
    out.push({ sector: BigInt(2048 * (ino + 1) + 8 * sorted[i]), len: (j - i) * 4096 });
    i = j;
  }
  return out;
}

(clang ? describe : describe.skip)('block layer', () => {
  test('fsync writes back exactly the dirtied pages, as FIFO requests on vda, and the caller waits', () => {
    const { k, obj } = setup();
    const db = spawn(k, k.world.init, '/bin/sh', ['db']).child;
    const cases: [number, number][][] = [[[0, 100]], [[0, 4096], [8192, 10]], [[0, 2 << 20]], [[5000, 1], [4096, 4096], [12288, 4096]]];
    for (const [i, chunks] of cases.entries()) {
      const fd = writeFile(k, db, `/tmp/f${i}`, chunks);
      const ino = Number(new DataView(k.syscall(db, 'fstat', [fd, { out: 144 }]).outs[0].buffer).getBigUint64(8, true));
      const before = k.clock.monotonicNs;
      expect(k.syscall(db, 'fsync', [fd]).ret).toBe(0);
      const took = k.clock.monotonicNs - before;
      const evs = ringRecords({ k, obj }).map(decode);
      const btf = evs.filter((e) => !e.rec);
      const rec = evs.filter((e) => e.rec);
      const want = expectedRuns(ino, chunks);
      expect(btf.map((e) => ({ sector: e.sector, len: e.len }))).toEqual(want);
      expect(rec.map((e) => ({ sector: e.sector, len: e.len }))).toEqual(want);
      for (const e of btf) {
        expect(e).toMatchObject({ pid: db.tgid, comm: 'sh', major: 254, minor: 0, flags: 1 | (1 << 11) });
        expect(e.delta).toBeGreaterThanOrEqual(80_000n + 2n * BigInt(e.len));
      }
      for (const e of rec) expect(e).toMatchObject({ major: 254, minor: 0, rwbs: 'WS' });
      // queueing: each request waits for the ones before it
      expect(btf[0].qdelta).toBeLessThan(1000n); // only the insert program's own run time
      for (let j = 1; j < btf.length; j++) expect(btf[j].qdelta).toBeGreaterThanOrEqual(btf[j - 1].delta);
      expect(took).toBeGreaterThanOrEqual(btf.reduce((s, e) => s + e.delta, 0n));
      // nothing left: a second fsync writes nothing
      expect(k.syscall(db, 'fsync', [fd]).ret).toBe(0);
      expect(ringRecords({ k, obj })).toEqual([]);
    }
  });

  test('sync writes back every dirty file in the order they were dirtied; syncfs needs a descriptor', () => {
    const { k, obj } = setup();
    const a = spawn(k, k.world.init, '/bin/sh', ['a']).child;
    writeFile(k, a, '/tmp/x', [[0, 10]]);
    writeFile(k, a, '/tmp/y', [[0, 10000]]);
    expect(k.syscall(a, 'sync', []).ret).toBe(0);
    const evs = ringRecords({ k, obj }).map(decode).filter((e) => !e.rec);
    expect(evs.map((e) => e.len)).toEqual([4096, 12288]);
    expect(k.syscall(a, 'syncfs', [99]).ret).toBe(-9);
  });

  test('the same seed gives the same latencies; another seed other jitter', () => {
    const run = (seed: string) => {
      const k = new Kernel({ seed, cpus: 2, btf: vmlinuxBtf() });
      void k.world;
      const parsed = parseObject(buildTool('biosnoop'), 'biosnoop.bpf.o', k);
      const obj = k.loadObject(parsed, { file: 'biosnoop.bpf.o' });
      for (const p of parsed.programs) obj.program(p.name).attach(p.section);
      const t = spawn(k, k.world.init, '/bin/sh', ['sh']).child;
      const fd = writeFile(k, t, '/tmp/z', [[0, 100], [20000, 100], [90000, 100]]);
      k.syscall(t, 'fsync', [fd]);
      return ringRecords({ k, obj }).map(decode).filter((e) => !e.rec).map((e) => e.delta);
    };
    expect(run('s1')).toEqual(run('s1'));
    expect(run('s1')).not.toEqual(run('s2'));
  });

  test('each completion is the device interrupt (handled) and a BLOCK_SOFTIRQ it raises', () => {
    const k = new Kernel({ seed: 'irq', cpus: 2, btf: vmlinuxBtf() });
    void k.world;
    const parsed = parseObject(buildTool('irqs'), 'irqs.bpf.o', k);
    const obj = k.loadObject(parsed, { file: 'irqs.bpf.o' });
    for (const p of parsed.programs) obj.program(p.name).attach(p.section);
    const t = spawn(k, k.world.init, '/bin/sh', ['sh']).child;
    const fd = writeFile(k, t, '/tmp/i', [[0, 1], [40960, 1], [81920, 1]]);
    expect(k.syscall(t, 'fsync', [fd]).ret).toBe(0);
    const key = new Uint8Array(32);
    key.set(Buffer.from('virtio1-req.0'));
    const v = obj.map('hardirqs').lookup(key) as Uint8Array;
    const dv = new DataView(v.buffer, v.byteOffset);
    expect([dv.getBigUint64(0, true), dv.getBigUint64(8, true)]).toEqual([3n, 3n]);
    const at = (m: string, i: number) => new DataView((obj.map(m).lookup(Uint8Array.of(i, 0, 0, 0)) as Uint8Array).buffer).getBigUint64(0, true);
    expect(at('softirq_count', 4)).toBe(3n);
    expect(at('softirq_raised', 4)).toBe(3n);
    expect(at('softirq_count', 3)).toBe(0n);
  });
});
