/**
 * Differential: seeded random sequences of element commands (update with
 * every flag, lookup, delete, get_next_key, lookup_and_delete) run through the
 * real kernel and bpfsim side by side; every return code and every returned
 * byte must agree, and so must the final contents in get_next_key order
 * (hash maps use BPF_F_ZERO_SEED so the kernel's bucket order is
 * reproducible). LRU maps are checked for invariants only. Skips when bpf()
 * is unavailable.
 */
import { BpfMapType, BpfMapTypeName } from '@bpfsim/uapi';
import { createMap, type BpfMap, type MapAttr } from '../src/bpf/maps/map';
import { bytes, hex, kOut, makeCtx, oracle, oracleStatus, rngOf, simOut, u32 } from './fixtures/maps-harness';

const status = oracleStatus();
const d = status.ok ? describe : describe.skip;
if (!status.ok) console.log(`maps-oracle-ops skipped: ${status.reason}`);

// The addon itself, for the one call the wrapper does not offer: a bloom filter lookup passes the value in.
// eslint-disable-next-line @typescript-eslint/no-var-requires
/** The addon's raw calls (still through the kernel tape), for the bloom filter's value-only lookup. */
const native = () => oracle.calls();

const ZERO_SEED = 64;
const NO_PREALLOC = 1;
const PERCPU = new Set<number>([BpfMapType.PERCPU_HASH, BpfMapType.PERCPU_ARRAY, BpfMapType.LRU_PERCPU_HASH]);
const KEYLESS = new Set<number>([BpfMapType.QUEUE, BpfMapType.STACK, BpfMapType.BLOOM_FILTER, BpfMapType.RINGBUF]);

interface Scenario {
  name: string;
  attr: MapAttr;
  /** A key for the next op (drawn from a small pool so ops hit existing elements). */
  key?: (rnd: () => number) => Uint8Array;
  value?: (rnd: () => number, size: number) => Uint8Array;
  ops?: number;
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[rnd() % xs.length];
}

function keyPool(size: number, n: number, seed: string): Uint8Array[] {
  const r = rngOf(seed);
  return Array.from({ length: n }, () => bytes(size, r));
}

function lpmKey(dataSize: number, pool: Uint8Array[]) {
  return (rnd: () => number) => {
    const k = new Uint8Array(4 + dataSize);
    const len = rnd() % 10 === 0 ? dataSize * 8 + 1 + (rnd() % 3) : rnd() % (dataSize * 8 + 1);
    k.set(u32(len));
    k.set(pick(rnd, pool).subarray(0, dataSize), 4);
    return k;
  };
}

const pool8 = keyPool(8, 48, 'k8');
const pool5 = keyPool(5, 24, 'k5');
const pool4 = keyPool(4, 40, 'k4');
const lpmPool = [new Uint8Array([10, 0, 0, 0]), new Uint8Array([10, 1, 0, 0]), new Uint8Array([10, 1, 2, 0]),
  new Uint8Array([192, 168, 0, 0]), new Uint8Array([192, 168, 1, 7]), new Uint8Array([0, 0, 0, 0]),
  new Uint8Array([255, 255, 255, 255]), new Uint8Array([10, 128, 0, 1]), new Uint8Array([10, 0, 255, 3])];

const arrayKey = (max: number) => (rnd: () => number) => u32(rnd() % (max + 3));
const poolKey = (pool: Uint8Array[]) => (rnd: () => number) => pick(rnd, pool);

