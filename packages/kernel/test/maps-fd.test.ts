/** Maps holding objects: PROG_ARRAY, PERF_EVENT_ARRAY, ARRAY/HASH_OF_MAPS, DEVMAP(_HASH), CPUMAP, XSKMAP. */
import { BpfMapType, BpfProgType, Errno } from '@bpfsim/uapi';
import {
  createMap, isMapInMap, isPerfEventArray, isProgArray, isRedirectMap, type ProgRef,
} from '../src/bpf/maps/map';
import { hex, makeCtx, mk, u32 } from './fixtures/maps-harness';

describe('prog_array', () => {
  test('holds programs of one type; user-space lookup gives the prog id; tail-call view', () => {
    const ctx = makeCtx();
    const m = mk(ctx, { type: BpfMapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    if (!isProgArray(m)) throw new Error('narrowing');
    const xdp1: ProgRef = { id: 11, type: BpfProgType.XDP };
    const xdp2: ProgRef = { id: 12, type: BpfProgType.XDP };
    const kprobe: ProgRef = { id: 13, type: BpfProgType.KPROBE };
    const ext: ProgRef = { id: 14, type: BpfProgType.EXT };
    const [f1, f2, f3, f4] = [ctx.addFd('prog', xdp1), ctx.addFd('prog', xdp2), ctx.addFd('prog', kprobe), ctx.addFd('prog', ext)];
    const mapFd = ctx.addFd('map', m);
    expect(m.update(u32(0), u32(f1), 0)).toBe(0);
    expect(m.update(u32(1), u32(f2), 1)).toBe(-Errno.EINVAL); // only BPF_ANY
    expect(m.update(u32(1), u32(f2), 0)).toBe(0);
    expect(m.update(u32(2), u32(f3), 0)).toBe(-Errno.EINVAL); // another program type
    expect(m.update(u32(2), u32(f4), 0)).toBe(-Errno.EINVAL); // extension programs never
    expect(m.update(u32(2), u32(mapFd), 0)).toBe(-Errno.EINVAL); // not a program
    expect(m.update(u32(2), u32(999), 0)).toBe(-Errno.EBADF);
    expect(m.update(u32(4), u32(f1), 0)).toBe(-Errno.E2BIG);
    expect(hex(m.lookup(u32(1)) as Uint8Array)).toBe(hex(u32(12)));
    expect(m.getProg(0)).toBe(xdp1);
    expect(m.getProg(2)).toBeUndefined();
    expect(m.compatible(kprobe)).toBe(false);
    expect(m.delete(u32(2))).toBe(-Errno.ENOENT);
    expect(m.delete(u32(0))).toBe(0);
    expect(m.getProg(0)).toBeUndefined();
    m.clear();
    expect(m.getProg(1)).toBeUndefined();
    expect(m.updateFromProg(u32(0), u32(f1), 0, 0)).toBe(-Errno.EINVAL);
  });
});

describe('perf_event_array', () => {
  test('output goes to the slot of the event on this CPU', () => {
    const ctx = makeCtx(2);
    const m = mk(ctx, { type: BpfMapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    if (!isPerfEventArray(m)) throw new Error('narrowing');
    const ev0 = ctx.addFd('perf_event', { id: 100, cpu: 0 } as never);
    const ev1 = ctx.addFd('perf_event', { id: 101, cpu: 1 } as never);
    expect(m.update(u32(0), u32(ev0), 0)).toBe(0);
    expect(m.output(1, 0xffffffffn, Uint8Array.of(1))).toBe(-Errno.ENOENT); // slot 1 empty
    expect(m.update(u32(1), u32(ev1), 0)).toBe(0);
    expect(m.output(1, 0xffffffffn, Uint8Array.of(1))).toBe(0); // BPF_F_CURRENT_CPU
    expect(m.output(0, 0n, Uint8Array.of(2))).toBe(0);
    expect(m.output(0, 1n, Uint8Array.of(3))).toBe(-Errno.EOPNOTSUPP); // event on another CPU
    expect(m.output(0, 5n, Uint8Array.of(3))).toBe(-Errno.E2BIG);
    expect(m.output(0, 1n << 32n, Uint8Array.of(3))).toBe(-Errno.EINVAL);
    expect(m.drain(1).map((r) => [r.cpu, hex(r.data)])).toEqual([[1, '01']]);
    expect(m.drain(0).map((r) => [r.cpu, hex(r.data)])).toEqual([[0, '02']]);
    expect(m.drain(0)).toEqual([]);
    expect(m.lookup(u32(0))).toBe(-Errno.ENOTSUPP);
  });
});

describe('map in map', () => {
  test.each([BpfMapType.ARRAY_OF_MAPS, BpfMapType.HASH_OF_MAPS])('type %i: inner maps must match the template; programs get the inner map address', (type) => {
    const ctx = makeCtx();
    const tmpl = mk(ctx, { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    const same = mk(ctx, { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    const bigger = mk(ctx, { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 5 });
    const hash = mk(ctx, { type: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
    const [ft, fs, fb, fh] = [tmpl, same, bigger, hash].map((x) => ctx.addFd('map', x));
    const outer = mk(ctx, { type, keySize: 4, valueSize: 4, maxEntries: 2, innerMapFd: ft });
    if (!isMapInMap(outer)) throw new Error('narrowing');
    expect(outer.update(u32(0), u32(fs), 0)).toBe(0);
    expect(outer.update(u32(1), u32(fb), 0)).toBe(-Errno.EINVAL);
    expect(outer.update(u32(1), u32(fh), 0)).toBe(-Errno.EINVAL);
    expect(outer.update(u32(1), u32(12345), 0)).toBe(-Errno.EBADF);
    expect(outer.innerMap(u32(0))).toBe(same);
    expect(outer.lookupAddr(u32(0), 0)).toBe(same.addr);
    expect(outer.lookupAddr(u32(1), 0)).toBe(0n);
    expect(hex(outer.lookup(u32(0)) as Uint8Array)).toBe(hex(u32(same.id)));
    expect(outer.delete(u32(0))).toBe(0);
    expect(outer.innerMap(u32(0))).toBeUndefined();
    // A template whose max_entries may differ: BPF_F_INNER_MAP.
    const flexible = mk(ctx, { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 4096 });
    const flex2 = mk(ctx, { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 9, flags: 4096 });
    const outer2 = mk(ctx, { type, keySize: 4, valueSize: 4, maxEntries: 2, innerMapFd: ctx.addFd('map', flexible) });
    expect(outer2.update(u32(0), u32(ctx.addFd('map', flex2)), 0)).toBe(0);
    // No map in map in map; no missing template.
    expect(createMap({ type, keySize: 4, valueSize: 4, maxEntries: 2, innerMapFd: ctx.addFd('map', outer) }, ctx)).toBe(-Errno.EINVAL);
    expect(createMap({ type, keySize: 4, valueSize: 4, maxEntries: 2, innerMapFd: 777 }, ctx)).toBe(-Errno.EBADF);
  });
});

describe('devmap, cpumap, xskmap', () => {
  test('devmap stores ifindex entries (read-only for programs) and reports prog ids', () => {
    const ctx = makeCtx();
    const m = mk(ctx, { type: BpfMapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 4 });
    if (!isRedirectMap(m)) throw new Error('narrowing');
    expect(m.flags & 128).toBe(128); // BPF_F_RDONLY_PROG added
    const devProg = ctx.addFd('prog', { id: 42, type: BpfProgType.XDP, expectedAttachType: 33 } as ProgRef);
    const plainXdp = ctx.addFd('prog', { id: 43, type: BpfProgType.XDP } as ProgRef);
    expect(m.update(u32(0), new Uint8Array([...u32(1), ...u32(devProg)]), 0)).toBe(0);
    expect(m.update(u32(1), new Uint8Array([...u32(1), ...u32(plainXdp)]), 0)).toBe(-Errno.EINVAL);
    expect(m.update(u32(1), new Uint8Array([...u32(77), ...u32(0)]), 0)).toBe(-Errno.EINVAL); // no such device
    expect(hex(m.lookup(u32(0)) as Uint8Array)).toBe(hex(new Uint8Array([...u32(1), ...u32(42)])));
    expect(m.target(0)!.ref).toEqual({ id: 1 });
    const a = m.lookupAddr(u32(0), 0);
    expect(ctx.memory.find(a, 8)!.writable).toBe(false);
    expect(m.delete(u32(3))).toBe(0);
    expect(m.delete(u32(0))).toBe(0);
    expect(m.target(0)).toBeUndefined();
    expect(m.lookupAddr(u32(0), 0)).toBe(0n);
  });

  test('cpumap: qsize bounds, possible CPUs only, qsize 0 deletes', () => {
    const ctx = makeCtx(2);
    const m = mk(ctx, { type: BpfMapType.CPUMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(m.update(u32(0), u32(192), 0)).toBe(0);
    expect(m.update(u32(1), u32(16385), 0)).toBe(-Errno.EOVERFLOW);
    expect(m.update(u32(3), u32(64), 0)).toBe(-Errno.ENODEV);
    expect(m.update(u32(4), u32(64), 0)).toBe(-Errno.E2BIG);
    expect(m.update(u32(0), u32(64), 1)).toBe(-Errno.EEXIST);
    expect(hex(m.lookup(u32(0)) as Uint8Array)).toBe(hex(u32(192)));
    expect(m.update(u32(0), u32(0), 0)).toBe(0);
    expect(m.lookup(u32(0))).toBe(-Errno.ENOENT);
  });

  test('xskmap: sockets by fd; NOEXIST/EXIST; lookups from user space EOPNOTSUPP', () => {
    const ctx = makeCtx();
    const m = mk(ctx, { type: BpfMapType.XSKMAP, keySize: 4, valueSize: 4, maxEntries: 2 });
    if (!isRedirectMap(m)) throw new Error('narrowing');
    const sock = ctx.addFd('xsk', { id: 500 });
    const notSock = ctx.addFd('prog', { id: 1, type: 6 } as ProgRef);
    expect(m.update(u32(0), u32(sock), 2)).toBe(-Errno.ENOENT);
    expect(m.update(u32(0), u32(sock), 0)).toBe(0);
    expect(m.update(u32(0), u32(sock), 1)).toBe(-Errno.EEXIST);
    expect(m.update(u32(1), u32(notSock), 0)).toBe(-Errno.EOPNOTSUPP);
    expect(m.lookup(u32(0))).toBe(-Errno.EOPNOTSUPP);
    expect(m.target(0)!.ref).toEqual({ id: 500 });
  });
});
