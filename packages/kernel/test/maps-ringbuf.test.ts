/** RINGBUF: reserve/submit/discard/output from programs, the user-space consumer, drops, query. */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import { createMap, isRingBuf, type RingBufMap } from '../src/bpf/maps/map';
import { RingbufQuery } from '../src/bpf/maps/ringbuf';
import { bytes, hex, makeCtx, mk, rngOf } from './fixtures/maps-harness';

function ring(size = 4096) {
  const ctx = makeCtx();
  const m = mk(ctx, { type: BpfMapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: size });
  if (!isRingBuf(m)) throw new Error('not a ringbuf');
  return { ctx, rb: m as RingBufMap };
}

describe('ringbuf', () => {
  test('size must be a power-of-2 multiple of the page size; no keys or values', () => {
    const ctx = makeCtx();
    for (const [max, want] of [[4096, 0], [8192, 0], [6144, -Errno.EINVAL], [2048, -Errno.EINVAL], [0, -Errno.EINVAL]]) {
      const m = createMap({ type: BpfMapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: max }, ctx);
      expect(typeof m === 'number' ? m : 0).toBe(want);
    }
    expect(createMap({ type: BpfMapType.RINGBUF, keySize: 4, valueSize: 0, maxEntries: 4096 }, ctx)).toBe(-Errno.EINVAL);
  });

  test('reserved records are written through their pointer and consumed in order after submit', () => {
    const { ctx, rb } = ring();
    const a = rb.reserve(5, 0);
    const b = rb.reserve(16, 0);
    expect(a).not.toBe(0n);
    expect(b - a).toBe(16n); // 8-byte header + 5 bytes rounded up to 8
    ctx.memory.write(a, Uint8Array.of(1, 2, 3, 4, 5));
    ctx.memory.write(b, new Uint8Array(16).fill(7));
    rb.submit(b, 0);
    expect(rb.consume()).toEqual([]); // a is still busy: the consumer stops there
    rb.submit(a, 0);
    expect(rb.consume().map(hex)).toEqual(['0102030405', '07'.repeat(16)]);
    expect(rb.query(RingbufQuery.AVAIL_DATA)).toBe(0n);
    expect(rb.query(RingbufQuery.CONS_POS)).toBe(40n);
  });

  test('discarded records are skipped; output copies and commits', () => {
    const { rb } = ring();
    const a = rb.reserve(8, 0);
    rb.discard(a, 0);
    expect(rb.output(Uint8Array.of(9, 9), 0)).toBe(0);
    expect(rb.output(Uint8Array.of(1), 4)).toBe(-Errno.EINVAL);
    expect(rb.reserve(8, 1)).toBe(0n);
    expect(rb.consume().map(hex)).toEqual(['0909']);
  });

  test('records that do not fit are dropped and counted; space returns after consumption; wrap-around', () => {
    const { rb } = ring(4096);
    const rnd = rngOf('ring');
    const sent: string[] = [];
    let got: string[] = [];
    let drops = 0;
    for (let i = 0; i < 2000; i++) {
      const data = bytes(1 + (rnd() % 300), rnd);
      if (rb.output(data, 0) === 0) sent.push(hex(data));
      else drops++;
      if (rnd() % 20 === 0) got = got.concat(rb.consume().map(hex));
    }
    got = got.concat(rb.consume().map(hex));
    expect(drops).toBeGreaterThan(0);
    expect(rb.dropped).toBe(drops);
    expect(got).toEqual(sent);
    expect(rb.query(RingbufQuery.PROD_POS)).toBeGreaterThan(4096n * 10n);
  });

  test('a record larger than the ring never fits', () => {
    const { rb } = ring(4096);
    // The producer may run at most ring-size - 1 bytes ahead: 4088 + 8-byte header does not fit, 4080 does.
    expect(rb.reserve(4096, 0)).toBe(0n);
    expect(rb.reserve(4088, 0)).toBe(0n);
    expect(rb.reserve(4080, 0)).not.toBe(0n);
    expect(rb.query(RingbufQuery.RING_SIZE)).toBe(4096n);
  });

  test('syscall element commands are ENOTSUPP', () => {
    const { rb } = ring();
    expect(rb.lookup(null)).toBe(-Errno.ENOTSUPP);
    expect(rb.update(null, new Uint8Array(0))).toBe(-Errno.ENOTSUPP);
    expect(rb.getNextKey(null)).toBe(-Errno.ENOTSUPP);
  });
});