const SCENARIOS: Scenario[] = [
  { name: 'hash 8/8 (full at 32)', attr: { type: BpfMapType.HASH, keySize: 8, valueSize: 8, maxEntries: 32, flags: ZERO_SEED }, key: poolKey(pool8) },
  { name: 'hash 5/3', attr: { type: BpfMapType.HASH, keySize: 5, valueSize: 3, maxEntries: 16, flags: ZERO_SEED }, key: poolKey(pool5) },
  { name: 'hash 4/12 no-prealloc', attr: { type: BpfMapType.HASH, keySize: 4, valueSize: 12, maxEntries: 24, flags: ZERO_SEED | NO_PREALLOC }, key: poolKey(pool4) },
  { name: 'hash 8/8 big', attr: { type: BpfMapType.HASH, keySize: 8, valueSize: 8, maxEntries: 1000, flags: ZERO_SEED }, key: poolKey(pool8), ops: 600 },
  { name: 'array 4/8', attr: { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 10 }, key: arrayKey(10) },
  { name: 'array 4/5 mmapable', attr: { type: BpfMapType.ARRAY, keySize: 4, valueSize: 5, maxEntries: 7, flags: 1024 }, key: arrayKey(7) },
  { name: 'array rdonly', attr: { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 8 }, key: arrayKey(4), ops: 60 },
  { name: 'hash wronly', attr: { type: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8, flags: ZERO_SEED | 16 }, key: poolKey(pool4), ops: 80 },
  { name: 'percpu hash 4/12', attr: { type: BpfMapType.PERCPU_HASH, keySize: 4, valueSize: 12, maxEntries: 20, flags: ZERO_SEED }, key: poolKey(pool4) },
  { name: 'percpu array 4/4', attr: { type: BpfMapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 6 }, key: arrayKey(6) },
  // Never full (8 keys, 64 entries): no eviction in either LRU, so every result and the order must agree.
  { name: 'lru hash (never full)', attr: { type: BpfMapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 64, flags: ZERO_SEED }, key: poolKey(pool4.slice(0, 8)) },
  { name: 'lru percpu hash (never full)', attr: { type: BpfMapType.LRU_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 64, flags: ZERO_SEED }, key: poolKey(pool4.slice(0, 8)) },
  { name: 'lpm 8 (ipv4)', attr: { type: BpfMapType.LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 12, flags: NO_PREALLOC }, key: lpmKey(4, lpmPool) },
  { name: 'lpm 6', attr: { type: BpfMapType.LPM_TRIE, keySize: 6, valueSize: 3, maxEntries: 100, flags: NO_PREALLOC }, key: lpmKey(2, lpmPool) },
  { name: 'queue 8', attr: { type: BpfMapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 5 } },
  { name: 'stack 3', attr: { type: BpfMapType.STACK, keySize: 0, valueSize: 3, maxEntries: 4 } },
  { name: 'bloom 8 (3 hashes)', attr: { type: BpfMapType.BLOOM_FILTER, keySize: 0, valueSize: 8, maxEntries: 4, flags: ZERO_SEED, mapExtra: 3n }, value: (rnd) => pick(rnd, pool8) },
  { name: 'bloom 5', attr: { type: BpfMapType.BLOOM_FILTER, keySize: 0, valueSize: 5, maxEntries: 3, flags: ZERO_SEED }, value: (rnd) => pick(rnd, pool5) },
  { name: 'ringbuf', attr: { type: BpfMapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }, ops: 30 },
  { name: 'devmap', attr: { type: BpfMapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 4 }, key: arrayKey(4), value: devVal },
  { name: 'devmap_hash', attr: { type: BpfMapType.DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 4 }, key: (r) => u32(r() % 40), value: devVal },
  { name: 'cpumap', attr: { type: BpfMapType.CPUMAP, keySize: 4, valueSize: 4, maxEntries: 4 }, key: arrayKey(4), value: (r) => u32(pick(r, [0, 1, 64, 16384, 16385])) },
  { name: 'prog_array (empty)', attr: { type: BpfMapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }, key: arrayKey(4), value: () => u32(999999), ops: 60 },
  { name: 'stack trace (empty)', attr: { type: BpfMapType.STACK_TRACE, keySize: 4, valueSize: 16, maxEntries: 5 }, key: arrayKey(9), ops: 60 },
  { name: 'cgroup storage (no attachment)', attr: { type: BpfMapType.CGROUP_STORAGE, keySize: 16, valueSize: 8, maxEntries: 0 }, key: (r) => bytes(16, r), ops: 40 },
];

function devVal(rnd: () => number, size: number): Uint8Array {
  const v = new Uint8Array(size);
  v.set(u32(pick(rnd, [1, 1, 1, 0, 999999])));
  return v;
}

