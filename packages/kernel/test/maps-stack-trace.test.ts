/** STACK_TRACE slots as bpf_get_stackid fills them, and the user-space view; API misuse errors. */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import { MapUsageError } from '../src/bpf/maps/base';
import { StackTraceMap } from '../src/bpf/maps/stack-trace';
import { hex, makeCtx, mk, u32, u64 } from './fixtures/maps-harness';

describe('stack trace map', () => {
  test('stored traces read back zero-padded; iteration by id; take and delete', () => {
    const m = mk(makeCtx(), { type: BpfMapType.STACK_TRACE, keySize: 4, valueSize: 24, maxEntries: 5 }) as StackTraceMap;
    expect(m.nBuckets).toBe(8);
    m.storeStack(6, [0xffffffff81000000n, 0x10n]);
    m.storeStack(2, [0x20n]);
    expect(hex(m.lookup(u32(6)) as Uint8Array)).toBe(hex(new Uint8Array([...u64(0xffffffff81000000n), ...u64(0x10n), ...u64(0n)])));
    const ids: string[] = [];
    for (let k = m.getNextKey(null); typeof k !== 'number'; k = m.getNextKey(k)) ids.push(hex(k));
    expect(ids).toEqual([hex(u32(2)), hex(u32(6))]);
    expect(m.update(u32(1), new Uint8Array(24), 0)).toBe(-Errno.EINVAL);
    expect(hex(m.lookupAndDelete(u32(2)) as Uint8Array)).toBe(hex(new Uint8Array([...u64(0x20n), ...new Uint8Array(16)])));
    expect(m.lookup(u32(2))).toBe(-Errno.ENOENT);
    expect(m.delete(u32(8))).toBe(-Errno.E2BIG);
    expect(m.delete(u32(6))).toBe(0);
    expect(m.delete(u32(6))).toBe(-Errno.ENOENT);
  });
});

describe('API misuse and NULL keys', () => {
  test('a NULL key is EINVAL for keyed maps; short buffers throw MapUsageError', () => {
    const m = mk(makeCtx(), { type: BpfMapType.HASH, keySize: 8, valueSize: 8, maxEntries: 4 });
    expect(m.lookup(null)).toBe(-Errno.EINVAL);
    expect(m.update(null, u64(1n))).toBe(-Errno.EINVAL);
    expect(m.delete(null)).toBe(-Errno.EINVAL);
    expect(() => m.update(u32(1), u64(1n))).toThrow(MapUsageError);
    expect(() => m.update(u64(1n), u32(1))).toThrow(/value is 4 bytes, expected 8/);
  });
});
