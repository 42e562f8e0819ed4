/**
 * The oracle against the running kernel: loads, rejections with their final
 * error line, test runs and map commands. Skipped (with the reason in the
 * suite name) where bpf() is not available.
 */
import fc from 'fast-check';
import * as oracle from '../index';

const XDP = 6;
const BPF_MAP_TYPE_HASH = 1;
const BPF_MAP_TYPE_ARRAY = 2;
const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
const BPF_MAP_TYPE_QUEUE = 22;

/** [code, dst, src, off, imm] tuples -> slot bytes. */
function prog(...insns: [number, number, number, number, number][]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const dv = new DataView(out.buffer);
  insns.forEach(([code, dst, src, off, imm], i) => {
    dv.setUint8(i * 8, code);
    dv.setUint8(i * 8 + 1, (src << 4) | dst);
    dv.setInt16(i * 8 + 2, off, true);
    dv.setInt32(i * 8 + 4, imm, true);
  });
  return out;
}

const EXIT: [number, number, number, number, number] = [0x95, 0, 0, 0, 0];
const movImm = (dst: number, imm: number): [number, number, number, number, number] => [0xb7, dst, 0, 0, imm];
const u32le = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64le = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);

describe('verifier log parsing', () => {
  const trailer = 'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n';
  test('lastErrorLine skips the statistics trailer', () => {
    expect(oracle.lastErrorLine(`0: (95) exit\nR0 !read_ok\n${trailer}`)).toBe('R0 !read_ok');
    expect(oracle.lastErrorLine(`a\nR0 offset is outside of the packet\nverification time 23 usec\nstack depth 0+8\n${trailer}`))
      .toBe('R0 offset is outside of the packet');
    expect(oracle.lastErrorLine('no trailer here\n\n')).toBe('no trailer here');
    expect(oracle.lastErrorLine(trailer)).toBe('');
    expect(oracle.lastErrorLine('')).toBe('');
  });
  test('verifierStats reads the processed line', () => {
    expect(oracle.verifierStats(`x\n${trailer}`)).toEqual({ processed: 2, limit: 1000000, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, markRead: 0 });
    expect(oracle.verifierStats('R0 !read_ok')).toBeNull();
  });
  test('errnoName', () => {
    expect(oracle.errnoName(0)).toBe('');
    expect(oracle.errnoName(13)).toBe('EACCES');
    expect(oracle.errnoName(524)).toBe('ENOTSUPP');
  });
});

/** The type id of typedef `name` in the profile kernel's vmlinux BTF (a minimal BTF walk). */
function btfTypedefId(name: string): number | null {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const b: Buffer = require('../profile').profileBtfBytes();
  const hdr = b.readUInt32LE(4), typeOff = b.readUInt32LE(8), typeLen = b.readUInt32LE(12), strOff = b.readUInt32LE(16);
  const str = (o: number): string => { const s0 = hdr + strOff + o; return b.subarray(s0, b.indexOf(0, s0)).toString(); };
  const extra: Record<number, (vlen: number) => number> = { 1: () => 4, 3: () => 12, 4: (v) => 12 * v, 5: (v) => 12 * v, 6: (v) => 8 * v, 13: (v) => 8 * v, 14: () => 4, 15: (v) => 12 * v, 17: () => 4, 19: (v) => 12 * v };
  let at = hdr + typeOff;
  for (let id = 1; at < hdr + typeOff + typeLen; id++) {
    const info = b.readUInt32LE(at + 4), kind = (info >>> 24) & 0x1f, vlen = info & 0xffff;
    if (kind === 8 && str(b.readUInt32LE(at)) === name) return id;
    at += 12 + (extra[kind]?.(vlen) ?? 0);
  }
  return null;
}

const avail = oracle.available();
const kernel = avail.ok ? describe : describe.skip;