/** One op applied to both sides; returns [kernel outcome, bpfsim outcome, description]. */
function step(sc: Scenario, fd: number, m: BpfMap, rnd: () => number): [string, string, string] {
  const t = sc.attr.type;
  const keyless = KEYLESS.has(t);
  const key = keyless ? null : sc.key!(rnd);
  const vsize = PERCPU.has(t) ? m.userValueSize : sc.attr.valueSize;
  const value = sc.value ? sc.value(rnd, vsize) : bytes(vsize, rnd);
  const op = rnd() % 100;
  const desc = (s: string) => `${s} key=${hex(key)} value=${hex(value)}`;
  if (op < 40) {
    const flags = pick(rnd, [0, 0, 0, 1, 1, 2, 2, 4, 3, 8, 5]);
    return [kOut(oracle.mapUpdate(fd, key, value, flags), false), simOut(m.update(key, value, flags)), desc(`update flags=${flags}`)];
  }
  if (op < 60) {
    const flags = pick(rnd, [0, 0, 0, 0, 4, 1]);
    if (t === BpfMapType.BLOOM_FILTER) {
      const r = native().mapElem(1, fd, null, value, 0, flags);
      return [r.errno ? `E${r.errno}` : 'ok:', simOut(m.lookup(null, flags, value)), desc(`lookup(value) flags=${flags}`)];
    }
    return [kOut(oracle.mapLookup(fd, key, flags), true), simOut(m.lookup(key, flags)), desc(`lookup flags=${flags}`)];
  }
  if (op < 75) return [kOut(oracle.mapDelete(fd, key), false), simOut(m.delete(key)), desc('delete')];
  if (op < 88) {
    const k = rnd() % 4 === 0 ? null : key;
    return [kOut(oracle.mapGetNextKey(fd, k), true), simOut(m.getNextKey(k)), `get_next_key key=${hex(k)}`];
  }
  const flags = pick(rnd, [0, 0, 0, 4, 1]);
  if (t === BpfMapType.BLOOM_FILTER || t === BpfMapType.RINGBUF || t === BpfMapType.DEVMAP_HASH) {
    // lookup_and_delete: compare the error only (the kernel's out buffer is the wrapper's).
  }
  return [kOut(oracle.mapLookupAndDelete(fd, key, flags), true), simOut(m.lookupAndDelete(key, flags)), desc(`lookup_and_delete flags=${flags}`)];
}

/** Contents in get_next_key order: "key=value" lines (or just the errors). */
function dumpKernel(fd: number, max: number): string[] {
  const out: string[] = [];
  let k: Uint8Array | null = null;
  for (let i = 0; i < max + 8; i++) {
    const n: { errno: number; key: Uint8Array } = oracle.mapGetNextKey(fd, k);
    if (n.errno) { out.push(`end E${n.errno}`); break; }
    const v = oracle.mapLookup(fd, n.key);
    out.push(`${hex(n.key)}=${v.errno ? `E${v.errno}` : hex(v.value)}`);
    k = n.key;
  }
  return out;
}
function dumpSim(m: BpfMap, max: number): string[] {
  const out: string[] = [];
  let k: Uint8Array | null = null;
  for (let i = 0; i < max + 8; i++) {
    const n = m.getNextKey(k);
    if (typeof n === 'number') { out.push(`end E${-n}`); break; }
    const v = m.lookup(n);
    out.push(`${hex(n)}=${typeof v === 'number' ? `E${-v}` : hex(v)}`);
    k = n;
  }
  return out;
}

