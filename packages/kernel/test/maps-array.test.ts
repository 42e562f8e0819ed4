/** ARRAY / PERCPU_ARRAY behaviour: values always exist, direct value access, per-CPU layout, program side. */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import { createMap } from '../src/bpf/maps/map';
import { hex, makeCtx, mk, u32, u64 } from './fixtures/maps-harness';

describe('array', () => {
  test('elements exist zeroed; update flags; delete is EINVAL; get_next_key order', () => {
    const m = mk(makeCtx(), { type: BpfMapType.ARRAY, keySize: 4, valueSize: 6, maxEntries: 3 });
    expect(hex(m.lookup(u32(2)) as Uint8Array)).toBe('000000000000');
    expect(m.lookup(u32(3))).toBe(-Errno.ENOENT);
    expect(m.update(u32(3), new Uint8Array(6), 0)).toBe(-Errno.E2BIG);
    expect(m.update(u32(1), new Uint8Array(6), 1)).toBe(-Errno.EEXIST);
    expect(m.update(u32(1), Uint8Array.of(1, 2, 3, 4, 5, 6), 2)).toBe(0);
    expect(hex(m.lookup(u32(1)) as Uint8Array)).toBe('010203040506');
    expect(m.update(u32(1), new Uint8Array(6), 3)).toBe(-Errno.EINVAL);
    expect(m.delete(u32(1))).toBe(-Errno.EINVAL);
    expect(m.lookupAndDelete(u32(1))).toBe(-Errno.ENOTSUPP);
    const keys: string[] = [];
    for (let k = m.getNextKey(null); typeof k !== 'number'; k = m.getNextKey(k)) keys.push(hex(k));
    expect(keys).toEqual(['00000000', '01000000', '02000000']);
    expect(hex(m.getNextKey(u32(99)) as Uint8Array)).toBe('00000000');
  });

  test('global data: directValueAddr of a 1-element array, read-only for programs with BPF_F_RDONLY_PROG', () => {
    const ctx = makeCtx();
    const ro = mk(ctx, { type: BpfMapType.ARRAY, keySize: 4, valueSize: 64, maxEntries: 1, flags: 128, name: '.rodata' });
    const a = ro.directValueAddr!(16) as bigint;
    expect(a).toBe(ro.lookupAddr(u32(0), 0) + 16n);
    expect(ctx.memory.find(a, 8)!.writable).toBe(false);
    expect(ro.directValueAddr!(64)).toBe(-Errno.EINVAL);
    const multi = mk(ctx, { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 });
    expect(multi.directValueAddr!(0)).toBe(-Errno.ENOTSUPP);
    expect(ctx.memory.find(multi.lookupAddr(u32(1), 0), 8)!.writable).toBe(true);
    // user space can still write a RDONLY_PROG map until it is frozen
    expect(ro.update(u32(0), new Uint8Array(64).fill(1), 0)).toBe(0);
    expect(ro.freeze()).toBe(0);
    expect(ro.update(u32(0), new Uint8Array(64), 0)).toBe(-Errno.EPERM);
    expect(hex(ctx.memory.read(a, 2))).toBe('0101');
  });

  test('element addresses are value_size rounded up to 8 apart and stable', () => {
    const m = mk(makeCtx(), { type: BpfMapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 100 });
    const a0 = m.lookupAddr(u32(0), 0);
    for (let i = 1; i < 100; i++) expect(m.lookupAddr(u32(i), 0) - a0).toBe(BigInt(16 * i));
    expect(m.lookupAddr(u32(100), 0)).toBe(0n);
  });

  test('per-CPU array: programs write their CPU copy; user space reads all, 8-byte slots', () => {
    const ctx = makeCtx(3);
    const m = mk(ctx, { type: BpfMapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(m.userValueSize).toBe(24);
    expect(m.updateFromProg(u32(1), u32(5), 0, 1)).toBe(0);
    ctx.memory.write(m.lookupAddr(u32(1), 2), u32(9));
    expect(hex(m.lookup(u32(1)) as Uint8Array)).toBe('0000000000000000' + '0500000000000000' + '0900000000000000');
    expect(m.lookupAddr(u32(1), 3)).toBe(0n);
  });

  test('forEachElem gives index keys and stops when asked', () => {
    const ctx = makeCtx();
    const m = mk(ctx, { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 5 });
    const seen: number[] = [];
    expect(m.forEachElem(0, (ka, va) => {
      const i = new DataView(ctx.memory.read(ka, 4).buffer).getUint32(0, true);
      seen.push(i);
      expect(va).toBe(m.lookupAddr(u32(i), 0));
      return i === 2;
    })).toBe(3);
    expect(seen).toEqual([0, 1, 2]);
  });

  test('batch lookup and update', () => {
    const m = mk(makeCtx(), { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 5 });
    const keys = new Uint8Array([...u32(0), ...u32(4), ...u32(9)]);
    const vals = new Uint8Array([...u64(1n), ...u64(2n), ...u64(3n)]);
    expect(m.updateBatch(keys, vals)).toEqual({ count: 2, error: -Errno.E2BIG });
    const b1 = m.lookupBatch(null, 3, false);
    expect([b1.count, b1.error, hex(b1.outBatch)]).toEqual([3, 0, '02000000']);
    const b2 = m.lookupBatch(b1.outBatch, 3, false);
    expect([b2.count, b2.error, hex(b2.values)]).toEqual([2, -Errno.ENOENT, hex(new Uint8Array([...u64(0n), ...u64(2n)]))]);
  });

  test('creation errors', () => {
    const ctx = makeCtx();
    expect(createMap({ type: BpfMapType.ARRAY, keySize: 8, valueSize: 8, maxEntries: 1 }, ctx)).toBe(-Errno.EINVAL);
    expect(createMap({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 0 }, ctx)).toBe(-Errno.EINVAL);
    expect(createMap({ type: BpfMapType.PERCPU_ARRAY, keySize: 4, valueSize: 32769, maxEntries: 1 }, ctx)).toBe(-Errno.E2BIG);
    expect(createMap({ type: BpfMapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 1024 }, ctx)).toBe(-Errno.EINVAL);
    expect(createMap({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 128 | 256 }, ctx)).toBe(-Errno.EINVAL);
    expect(createMap({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'bad name' }, ctx)).toBe(-Errno.EINVAL);
    expect(ctx.memory.regions().length).toBe(0); // a failed create leaves nothing mapped
  });
});
