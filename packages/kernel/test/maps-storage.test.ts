/** CGROUP_STORAGE / PERCPU_CGROUP_STORAGE and TASK_STORAGE: entries keyed by simulated object ids. */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import { createMap, isLocalStorage, type LocalStorageMap } from '../src/bpf/maps/map';
import { hex, makeCtx, mk, u32, u64 } from './fixtures/maps-harness';

describe('cgroup storage', () => {
  test('exists once attached; user space reads and overwrites but cannot create or delete', () => {
    const ctx = makeCtx();
    const m = mk(ctx, { type: BpfMapType.CGROUP_STORAGE, keySize: 16, valueSize: 8, maxEntries: 0 });
    if (!isLocalStorage(m)) throw new Error('narrowing');
    const key = (cg: bigint, at: number) => new Uint8Array([...u64(cg), ...u32(at), 0, 0, 0, 0]);
    expect(m.update(key(5n, 1), u64(1n), 0)).toBe(-Errno.ENOENT);
    const a = m.attachStorage!(5n, 1, 0);
    expect(a).not.toBe(0n);
    expect(m.attachStorage!(5n, 1, 0)).toBe(a); // the same storage for the same (cgroup, attach type)
    m.attachStorage!(9n, 2, 0);
    ctx.memory.write(a, u64(77n));
    expect(hex(m.lookup(key(5n, 1)) as Uint8Array)).toBe(hex(u64(77n)));
    expect(m.update(key(5n, 1), u64(3n), 1)).toBe(-Errno.EINVAL); // BPF_NOEXIST is not accepted
    expect(m.update(key(5n, 1), u64(3n), 2)).toBe(0);
    expect(hex(ctx.memory.read(a, 8))).toBe(hex(u64(3n)));
    expect(m.delete(key(5n, 1))).toBe(-Errno.EINVAL);
    // newest attachment first
    expect(hex(m.getNextKey(null) as Uint8Array)).toBe(hex(key(9n, 2)));
    expect(hex(m.getNextKey(key(9n, 2)) as Uint8Array)).toBe(hex(key(5n, 1)));
    expect(m.getNextKey(key(5n, 1))).toBe(-Errno.ENOENT);
    m.ownerGone(5n);
    expect(m.lookup(key(5n, 1))).toBe(-Errno.ENOENT);
  });

  test('per-CPU cgroup storage gives each CPU its copy', () => {
    const ctx = makeCtx(2);
    const m = mk(ctx, { type: BpfMapType.PERCPU_CGROUP_STORAGE, keySize: 8, valueSize: 4, maxEntries: 0 }) as LocalStorageMap;
    const a0 = m.attachStorage!(3n, 0, 0);
    const a1 = m.attachStorage!(3n, 0, 1);
    expect(a1 - a0).toBe(8n);
    ctx.memory.write(a1, u32(0x11));
    expect(hex(m.lookup(u64(3n)) as Uint8Array)).toBe('0000000000000000' + '1100000000000000');
  });

  test('max_entries must be 0', () => {
    expect(createMap({ type: BpfMapType.CGROUP_STORAGE, keySize: 8, valueSize: 8, maxEntries: 1 }, makeCtx())).toBe(-Errno.EINVAL);
  });
});

describe('task storage', () => {
  const attr = { type: BpfMapType.TASK_STORAGE, keySize: 4, valueSize: 8, maxEntries: 0, flags: 1, btfKeyTypeId: 1, btfValueTypeId: 2 };

  test('needs BTF and BPF_F_NO_PREALLOC', () => {
    expect(createMap({ ...attr, btfKeyTypeId: 0 }, makeCtx())).toBe(-Errno.EINVAL);
    expect(createMap({ ...attr, flags: 0 }, makeCtx())).toBe(-Errno.EINVAL);
    expect(createMap({ ...attr, valueSize: 65408 }, makeCtx())).toBe(-Errno.E2BIG);
  });

  test('programs create entries per task; user space reaches them by pidfd', () => {
    const ctx = makeCtx();
    const m = mk(ctx, attr) as LocalStorageMap;
    const pidfd = ctx.addFd('task', { id: 1234 });
    expect(m.storageGet(1234n, 0, false)).toBe(0n);
    const a = m.storageGet(1234n, 0, true, u64(5n));
    expect(hex(ctx.memory.read(a, 8))).toBe(hex(u64(5n)));
    expect(m.storageGet(1234n, 0, false)).toBe(a);
    expect(hex(m.lookup(u32(pidfd)) as Uint8Array)).toBe(hex(u64(5n)));
    expect(m.update(u32(pidfd), u64(6n), 1)).toBe(-Errno.EEXIST);
    expect(m.update(u32(pidfd), u64(6n), 2)).toBe(0);
    expect(hex(ctx.memory.read(a, 8))).toBe(hex(u64(6n)));
    expect(m.lookup(u32(999))).toBe(-Errno.EBADF);
    expect(m.getNextKey(null)).toBe(-Errno.ENOTSUPP);
    expect(m.delete(u32(pidfd))).toBe(0);
    expect(m.storageDelete(1234n)).toBe(-Errno.ENOENT);
  });
});
