/**
 * Differential: BPF_MAP_CREATE attribute validation, bpfsim against the
 * running kernel, over seeded random attributes for every modelled map type.
 * Compares only the errno (0 = created). Skips when bpf() is unavailable.
 */
import { BpfMapType, BpfMapTypeName } from '@bpfsim/uapi';
import { createMap, type MapAttr } from '../src/bpf/maps/map';
import { makeCtx, oracle, oracleStatus, rngOf } from './fixtures/maps-harness';

const status = oracleStatus();
const d = status.ok ? describe : describe.skip;
if (!status.ok) console.log(`maps-oracle-create skipped: ${status.reason}`);

const TYPES = [
  BpfMapType.HASH, BpfMapType.ARRAY, BpfMapType.PERCPU_HASH, BpfMapType.PERCPU_ARRAY, BpfMapType.LRU_HASH,
  BpfMapType.LRU_PERCPU_HASH, BpfMapType.LPM_TRIE, BpfMapType.QUEUE, BpfMapType.STACK, BpfMapType.BLOOM_FILTER,
  BpfMapType.RINGBUF, BpfMapType.PROG_ARRAY, BpfMapType.PERF_EVENT_ARRAY, BpfMapType.DEVMAP, BpfMapType.DEVMAP_HASH,
  BpfMapType.CPUMAP, BpfMapType.XSKMAP, BpfMapType.CGROUP_STORAGE, BpfMapType.PERCPU_CGROUP_STORAGE,
  BpfMapType.TASK_STORAGE, BpfMapType.CGRP_STORAGE, BpfMapType.SK_STORAGE, BpfMapType.INODE_STORAGE,
  BpfMapType.STACK_TRACE,
];
const KEY_SIZES = [0, 1, 3, 4, 5, 8, 12, 16, 64, 260, 261, 512, 513];
const VALUE_SIZES = [0, 1, 4, 7, 8, 12, 16, 100, 4096, 4097, 32768, 32769];
const MAX_ENTRIES = [0, 1, 2, 3, 64, 4096, 8192, 8193, 65536];
/** Memory the kernel would allocate, roughly: keep the oracle's allocations small. */
const KERNEL_BYTES_LIMIT = 64 << 20;

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[rnd() % xs.length];
}

function randomAttr(rnd: () => number): MapAttr {
  const type = pick(rnd, TYPES);
  let flags = 0;
  // Mostly the flags a type plausibly takes, sometimes any of the 19 bits.
  const common = [0, 0, 0, 1, 2, 8, 16, 64, 128, 256, 384, 1024, 2048, 4096, 1 | 64, 1 | 128];
  flags = pick(rnd, common);
  if (rnd() % 8 === 0) flags |= 1 << (rnd() % 19);
  flags &= ~(4 | 65536 | 8192 | 16384 | 32768); // no NUMA node / token / link / path fds: not modelled by the oracle call
  const mapExtra = rnd() % 6 === 0 ? BigInt(pick(rnd, [1, 3, 15, 16, 255])) : 0n;
  return {
    type,
    keySize: pick(rnd, KEY_SIZES),
    valueSize: pick(rnd, VALUE_SIZES),
    maxEntries: pick(rnd, MAX_ENTRIES),
    flags,
    mapExtra,
    name: pick(rnd, ['', 'm', 'my_map.1', 'bad-name', 'x'.repeat(15)]),
  };
}

/** A plausible attribute set per type (what libbpf programs declare). */
const PLAUSIBLE: Record<number, [number, number, number, number]> = {
  [BpfMapType.HASH]: [8, 8, 1024, 0], [BpfMapType.ARRAY]: [4, 16, 64, 0], [BpfMapType.PERCPU_HASH]: [4, 12, 128, 0],
  [BpfMapType.PERCPU_ARRAY]: [4, 8, 16, 0], [BpfMapType.LRU_HASH]: [16, 8, 512, 0], [BpfMapType.LRU_PERCPU_HASH]: [4, 8, 64, 0],
  [BpfMapType.LPM_TRIE]: [8, 8, 256, 1], [BpfMapType.QUEUE]: [0, 8, 32, 0], [BpfMapType.STACK]: [0, 4, 32, 0],
  [BpfMapType.BLOOM_FILTER]: [0, 8, 100, 0], [BpfMapType.RINGBUF]: [0, 0, 4096, 0], [BpfMapType.PROG_ARRAY]: [4, 4, 8, 0],
  [BpfMapType.PERF_EVENT_ARRAY]: [4, 4, 2, 0], [BpfMapType.DEVMAP]: [4, 8, 8, 0], [BpfMapType.DEVMAP_HASH]: [4, 4, 8, 0],
  [BpfMapType.CPUMAP]: [4, 8, 2, 0], [BpfMapType.XSKMAP]: [4, 4, 4, 0], [BpfMapType.CGROUP_STORAGE]: [16, 8, 0, 0],
  [BpfMapType.PERCPU_CGROUP_STORAGE]: [8, 8, 0, 0], [BpfMapType.TASK_STORAGE]: [4, 8, 0, 1],
  [BpfMapType.CGRP_STORAGE]: [4, 8, 0, 1], [BpfMapType.SK_STORAGE]: [4, 8, 0, 1], [BpfMapType.INODE_STORAGE]: [4, 8, 0, 1],
  [BpfMapType.STACK_TRACE]: [4, 64, 128, 0],
};

