/** QUEUE, STACK and BLOOM_FILTER from programs (push/pop/peek) and LPM_TRIE matching and order. */
import fc from 'fast-check';
import { BpfMapType, Errno } from '@bpfsim/uapi';
import { hex, makeCtx, mk, u32, u64 } from './fixtures/maps-harness';

describe('queue and stack', () => {
  test.each([[BpfMapType.QUEUE, 'fifo'], [BpfMapType.STACK, 'lifo']])('type %i is %s; BPF_EXIST overwrites the oldest', (type, kind) => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.constantFrom(0, 2)), { maxLength: 60 }), (ops) => {
      const m = mk(makeCtx(), { type, keySize: 0, valueSize: 8, maxEntries: 4 });
      const model: bigint[] = [];
      for (const [push, v, flags] of ops) {
        const out = new Uint8Array(8);
        if (push) {
          const full = model.length === 4;
          expect(m.pushElem(u64(BigInt(v)), flags)).toBe(full && flags !== 2 ? -Errno.E2BIG : 0);
          if (!full || flags === 2) {
            if (full) model.shift();
            model.push(BigInt(v));
          }
        } else {
          const want = kind === 'fifo' ? model.shift() : model.pop();
          expect(m.popElem(out)).toBe(want === undefined ? -Errno.ENOENT : 0);
          if (want !== undefined) expect(hex(out)).toBe(hex(u64(want)));
        }
      }
    }), { seed: 3, numRuns: 100 });
  });

  test('peek does not remove; BPF_NOEXIST is EINVAL', () => {
    const m = mk(makeCtx(), { type: BpfMapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 });
    const out = new Uint8Array(4);
    expect(m.peekElem(out)).toBe(-Errno.ENOENT);
    expect(m.pushElem(u32(5), 1)).toBe(-Errno.EINVAL);
    m.pushElem(u32(5), 0);
    expect(m.peekElem(out)).toBe(0);
    expect(m.peekElem(out)).toBe(0);
    expect(hex(out)).toBe('05000000');
    expect(hex(m.lookupAndDelete(null) as Uint8Array)).toBe('05000000');
    expect(m.lookupAndDelete(null)).toBe(-Errno.ENOENT);
  });
});

describe('bloom filter', () => {
  test('no false negatives; BPF_ANY only; no pop or delete', () => {
    const m = mk(makeCtx(), { type: BpfMapType.BLOOM_FILTER, keySize: 0, valueSize: 8, maxEntries: 100 });
    for (let i = 0; i < 100; i++) expect(m.pushElem(u64(BigInt(i * 977)), 0)).toBe(0);
    for (let i = 0; i < 100; i++) expect(m.peekElem(u64(BigInt(i * 977)))).toBe(0);
    let fp = 0;
    for (let i = 0; i < 1000; i++) if (m.peekElem(u64(BigInt(1e9 + i))) === 0) fp++;
    expect(fp).toBeLessThan(100); // ~5 hashes over 1024 bits: a few percent
    expect(m.pushElem(u64(1n), 2)).toBe(-Errno.EINVAL);
    expect(m.popElem(new Uint8Array(8))).toBe(-Errno.EOPNOTSUPP);
    expect(m.delete(null)).toBe(-Errno.EOPNOTSUPP);
    expect(m.lookup(null, 0, u64(977n))).toEqual(new Uint8Array(0));
  });
});

describe('lpm trie', () => {
  const key = (len: number, ...b: number[]) => new Uint8Array([...u32(len), ...b]);
  const mkLpm = () => mk(makeCtx(), { type: BpfMapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 8, flags: 1 });

  test('longest prefix wins, bounded by the key prefixlen', () => {
    const m = mkLpm();
    m.update(key(8, 10, 0, 0, 0), u32(8), 0);
    m.update(key(16, 10, 1, 0, 0), u32(16), 0);
    m.update(key(24, 10, 1, 2, 0), u32(24), 0);
    expect(hex(m.lookup(key(32, 10, 1, 2, 3)) as Uint8Array)).toBe('18000000');
    expect(hex(m.lookup(key(20, 10, 1, 2, 3)) as Uint8Array)).toBe('10000000');
    expect(hex(m.lookup(key(32, 10, 9, 9, 9)) as Uint8Array)).toBe('08000000');
    expect(m.lookup(key(32, 11, 0, 0, 0))).toBe(-Errno.ENOENT);
    expect(m.lookup(key(33, 10, 1, 2, 3))).toBe(-Errno.ENOENT);
    expect(m.lookupAddr(key(32, 10, 1, 2, 3), 0)).not.toBe(0n);
  });

  test('get_next_key is post-order: more specific first, 0 branch before 1', () => {
    const m = mkLpm();
    for (const k of [key(16, 192, 168, 0, 0), key(24, 192, 168, 128, 0), key(24, 192, 168, 0, 0), key(24, 192, 168, 1, 0), key(0, 0, 0, 0, 0)]) {
      m.update(k, u32(1), 0);
    }
    const order: string[] = [];
    for (let k = m.getNextKey(null); typeof k !== 'number'; k = m.getNextKey(k)) order.push(`${k[4]}.${k[5]}.${k[6]}/${k[0]}`);
    expect(order).toEqual(['192.168.0/24', '192.168.1/24', '192.168.128/24', '192.168.0/16', '0.0.0/0']);
  });

  test('full trie: ENOSPC for new prefixes, replacing still works; bad prefixlen EINVAL', () => {
    const m = mk(makeCtx(), { type: BpfMapType.LPM_TRIE, keySize: 5, valueSize: 1, maxEntries: 2, flags: 1 });
    expect(m.update(key(8, 1), Uint8Array.of(1), 0)).toBe(0);
    expect(m.update(key(8, 2), Uint8Array.of(2), 0)).toBe(0);
    expect(m.update(key(8, 3), Uint8Array.of(3), 0)).toBe(-Errno.ENOSPC);
    expect(m.update(key(8, 2), Uint8Array.of(4), 0)).toBe(0);
    expect(m.update(key(9, 2), Uint8Array.of(4), 0)).toBe(-Errno.EINVAL);
    expect(m.delete(key(9, 2))).toBe(-Errno.EINVAL);
    expect(m.delete(key(7, 2))).toBe(-Errno.ENOENT);
    expect(hex(m.lookup(key(8, 2)) as Uint8Array)).toBe('04');
  });
});