d('map element commands agree with the kernel', () => {
  const ctx = makeCtx(status.ok ? oracle.numPossibleCpus() : 2);
  const summary: string[] = [];
  afterAll(() => console.log(`map ops differential:\n  ${summary.join('\n  ')}`));

  for (const sc of SCENARIOS) {
    test.each([1, 2, 3])(`${sc.name} (${BpfMapTypeName[sc.attr.type]}) seed %i`, (seed) => {
      const k = oracle.mapCreate({ ...sc.attr, name: 'diff' });
      expect(k.errnoName).toBe('');
      const m = createMap({ ...sc.attr, name: 'diff' }, ctx);
      if (typeof m === 'number') throw new Error(`bpfsim create failed ${m}`);
      try {
        const rnd = rngOf(`${sc.name}/${seed}`);
        const n = sc.ops ?? 300;
        const trace: string[] = [];
        for (let i = 0; i < n; i++) {
          const [ko, so, what] = step(sc, k.fd, m, rnd);
          trace.push(`#${i} ${what}: kernel ${ko}`);
          if (ko !== so) {
            throw new Error(`${sc.name} seed ${seed}: op #${i} ${what}: kernel ${ko}, bpfsim ${so}\nlast ops:\n${trace.slice(-6).join('\n')}`);
          }
        }
        const max = Math.max(sc.attr.maxEntries, 8);
        expect(dumpSim(m, max)).toEqual(dumpKernel(k.fd, max));
        summary.push(`${sc.name} seed ${seed}: ${n} ops agree`);
      } finally {
        oracle.close(k.fd);
        m.free();
      }
    });
  }
});

d('LRU maps keep the invariants the kernel keeps', () => {
  const ctx = makeCtx(status.ok ? oracle.numPossibleCpus() : 2);
  for (const type of [BpfMapType.LRU_HASH, BpfMapType.LRU_PERCPU_HASH]) {
    test(`${BpfMapTypeName[type]}: size bound, updates never E2BIG, the newest element kept`, () => {
      const attr: MapAttr = { type, keySize: 8, valueSize: 8, maxEntries: 64 };
      const k = oracle.mapCreate(attr);
      const m = createMap(attr, ctx) as BpfMap;
      try {
        const rnd = rngOf(`lru/${type}`);
        const keys = keyPool(8, 400, `lru-keys/${type}`);
        const vsize = m.userValueSize;
        for (let i = 0; i < 1500; i++) {
          const key = pick(rnd, keys);
          const value = bytes(vsize, rnd);
          const ku = oracle.mapUpdate(k.fd, key, value, 0);
          const su = m.update(key, value, 0);
          expect([ku.errno, su]).toEqual([0, 0]);
          expect(hex(oracle.mapLookup(k.fd, key).value)).toBe(hex(value));
          expect(simOut(m.lookup(key))).toBe(`ok:${hex(value)}`);
          if (i % 100 === 99) {
            expect(dumpKernel(k.fd, 200).length - 1).toBeLessThanOrEqual(64);
            expect(dumpSim(m, 200).length - 1).toBeLessThanOrEqual(64);
          }
        }
        // bpfsim's LRU is exact: a full map holds exactly max_entries after enough distinct inserts.
        expect(dumpSim(m, 200).length - 1).toBe(64);
      } finally {
        oracle.close(k.fd);
        m.free();
      }
    });
  }
});