/** A plausible attribute set with one field (or flag bit) changed half of the time. */
function perturbedAttr(rnd: () => number): MapAttr {
  const type = pick(rnd, TYPES);
  let [keySize, valueSize, maxEntries, flags] = PLAUSIBLE[type];
  let mapExtra = 0n;
  switch (rnd() % 8) {
    case 0: keySize = pick(rnd, KEY_SIZES); break;
    case 1: valueSize = pick(rnd, VALUE_SIZES); break;
    case 2: maxEntries = pick(rnd, [...MAX_ENTRIES, 255, 256, 257, 8191, 12288, 1 << 20]); break;
    case 3: flags ^= 1 << pick(rnd, [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 17, 18]); break;
    case 4: mapExtra = BigInt(pick(rnd, [1, 3, 15, 16, 255])); break;
    default: break;
  }
  return { type, keySize, valueSize, maxEntries, flags, mapExtra, name: pick(rnd, ['', 'ok_name', 'bad name']) };
}

d('BPF_MAP_CREATE validation agrees with the kernel', () => {
  test('plausible attributes with one field perturbed', () => {
    const rnd = rngOf('map-create-2');
    const ctx = makeCtx(oracle.numPossibleCpus());
    const mismatches: string[] = [];
    let created = 0;
    const N = 3000;
    for (let i = 0; i < N; i++) {
      const a = perturbedAttr(rnd);
      const k = oracle.mapCreate({ type: a.type, keySize: a.keySize, valueSize: a.valueSize, maxEntries: a.maxEntries,
        flags: a.flags, name: a.name, mapExtra: a.mapExtra });
      const info = k.fd !== null ? oracle.mapInfo(k.fd) : null;
      if (k.fd !== null) oracle.close(k.fd);
      const s = createMap(a, ctx);
      const sErr = typeof s === 'number' ? -s : 0;
      // What BPF_OBJ_GET_INFO_BY_FD reports must match too (adjusted max_entries, added flags).
      if (info && typeof s !== 'number') {
        const got = `${s.type}/${s.keySize}/${s.valueSize}/${s.maxEntries}/0x${s.flags.toString(16)}/${s.name}`;
        const want = `${info.type}/${info.keySize}/${info.valueSize}/${info.maxEntries}/0x${info.flags.toString(16)}/${info.name}`;
        if (got !== want) mismatches.push(`info of ${BpfMapTypeName[a.type]}: kernel ${want}, bpfsim ${got}`);
      }
      if (typeof s !== 'number') s.free();
      if (!k.errno) created++;
      if (sErr !== k.errno) {
        mismatches.push(`${BpfMapTypeName[a.type]} key=${a.keySize} value=${a.valueSize} max=${a.maxEntries} flags=0x${(a.flags ?? 0).toString(16)} extra=${a.mapExtra} name=${a.name}: kernel ${k.errnoName || 0}, bpfsim ${sErr}`);
      }
    }
    console.log(`map create (perturbed): ${N} attribute sets compared, ${created} created by the kernel, ${mismatches.length} mismatches`);
    expect(mismatches.slice(0, 30)).toEqual([]);
    expect(created).toBeGreaterThan(N / 4);
  });

  test('seeded random attributes', () => {
    const rnd = rngOf('map-create-1');
    const ctx = makeCtx(oracle.numPossibleCpus());
    const mismatches: string[] = [];
    let compared = 0;
    let created = 0;
    for (let i = 0; i < 3000; i++) {
      const a = randomAttr(rnd);
      const cpus = a.type === BpfMapType.PERCPU_ARRAY || a.type === BpfMapType.PERCPU_HASH ? ctx.possibleCpus : 1;
      if (a.valueSize * a.maxEntries * cpus > KERNEL_BYTES_LIMIT) continue;
      const k = oracle.mapCreate({ type: a.type, keySize: a.keySize, valueSize: a.valueSize, maxEntries: a.maxEntries,
        flags: a.flags, name: a.name, mapExtra: a.mapExtra });
      if (k.fd !== null) oracle.close(k.fd);
      const s = createMap(a, ctx);
      const sErr = typeof s === 'number' ? -s : 0;
      if (typeof s !== 'number') s.free();
      compared++;
      if (!k.errno) created++;
      if (sErr !== k.errno) {
        mismatches.push(`${BpfMapTypeName[a.type]} key=${a.keySize} value=${a.valueSize} max=${a.maxEntries} flags=0x${(a.flags ?? 0).toString(16)} extra=${a.mapExtra} name=${a.name}: kernel ${k.errnoName || 0}, bpfsim ${sErr}`);
      }
    }
    console.log(`map create: ${compared} attribute sets compared, ${created} created by the kernel, ${mismatches.length} mismatches`);
    expect(mismatches.slice(0, 30)).toEqual([]);
    expect(created).toBeGreaterThan(100);
  });
});
