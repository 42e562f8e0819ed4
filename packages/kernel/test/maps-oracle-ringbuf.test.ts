/**
 * Differential: the ring buffer as a program sees it. XDP programs run with
 * BPF_PROG_TEST_RUN reserve+submit records of seeded random sizes into a real
 * ring buffer (nobody consumes, so it fills up), and bpf_ringbuf_query reads
 * the positions; bpfsim's reserve/submit/query must give the same results
 * step by step. Skips when bpf() is unavailable.
 */
import { BpfMapType } from '@bpfsim/uapi';
import { createMap, type RingBufMap } from '../src/bpf/maps/map';
import { RingbufQuery } from '../src/bpf/maps/ringbuf';
import { makeCtx, oracle, oracleStatus, rngOf } from './fixtures/maps-harness';

const status = oracleStatus();
const d = status.ok ? describe : describe.skip;
if (!status.ok) console.log(`maps-oracle-ringbuf skipped: ${status.reason}`);

const XDP = 6;

function insn(op: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = op;
  b[1] = (src << 4) | dst;
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return [...b];
}
const ldMapFd = (dst: number, fd: number) => [...insn(0x18, dst, 1, 0, fd), ...insn(0, 0, 0, 0, 0)];
const movImm = (dst: number, imm: number) => insn(0xb7, dst, 0, 0, imm);
const movReg = (dst: number, src: number) => insn(0xbf, dst, src, 0, 0);
const call = (id: number) => insn(0x85, 0, 0, 0, id);
const jeqImm = (dst: number, imm: number, off: number) => insn(0x15, dst, 0, off, imm);
const EXIT = insn(0x95, 0, 0, 0, 0);

/** r0 = 1 if a `size`-byte record was reserved (and submitted), else 0. */
function reserveProg(fd: number, size: number): Uint8Array {
  return Uint8Array.from([
    ...ldMapFd(1, fd), ...movImm(2, size), ...movImm(3, 0), ...call(131), ...jeqImm(0, 0, 5),
    ...movReg(1, 0), ...movImm(2, 0), ...call(132), ...movImm(0, 1), ...EXIT,
    ...movImm(0, 0), ...EXIT,
  ]);
}
/** r0 = bpf_ringbuf_query(map, flag) */
function queryProg(fd: number, flag: number): Uint8Array {
  return Uint8Array.from([...ldMapFd(1, fd), ...movImm(2, flag), ...call(134), ...EXIT]);
}

function run(insns: Uint8Array): number {
  const p = oracle.progLoad({ type: XDP, insns, logLevel: 1 });
  if (p.fd === null) throw new Error(`load failed: ${p.errnoName}\n${p.log}`);
  const t = oracle.testRun(p.fd, { dataIn: new Uint8Array(64) });
  oracle.close(p.fd);
  if (t.errno) throw new Error(`test run failed: ${t.errnoName}`);
  return t.retval;
}

d('ring buffer reserve and query agree with the kernel', () => {
  test.each([4096, 16384])('ring of %i bytes filled by seeded random reservations', (size) => {
    const k = oracle.mapCreate({ type: BpfMapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: size });
    const m = createMap({ type: BpfMapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: size }, makeCtx()) as RingBufMap;
    const rnd = rngOf(`ring/${size}`);
    const sizes = [1, 7, 8, 9, 100, 1000, 2000, 4000, 4080, 4088, 4096, 5000, 16368, 16376];
    const log: string[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const s = sizes[rnd() % sizes.length];
        const kr = run(reserveProg(k.fd, s));
        const a = m.reserve(s, 0);
        if (a) m.submit(a, 0);
        log.push(`reserve ${s}: kernel ${kr}`);
        expect(`${log.length}: reserve ${s} -> ${a ? 1 : 0}`).toBe(`${log.length}: reserve ${s} -> ${kr}`);
        for (const q of [RingbufQuery.AVAIL_DATA, RingbufQuery.PROD_POS, RingbufQuery.CONS_POS]) {
          expect(`${i} query ${q}: ${m.query(q)}`).toBe(`${i} query ${q}: ${run(queryProg(k.fd, q))}`);
        }
      }
      expect(String(m.query(RingbufQuery.RING_SIZE))).toBe(String(run(queryProg(k.fd, RingbufQuery.RING_SIZE))));
      // The sim counts what the kernel silently dropped.
      expect(m.dropped).toBe(log.filter((l) => l.endsWith('kernel 0')).length);
    } finally {
      oracle.close(k.fd);
      m.free();
    }
  });
});