d('BPF_MAP_FREEZE agrees with the kernel', () => {
  test('frozen maps refuse writes from user space; freezing twice fails as in the kernel', () => {
    const ctx = makeCtx(oracle.numPossibleCpus());
    for (const attr of [
      { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
      { type: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: ZERO_SEED },
      { type: BpfMapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 4 },
    ] as MapAttr[]) {
      const k = oracle.mapCreate(attr);
      const m = createMap(attr, ctx) as BpfMap;
      const key = attr.keySize ? u32(1) : null;
      const v = new Uint8Array(8).fill(7);
      const outcomes = (): string[][] => [
        [kOut(oracle.mapUpdate(k.fd, key, v, 0), false), simOut(m.update(key, v, 0))],
        [kOut(oracle.mapLookup(k.fd, key), true), simOut(m.lookup(key))],
      ];
      for (const [ko, so] of outcomes()) expect(so).toBe(ko);
      expect(simOut(m.freeze())).toBe(kOut(oracle.mapFreeze(k.fd), false));
      for (const [ko, so] of outcomes()) expect(so).toBe(ko);
      expect(simOut(m.delete(key))).toBe(kOut(oracle.mapDelete(k.fd, key), false));
      expect(simOut(m.lookupAndDelete(key))).toBe(kOut(oracle.mapLookupAndDelete(k.fd, key), true));
      expect(simOut(m.freeze())).toBe(kOut(oracle.mapFreeze(k.fd), false));
      oracle.close(k.fd);
      m.free();
    }
  });
});

d('batch commands agree with the kernel', () => {
  test.each([BpfMapType.ARRAY, BpfMapType.PERCPU_ARRAY])('lookup batches of an array (type %i) in random chunk sizes', (type) => {
    const ctx = makeCtx(oracle.numPossibleCpus());
    const attr: MapAttr = { type, keySize: 4, valueSize: 12, maxEntries: 23 };
    const k = oracle.mapCreate(attr);
    const m = createMap(attr, ctx) as BpfMap;
    const rnd = rngOf(`batch/${type}`);
    try {
      // Fill through update batches (the last key is out of range: E2BIG after 22).
      const n = 23;
      const keys = new Uint8Array(4 * n);
      for (let i = 0; i < n; i++) keys.set(u32(i === n - 1 ? 99 : i), 4 * i);
      const vals = bytes(m.userValueSize * n, rnd);
      const ku = oracle.mapUpdateBatch(k.fd, keys, vals);
      const su = m.updateBatch(keys, vals);
      expect([su.count, su.error]).toEqual([ku.count, -ku.errno]);
      let kIn: Uint8Array | null = null;
      let sIn: Uint8Array | null = null;
      for (let round = 0; round < 30; round++) {
        const count = 1 + (rnd() % 7);
        const kb: { count: number; errno: number; keys: Uint8Array; values: Uint8Array; outBatch: Uint8Array } =
          oracle.mapLookupBatch(k.fd, { inBatch: kIn, count });
        const sb = m.lookupBatch(sIn, count, false);
        expect(`${sb.count} E${-sb.error} ${hex(sb.keys)} ${hex(sb.values)}`).toBe(`${kb.count} E${kb.errno} ${hex(kb.keys)} ${hex(kb.values)}`);
        if (kb.errno) break;
        kIn = kb.outBatch;
        sIn = sb.outBatch;
      }
    } finally {
      oracle.close(k.fd);
      m.free();
    }
  });

  test('a hash map read in one big batch holds the same elements', () => {
    const ctx = makeCtx(oracle.numPossibleCpus());
    const attr: MapAttr = { type: BpfMapType.HASH, keySize: 8, valueSize: 8, maxEntries: 64, flags: ZERO_SEED };
    const k = oracle.mapCreate(attr);
    const m = createMap(attr, ctx) as BpfMap;
    const rnd = rngOf('batch/hash');
    try {
      for (let i = 0; i < 40; i++) {
        const key = bytes(8, rnd);
        const v = bytes(8, rnd);
        oracle.mapUpdate(k.fd, key, v, 0);
        m.update(key, v, 0);
      }
      const kb = oracle.mapLookupBatch(k.fd, { inBatch: null, count: 64 });
      const sb = m.lookupBatch(null, 64, false);
      const pairs = (keys: Uint8Array, values: Uint8Array, n: number) =>
        Array.from({ length: n }, (_, i) => `${hex(keys.subarray(8 * i, 8 * i + 8))}=${hex(values.subarray(8 * i, 8 * i + 8))}`);
      expect(pairs(sb.keys, sb.values, sb.count)).toEqual(pairs(kb.keys, kb.values, kb.count));
      expect(sb.error).toBe(-kb.errno);
    } finally {
      oracle.close(k.fd);
      m.free();
    }
  });
});

d('map-in-map commands agree with the kernel', () => {
  test.each([BpfMapType.ARRAY_OF_MAPS, BpfMapType.HASH_OF_MAPS])('type %i: seeded random updates with matching and mismatching inner maps', (type) => {
    const ctx = makeCtx(oracle.numPossibleCpus());
    const shapes: MapAttr[] = [
      { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, // the template's shape
      { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
      { type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 5 },
      { type: BpfMapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 4 },
      { type: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
    ];
    const kFds: number[] = [];
    const sFds: number[] = [];
    const kIds = new Map<number, number>();
    const sIds = new Map<number, number>();
    const sims: BpfMap[] = [];
    shapes.forEach((a, i) => {
      const k = oracle.mapCreate(a);
      kFds.push(k.fd);
      kIds.set(oracle.mapInfo(k.fd).id, i);
      const s = createMap(a, ctx) as BpfMap;
      sims.push(s);
      sFds.push(ctx.addFd('map', s));
      sIds.set(s.id, i);
    });
    const outerAttr: MapAttr = { type, keySize: 4, valueSize: 4, maxEntries: 3, flags: type === BpfMapType.HASH_OF_MAPS ? ZERO_SEED : 0 };
    const ko = oracle.mapCreate({ ...outerAttr, innerMapFd: kFds[0] });
    const so = createMap({ ...outerAttr, innerMapFd: sFds[0] }, ctx) as BpfMap;
    expect(ko.errnoName).toBe('');
    const rnd = rngOf(`mim/${type}`);
    const idx = (r: { errno: number; value?: Uint8Array | null }, ids: Map<number, number>): string =>
      r.errno ? `E${r.errno}` : `inner#${ids.get(new DataView(r.value!.buffer, r.value!.byteOffset).getUint32(0, true))}`;
    const simIdx = (r: Uint8Array | number): string => (typeof r === 'number' ? `E${-r}` : `inner#${sIds.get(new DataView(r.buffer, r.byteOffset).getUint32(0, true))}`);
    try {
      for (let i = 0; i < 200; i++) {
        const key = u32(rnd() % 5);
        const op = rnd() % 4;
        if (op === 0) {
          const which = rnd() % (shapes.length + 1);
          const flags = pick(rnd, [0, 0, 1, 2]);
          const kfd = which < shapes.length ? kFds[which] : 999999;
          const sfd = which < shapes.length ? sFds[which] : 999999;
          expect(`#${i} update ${which} flags ${flags}: ${simOut(so.update(key, u32(sfd), flags))}`)
            .toBe(`#${i} update ${which} flags ${flags}: ${kOut(oracle.mapUpdate(ko.fd, key, u32(kfd), flags), false)}`);
        } else if (op === 1) {
          expect(`#${i} lookup ${hex(key)}: ${simIdx(so.lookup(key))}`).toBe(`#${i} lookup ${hex(key)}: ${idx(oracle.mapLookup(ko.fd, key), kIds)}`);
        } else if (op === 2) {
          expect(`#${i} delete: ${simOut(so.delete(key))}`).toBe(`#${i} delete: ${kOut(oracle.mapDelete(ko.fd, key), false)}`);
        } else {
          expect(`#${i} next: ${simOut(so.getNextKey(key))}`).toBe(`#${i} next: ${kOut(oracle.mapGetNextKey(ko.fd, key), true)}`);
        }
      }
    } finally {
      oracle.close(ko.fd);
      kFds.forEach((fd) => oracle.close(fd));
      so.free();
      sims.forEach((s) => s.free());
    }
  });
});

d('hash batch commands agree with the kernel bucket by bucket', () => {
  test.each([[BpfMapType.HASH, false], [BpfMapType.HASH, true], [BpfMapType.PERCPU_HASH, false], [BpfMapType.PERCPU_HASH, true]])(
    'type %i, delete %s: random batch sizes, ENOSPC for a bucket that does not fit, ENOENT at the end',
    (type, del) => {
      const ctx = makeCtx(oracle.numPossibleCpus());
      const attr: MapAttr = { type, keySize: 4, valueSize: 4, maxEntries: 16, flags: ZERO_SEED };
      const k = oracle.mapCreate(attr);
      const m = createMap(attr, ctx) as BpfMap;
      const rnd = rngOf(`hbatch/${type}/${del}`);
      try {
        for (let round = 0; round < 6; round++) {
          for (let i = 0; i < 16; i++) {
            const key = u32(rnd() % 40);
            const v = bytes(m.userValueSize, rnd);
            oracle.mapUpdate(k.fd, key, v, 0);
            m.update(key, v, 0);
          }
          let kIn: Uint8Array | null = null;
          let sIn: Uint8Array | null = null;
          for (let step = 0; step < 40; step++) {
            const count = rnd() % 5;
            const kb: { count: number; errno: number; keys: Uint8Array; values: Uint8Array; outBatch: Uint8Array } = del
              ? oracle.mapLookupAndDeleteBatch(k.fd, { inBatch: kIn, count })
              : oracle.mapLookupBatch(k.fd, { inBatch: kIn, count });
            const sb = m.lookupBatch(sIn, count, del);
            const kTok = kb.errno && kb.errno !== 2 ? '-' : hex(kb.outBatch.subarray(0, 4));
            const sTok = sb.error && sb.error !== -2 ? '-' : hex(sb.outBatch);
            expect(`r${round} s${step} count ${count}: ${sb.count} E${-sb.error} ${hex(sb.keys)} ${hex(sb.values)} next ${sTok}`)
              .toBe(`r${round} s${step} count ${count}: ${kb.count} E${kb.errno} ${hex(kb.keys)} ${hex(kb.values)} next ${kTok}`);
            if (kb.errno === 2) break;
            if (!kb.errno && count) {
              kIn = kb.outBatch;
              sIn = sb.outBatch;
            }
          }
          expect(dumpSim(m, 16)).toEqual(dumpKernel(k.fd, 16));
        }
      } finally {
        oracle.close(k.fd);
        m.free();
      }
    },
  );

  test('each type has the kernel\'s set of batch commands (ENOTSUPP for the others)', () => {
    const ctx = makeCtx(oracle.numPossibleCpus());
    const kInner = oracle.mapCreate({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }).fd;
    const sInner = ctx.addFd('map', createMap({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }, ctx) as BpfMap);
    const withInner = (a: MapAttr, inner: number): MapAttr => (a.type === BpfMapType.ARRAY_OF_MAPS || a.type === BpfMapType.HASH_OF_MAPS ? { ...a, innerMapFd: inner } : a);
    for (const attr of [
      { type: BpfMapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 },
      { type: BpfMapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 },
      { type: BpfMapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4 },
      { type: BpfMapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4 },
      { type: BpfMapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 },
      { type: BpfMapType.CPUMAP, keySize: 4, valueSize: 4, maxEntries: 2 },
      { type: BpfMapType.STACK_TRACE, keySize: 4, valueSize: 16, maxEntries: 4 },
      { type: BpfMapType.STACK, keySize: 0, valueSize: 4, maxEntries: 4 },
      { type: BpfMapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 4 },
      { type: BpfMapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 4 },
      { type: BpfMapType.CGROUP_STORAGE, keySize: 16, valueSize: 4, maxEntries: 0 },
      { type: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 },
      { type: BpfMapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 4 },
      { type: BpfMapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 4, flags: NO_PREALLOC },
    ] as MapAttr[]) {
      const k = oracle.mapCreate(withInner(attr, kInner));
      const m = createMap(withInner(attr, sInner), ctx) as BpfMap;
      const ks = new Uint8Array(attr.keySize);
      const vs = new Uint8Array(attr.valueSize);
      const what = `type ${attr.type}`;
      expect(`${what} lookup_and_delete_batch E${-m.lookupBatch(null, 2, true).error}`).toBe(`${what} lookup_and_delete_batch E${oracle.mapLookupAndDeleteBatch(k.fd, { count: 2 }).errno}`);
      expect(`${what} lookup_batch E${-m.lookupBatch(null, 2, false).error}`).toBe(`${what} lookup_batch E${oracle.mapLookupBatch(k.fd, { count: 2 }).errno}`);
      if (attr.keySize) {
        expect(`${what} delete_batch E${-m.deleteBatch(ks).error}`).toBe(`${what} delete_batch E${oracle.mapDeleteBatch(k.fd, ks).errno}`);
        expect(`${what} update_batch E${-m.updateBatch(ks, vs).error}`).toBe(`${what} update_batch E${oracle.mapUpdateBatch(k.fd, ks, vs).errno}`);
      }
      oracle.close(k.fd);
      m.free();
    }
    oracle.close(kInner);
  });
});
