/**
 * The total map-memory budget (bpf/maps/memcg.ts): every map is charged the kernel's estimate of
 * its memory when created, hash maps with BPF_F_NO_PREALLOC per element inserted; past the
 * Kernel's mapMemoryLimit, BPF_MAP_CREATE and the insert fail with ENOMEM, as a memcg limit makes
 * the kernel's allocations fail.
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import { Kernel, type MapAttr } from '@bpfsim/kernel';
import { DEFAULT_MAP_MEMORY_LIMIT, mapFootprint } from '../src/bpf/maps/memcg';

const key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);
const val = new Uint8Array(8);

describe('the kernel estimate of a map (memlock)', () => {
  // `bpftool map show` on Linux 6.18.44, x86-64, 2 possible CPUs: key 4, value 8, 1000 entries
  // (the ring buffer 65536 bytes)
  test.each([
    ['array', BpfMapType.ARRAY, 0, 1000, 8312],
    ['hash', BpfMapType.HASH, 0, 1000, 81424],
    ['hash, BPF_F_NO_PREALLOC (empty)', BpfMapType.HASH, 1, 1000, 17280],
    ['percpu_array', BpfMapType.PERCPU_ARRAY, 0, 1000, 24312],
    ['lru_hash', BpfMapType.LRU_HASH, 0, 1000, 81280],
    ['percpu_hash', BpfMapType.PERCPU_HASH, 0, 1000, 97280],
    ['ringbuf', BpfMapType.RINGBUF, 0, 65536, 78408],
    ['queue', BpfMapType.QUEUE, 0, 1000, 8320],
  ])('%s', (_name, type, flags, maxEntries, memlock) => {
    const ring = type === BpfMapType.RINGBUF;
    const keyless = ring || type === BpfMapType.QUEUE;
    expect(mapFootprint({ type, keySize: keyless ? 0 : 4, valueSize: ring ? 0 : 8, maxEntries, flags }, 2)).toBe(memlock);
  });
});

describe('mapMemoryLimit', () => {
  const array = (n: number): MapAttr => ({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: n });

  test('map creation past the budget fails with ENOMEM and charges nothing', () => {
    const each = mapFootprint(array(1000), 2);
    const small = mapFootprint(array(10), 2);
    const limit = 12 * each + small;
    const k = new Kernel({ mapMemoryLimit: limit, cpus: 2 });
    const fds: number[] = [];
    for (;;) {
      const fd = k.bpf.mapCreate(array(1000));
      if (fd < 0) { expect(fd).toBe(-Errno.ENOMEM); break; }
      fds.push(fd);
    }
    expect(fds.length).toBe(12);
    expect(k.mapMemory.used).toBe(fds.length * each);
    // a smaller map still fits in what is left
    expect(k.bpf.mapCreate(array(10))).toBeGreaterThanOrEqual(0);
    // the charge comes with the allocation, before the name is copied (ENOMEM first); a create
    // refused for its name gives its charge back
    expect(k.bpf.mapCreate({ ...array(10), name: 'bad name' })).toBe(-Errno.ENOMEM);
    const k2 = new Kernel({ mapMemoryLimit: limit, cpus: 2 });
    expect(k2.bpf.mapCreate({ ...array(10), name: 'bad name' })).toBe(-Errno.EINVAL);
    expect(k2.mapMemory.used).toBe(0);
  });

  test('BPF_F_NO_PREALLOC hash elements are charged on insert and given back on delete', () => {
    const attr: MapAttr = { type: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 10_000, flags: 1 };
    const base = mapFootprint(attr, 2);
    const k = new Kernel({ mapMemoryLimit: base + 10 * 80, cpus: 2 });
    const fd = k.bpf.mapCreate(attr);
    expect(fd).toBeGreaterThanOrEqual(0);
    let n = 0;
    while (k.bpf.mapUpdateElem(fd, key(n), val, 0) === 0) n++;
    // htab_elem 48 + key 8 + value 8 + llist_node 8 = 72 bytes each
    expect(n).toBe(Math.floor((10 * 80) / 72));
    expect(k.bpf.mapUpdateElem(fd, key(n), val, 0)).toBe(-Errno.ENOMEM);
    // updating an existing key needs no new memory in the model; deleting frees one element's worth
    expect(k.bpf.mapUpdateElem(fd, key(0), val, 0)).toBe(0);
    expect(k.bpf.mapDeleteElem(fd, key(0))).toBe(0);
    expect(k.bpf.mapUpdateElem(fd, key(n), val, 0)).toBe(0);
  });

  test('preallocated maps are charged whole at creation: inserts never fail with ENOMEM', () => {
    const attr: MapAttr = { type: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 100 };
    const k = new Kernel({ mapMemoryLimit: mapFootprint(attr, 4), cpus: 4 });
    const fd = k.bpf.mapCreate(attr);
    expect(fd).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 100; i++) expect(k.bpf.mapUpdateElem(fd, key(i), val, 0)).toBe(0);
    expect(k.bpf.mapCreate(array(1))).toBe(-Errno.ENOMEM);
  });

  test('the default (1 GiB) takes a million-entry hash map and refuses a 2^31-byte array', () => {
    const k = new Kernel();
    expect(k.mapMemory.limit).toBe(DEFAULT_MAP_MEMORY_LIMIT);
    expect(k.bpf.mapCreate({ type: BpfMapType.HASH, keySize: 8, valueSize: 64, maxEntries: 1 << 20 })).toBeGreaterThanOrEqual(0);
    expect(k.bpf.mapCreate({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 1024, maxEntries: 1 << 21 })).toBe(-Errno.ENOMEM);
  });

  test('a hash map of 2^24 entries is created without its index (slots grow as used): inserts, lookups, deletes, iteration', () => {
    const k = new Kernel({ mapMemoryLimit: 2 ** 32, cpus: 2 });
    for (const type of [BpfMapType.HASH, BpfMapType.LRU_HASH]) {
      const fd = k.bpf.mapCreate({ type, keySize: 4, valueSize: 8, maxEntries: 1 << 24 });
      expect(fd).toBeGreaterThanOrEqual(0);
      // past the first 64 slots, twice
      for (let i = 0; i < 300; i++) expect(k.bpf.mapUpdateElem(fd, key(i * 7919), new Uint8Array(8).fill(i & 0xff), 0)).toBe(0);
      for (let i = 0; i < 300; i += 2) expect(k.bpf.mapDeleteElem(fd, key(i * 7919))).toBe(0);
      for (let i = 300; i < 450; i++) expect(k.bpf.mapUpdateElem(fd, key(i * 7919), new Uint8Array(8).fill(i & 0xff), 0)).toBe(0);
      for (let i = 0; i < 450; i++) {
        const v = k.bpf.mapLookupElem(fd, key(i * 7919));
        if (i < 300 && i % 2 === 0) expect(v).toBe(-Errno.ENOENT);
        else expect(v).toEqual(new Uint8Array(8).fill(i & 0xff));
      }
      let n = 0;
      for (let kk = k.bpf.mapGetNextKey(fd, null); kk instanceof Uint8Array; kk = k.bpf.mapGetNextKey(fd, kk)) n++;
      expect(n).toBe(300);
    }
  });
});