kernel(`kernel oracle${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  test('accepts and test-runs a program; data comes back unchanged', () => {
    const r = oracle.progLoad({ type: XDP, insns: prog(movImm(0, 2), EXIT), logLevel: 1 });
    expect(r.errnoName).toBe('');
    expect(r.fd).not.toBeNull();
    const data = Uint8Array.from({ length: 64 }, (_, i) => i * 7);
    const t = oracle.testRun(r.fd!, { dataIn: data, repeat: 3 });
    expect(t.errno).toBe(0);
    expect(t.retval).toBe(2);
    expect(Array.from(t.dataOut!)).toEqual(Array.from(data));
    expect(oracle.close(r.fd!).errno).toBe(0);
    expect(oracle.close(r.fd!).errnoName).toBe('EBADF');
  });

  test('retval is the low 32 bits of r0 (random immediates)', () => {
    fc.assert(fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (imm) => {
      const r = oracle.progLoad({ type: XDP, insns: prog(movImm(0, imm), EXIT) });
      expect(r.fd).not.toBeNull();
      const t = oracle.testRun(r.fd!, { dataIn: new Uint8Array(64) });
      oracle.close(r.fd!);
      expect(t.retval).toBe(imm >>> 0);
    }), { numRuns: 50, seed: 7 });
  });

  test('a packet write after a bounds check shows in dataOut', () => {
    // r2 = data; r3 = data_end; r4 = r2; r4 += 16; if r4 > r3 goto drop;
    // *(u32 *)(r2 + 12) = 0x11223344; r0 = 2; exit; drop: r0 = 1; exit
    const head: [number, number, number, number, number][] = [
      [0x61, 2, 1, 0, 0], [0x61, 3, 1, 4, 0], [0xbf, 4, 2, 0, 0], [0x07, 4, 0, 0, 16],
    ];
    const insns = prog(...head, [0x2d, 4, 3, 3, 0], [0x62, 2, 0, 12, 0x11223344], movImm(0, 2), EXIT, movImm(0, 1), EXIT);
    // The same jumping to the first exit, where r0 is unset on that path.
    const bad = oracle.loadVerdict({ type: XDP, insns: prog(...head, [0x2d, 4, 3, 2, 0], [0x62, 2, 0, 12, 0x11223344], movImm(0, 2), EXIT) });
    expect(bad).toMatchObject({ accepted: false, errnoName: 'EACCES', lastErrorLine: 'R0 !read_ok' });
    const r = oracle.progLoad({ type: XDP, insns });
    expect(r.fd).not.toBeNull();
    const t = oracle.testRun(r.fd!, { dataIn: new Uint8Array(16) });
    expect(t.retval).toBe(2);
    expect(Array.from(t.dataOut!.subarray(8, 16))).toEqual([0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11]);
    const short = oracle.testRun(r.fd!, { dataIn: new Uint8Array(15) }); // bounds check fails
    expect(short.retval).toBe(1);
    expect(Array.from(short.dataOut!)).toEqual(new Array(15).fill(0));
    oracle.close(r.fd!);
  });

  test('rejections carry errno and the final error line', () => {
    const unreadPkt = oracle.loadVerdict({ type: XDP, insns: prog([0x61, 0, 1, 0, 0], [0x71, 0, 0, 0, 0], EXIT) });
    expect(unreadPkt).toMatchObject({ accepted: false, errnoName: 'EACCES', lastErrorLine: 'R0 offset is outside of the packet' });
    const outOfRange = oracle.loadVerdict({ type: XDP, insns: prog([0x05, 0, 0, 5, 0], EXIT) });
    expect(outOfRange).toMatchObject({ accepted: false, errnoName: 'EINVAL', lastErrorLine: 'jump out of range from insn 0 to 6' });
    expect(outOfRange.stats?.processed).toBe(0);
    const ok = oracle.loadVerdict({ type: XDP, insns: prog(movImm(0, 1), EXIT) });
    expect(ok).toMatchObject({ accepted: true, errno: 0, lastErrorLine: '' });
    expect(ok.stats?.processed).toBe(2);
  });

  test('attachBtfId: a tp_btf program attaches to a btf_trace_<tp> typedef of the kernel BTF', () => {
    const TRACING = 26, TRACE_RAW_TP = 23;
    // find the typedef's id the way libbpf does, from the raw BTF: scan for the name, then count types
    const id = btfTypedefId('btf_trace_sched_switch');
    if (id === null) return;
    const noId = oracle.loadVerdict({ type: TRACING, expectedAttachType: TRACE_RAW_TP, insns: prog(movImm(0, 0), EXIT) });
    expect(noId).toMatchObject({ accepted: false, errnoName: 'EINVAL', lastErrorLine: 'Tracing programs must provide btf_id' });
    // r2 = ctx->args[2] (next), r0 = *(u32 *)(r2 + 0): a trusted task_struct pointer
    const ok = oracle.loadVerdict({ type: TRACING, expectedAttachType: TRACE_RAW_TP, attachBtfId: id, insns: prog([0x79, 2, 1, 16, 0], [0x61, 0, 2, 0, 0], movImm(0, 0), EXIT), logLevel: 2 });
    expect(ok).toMatchObject({ accepted: true, errno: 0 });
    expect(ok.log).toContain('R2=trusted_ptr_task_struct()');
  });

  test('the log grows on ENOSPC until it is whole', () => {
    const insns = prog([0x61, 0, 1, 0, 0], [0x71, 0, 0, 0, 0], EXIT);
    const r = oracle.progLoad({ type: XDP, insns, logLevel: 2, logSize: 128 });
    expect(r.errnoName).toBe('EACCES'); // the verdict, not ENOSPC
    expect(r.log.length).toBeGreaterThan(128);
    expect(r.log.length + 1).toBe(r.logTrueSize);
    expect(r.log).toMatch(/^func#0 @0\n/);
    expect(r.log).toMatch(/processed 2 insns/);
  });

  test('a log longer than maxLogSize keeps its tail, and the verdict is still the real one', () => {
    // r0 = 0; r1 = 300; loop: r0 += r1; r1 -= 1; if r1 != 0 goto loop; exit (the verifier walks every iteration)
    const insns = prog(movImm(0, 0), movImm(1, 300), [0x0f, 0, 1, 0, 0], [0x17, 1, 0, 0, 1], [0x55, 1, 0, -3, 0], EXIT);
    const whole = oracle.progLoad({ type: XDP, insns, logLevel: 2 });
    expect(whole.logTruncated).toBe(false);
    expect(whole.log.length).toBeGreaterThan(8192);
    oracle.close(whole.fd!);
    const r = oracle.progLoad({ type: XDP, insns, logLevel: 2, maxLogSize: 4096 });
    expect(r.logTruncated).toBe(true);
    expect(r.fd).not.toBeNull();
    expect(r.errno).toBe(0);
    expect(r.log.length).toBeLessThan(4096);
    expect(whole.log.endsWith(r.log)).toBe(true);
    oracle.close(r.fd!);
    const bad = oracle.progLoad({ type: XDP, insns: prog(movImm(1, 300), [0x0f, 0, 1, 0, 0], [0x17, 1, 0, 0, 1], [0x55, 1, 0, -3, 0], EXIT), logLevel: 2, maxLogSize: 256 });
    expect(bad).toMatchObject({ fd: null, errnoName: 'EACCES', logTruncated: true });
    expect(oracle.lastErrorLine(bad.log)).toBe('R0 !read_ok');
  });

  test('progInfo returns the rewritten ctx loads', () => {
    const r = oracle.progLoad({ type: XDP, insns: prog([0x61, 0, 1, 0, 0], movImm(0, 2), EXIT) });
    const info = oracle.progInfo(r.fd!);
    oracle.close(r.fd!);
    expect(info.type).toBe(XDP);
    // The u32 load of xdp_md->data becomes a 64-bit load from struct xdp_buff.
    expect(info.xlated[0]).toBe(0x79);
  });

  test('hash map: update/lookup/iterate/delete with the kernel errnos', () => {
    const m = oracle.mapCreate({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: 'oracle_hash' });
    expect(m.errno).toBe(0);
    const fd = m.fd!;
    expect(oracle.mapInfo(fd)).toMatchObject({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: 'oracle_hash' });
    expect(oracle.mapLookup(fd, u32le(1)).errnoName).toBe('ENOENT');
    for (let k = 1; k <= 4; k++) expect(oracle.mapUpdate(fd, u32le(k), u64le(BigInt(k) * 100n)).errno).toBe(0);
    expect(oracle.mapUpdate(fd, u32le(5), u64le(1n)).errnoName).toBe('E2BIG');
    expect(oracle.mapUpdate(fd, u32le(1), u64le(1n), 1 /* NOEXIST */).errnoName).toBe('EEXIST');
    expect(oracle.mapUpdate(fd, u32le(9), u64le(1n), 2 /* EXIST */).errnoName).toBe('ENOENT');
    expect(Array.from(oracle.mapLookup(fd, u32le(3)).value!)).toEqual(Array.from(u64le(300n)));
    const seen: number[] = [];
    let key: Uint8Array | null = null;
    for (;;) {
      const n = oracle.mapGetNextKey(fd, key);
      if (n.errno) { expect(n.errnoName).toBe('ENOENT'); break; }
      key = n.key!;
      seen.push(new DataView(key.buffer, key.byteOffset).getUint32(0, true));
    }
    expect(seen.sort()).toEqual([1, 2, 3, 4]);
    const b = oracle.mapLookupBatch(fd, { count: 10 });
    expect(b.errnoName).toBe('ENOENT'); // everything fit: the end
    expect(b.count).toBe(4);
    expect(oracle.mapDelete(fd, u32le(2)).errno).toBe(0);
    expect(oracle.mapDelete(fd, u32le(2)).errnoName).toBe('ENOENT');
    const del = oracle.mapDeleteBatch(fd, new Uint8Array([...u32le(1), ...u32le(3)]));
    expect(del).toMatchObject({ errno: 0, count: 2 });
    const upd = oracle.mapUpdateBatch(fd, new Uint8Array([...u32le(7), ...u32le(8)]), new Uint8Array([...u64le(7n), ...u64le(8n)]));
    expect(upd).toMatchObject({ errno: 0, count: 2 });
    expect(oracle.mapLookupAndDelete(fd, u32le(7)).value).toEqual(u64le(7n));
    expect(oracle.mapLookup(fd, u32le(7)).errnoName).toBe('ENOENT');
    oracle.mapUpdate(fd, u32le(4), u64le(44n));
    const drained = oracle.mapLookupAndDeleteBatch(fd, { count: 10 });
    expect(drained).toMatchObject({ errnoName: 'ENOENT', count: 2 });
    const keys = [0, 4].map((at) => new DataView(drained.keys.buffer, drained.keys.byteOffset).getUint32(at, true)).sort();
    expect(keys).toEqual([4, 8]);
    expect(oracle.mapGetNextKey(fd, null).errnoName).toBe('ENOENT'); // empty now
    oracle.close(fd);
  });

  test('array, per-CPU array and queue maps', () => {
    const a = oracle.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(oracle.mapDelete(a.fd!, u32le(0)).errnoName).toBe('EINVAL');
    expect(oracle.mapLookup(a.fd!, u32le(2)).errnoName).toBe('ENOENT');
    expect(oracle.mapUpdate(a.fd!, u32le(1), u32le(0xdead)).errno).toBe(0);
    expect(oracle.mapLookup(a.fd!, u32le(1)).value).toEqual(u32le(0xdead));
    expect(oracle.mapGetNextKey(a.fd!, u32le(0)).key).toEqual(u32le(1));
    expect(oracle.mapGetNextKey(a.fd!, u32le(1)).errnoName).toBe('ENOENT');
    expect(oracle.mapFreeze(a.fd!).errno).toBe(0);
    expect(oracle.mapUpdate(a.fd!, u32le(1), u32le(1)).errnoName).toBe('EPERM');
    oracle.close(a.fd!);

    const p = oracle.mapCreate({ type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(oracle.mapLookup(p.fd!, u32le(0)).value!.length).toBe(8 * oracle.numPossibleCpus());
    oracle.close(p.fd!);

    expect(oracle.mapCreate({ type: BPF_MAP_TYPE_QUEUE, keySize: 4, valueSize: 4, maxEntries: 2 }).errnoName).toBe('EINVAL');
    const q = oracle.mapCreate({ type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 });
    expect(q.errno).toBe(0);
    expect(oracle.mapLookupAndDelete(q.fd!, null).errnoName).toBe('ENOENT');
    oracle.mapUpdate(q.fd!, null, u32le(10));
    oracle.mapUpdate(q.fd!, null, u32le(20));
    expect(oracle.mapUpdate(q.fd!, null, u32le(30)).errnoName).toBe('E2BIG');
    expect(oracle.mapLookupAndDelete(q.fd!, null).value).toEqual(u32le(10));
    expect(oracle.mapLookup(q.fd!, null).value).toEqual(u32le(20)); // peek
    oracle.close(q.fd!);
  });

  test('a program sees a map through a patched-in fd and its update is visible', () => {
    const m = oracle.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const fd = m.fd!;
    // *(u32 *)(r10 - 4) = 0; r1 = map fd (lddw src=1); r2 = r10 - 4; call map_lookup_elem;
    // if r0 == 0 goto out; r1 = 5; lock *(u64 *)(r0 + 0) += r1; out: r0 = 2; exit
    const insns = prog(
      [0x62, 10, 0, -4, 0], [0x18, 1, 1, 0, fd], [0, 0, 0, 0, 0], [0xbf, 2, 10, 0, 0], [0x07, 2, 0, 0, -4],
      [0x85, 0, 0, 0, 1], [0x15, 0, 0, 2, 0], movImm(1, 5), [0xdb, 0, 1, 0, 0], movImm(0, 2), EXIT,
    );
    const r = oracle.progLoad({ type: XDP, insns, logLevel: 1 });
    expect(r.log).toMatch(/processed/);
    expect(r.fd).not.toBeNull();
    const t = oracle.testRun(r.fd!, { dataIn: new Uint8Array(64), repeat: 4 });
    expect(t.retval).toBe(2);
    oracle.close(r.fd!);
    expect(oracle.mapLookup(fd, u32le(0)).value).toEqual(u64le(20n));
    oracle.close(fd);
  });
});
