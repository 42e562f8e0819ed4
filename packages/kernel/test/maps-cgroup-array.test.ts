/**
 * BPF_MAP_TYPE_CGROUP_ARRAY against the running kernel (tools/oracle, fixed seeds):
 * creation attributes (fd_array_map_alloc_check + the array's checks), the
 * user-space element operations with fds that are not cgroup directories (bpfsim
 * has no cgroup hierarchy: every fd is refused, as the kernel refuses such fds),
 * and the two helpers on an empty or too-short map, run by BPF_PROG_TEST_RUN.
 */
import { BpfMapType } from '@bpfsim/uapi';
import { createMap, type MapAttr } from '../src/bpf/maps/map';
import { Dual, oracle, oracleOrSkip, u32le } from './kit';
import { makeCtx, rngOf } from './fixtures/maps-harness';

const maybe = oracleOrSkip() ? describe : describe.skip;
const CG = BpfMapType.CGROUP_ARRAY;
const SCHED_CLS = 3, KPROBE = 2;

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[rnd() % xs.length];
}

/** CGROUP_ARRAY attributes near the edges the checks test, one field off half the time. */
function attr(rnd: () => number): MapAttr {
  let [keySize, valueSize, maxEntries, flags] = [4, 4, 8, 0];
  switch (rnd() % 6) {
    case 0: keySize = pick(rnd, [0, 1, 3, 5, 8]); break;
    case 1: valueSize = pick(rnd, [0, 1, 3, 5, 8, 16]); break;
    case 2: maxEntries = pick(rnd, [0, 1, 4096, 65536, 1 << 20]); break;
    case 3: flags = 1 << pick(rnd, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18]); break;
    default: break;
  }
  if (flags & 4) flags = 0; // BPF_F_NUMA_NODE needs numa_node: not modelled by the oracle call
  return { type: CG, keySize, valueSize, maxEntries, flags, name: pick(rnd, ['', 'cgroup_map', 'bad-name', 'x'.repeat(15)]) };
}

maybe('CGROUP_ARRAY against the kernel', () => {
  test('creation: the same errno for generated attributes', () => {
    const rnd = rngOf('cgroup-array-create');
    const ctx = makeCtx(oracle.numPossibleCpus());
    const seen: string[] = [];
    let created = 0;
    for (let i = 0; i < 300; i++) {
      const a = attr(rnd);
      const k = oracle.mapCreate({ type: a.type, keySize: a.keySize, valueSize: a.valueSize, maxEntries: a.maxEntries, flags: a.flags, name: a.name });
      if (k.fd !== null) oracle.close(k.fd);
      const s = createMap(a, ctx);
      if (typeof s !== 'number') s.free();
      if (!k.errno) created++;
      const what = `key ${a.keySize} value ${a.valueSize} max ${a.maxEntries} flags 0x${(a.flags ?? 0).toString(16)} name '${a.name}'`;
      seen.push(`${what}: ${typeof s === 'number' ? -s : 0}`);
      expect(`${what}: ${typeof s === 'number' ? -s : 0}`).toBe(`${what}: ${k.errno}`);
    }
    expect(created).toBeGreaterThan(50);
    expect(new Set(seen.map((l) => l.split(': ').pop())).size).toBeGreaterThan(1);
  });

  test('element operations with fds that are not cgroup directories', () => {
    const d = new Dual();
    try {
      const cg = d.map({ type: CG, keySize: 4, valueSize: 4, maxEntries: 4, name: 'cg' });
      const other = d.map({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'other' });
      const rnd = rngOf('cgroup-array-ops');
      const outcomes = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const key = u32le(pick(rnd, [0, 1, 3, 4, 5, 0xffffffff]));
        const op = rnd() % 4;
        let sim: string, real: string;
        if (op === 0) {
          // an fd of another map, of this map, or no open fd at all; flags BPF_ANY and the others
          const which = rnd() % 3;
          const value = (side: 'sim' | 'real'): Uint8Array => {
            const fds = side === 'sim' ? d.simFds : d.realFds;
            return u32le(which === 0 ? fds[other] : which === 1 ? fds[cg] : 9999);
          };
          const flags = pick(rnd, [0, 0, 1, 2, 4]);
          sim = `update ${d.kernel.bpf.mapUpdateElem(d.simFds[cg], key, value('sim'), flags)}`;
          real = `update ${-oracle.mapUpdate(d.realFds[cg], key, value('real'), flags).errno}`;
        } else if (op === 1) {
          const s = d.kernel.bpf.mapLookupElem(d.simFds[cg], key);
          sim = `lookup ${typeof s === 'number' ? s : 'value'}`;
          const r = oracle.mapLookup(d.realFds[cg], key);
          real = `lookup ${r.errno ? -r.errno : 'value'}`;
        } else if (op === 2) {
          sim = `delete ${d.kernel.bpf.mapDeleteElem(d.simFds[cg], key)}`;
          real = `delete ${-oracle.mapDelete(d.realFds[cg], key).errno}`;
        } else {
          const k = rnd() % 2 ? key : null;
          const s = d.kernel.bpf.mapGetNextKey(d.simFds[cg], k);
          sim = `next ${typeof s === 'number' ? s : Buffer.from(s).toString('hex')}`;
          const r = oracle.mapGetNextKey(d.realFds[cg], k);
          real = `next ${r.errno ? -r.errno : Buffer.from(r.key!).toString('hex')}`;
        }
        expect(`${i} key ${Buffer.from(key).toString('hex')}: ${sim}`).toBe(`${i} key ${Buffer.from(key).toString('hex')}: ${real}`);
        outcomes.add(real);
      }
      // EBADF (not a cgroup fd), EINVAL (flags), E2BIG (index), ENOTSUPP (lookup), ENOENT (empty slot) all came up.
      for (const o of ['update -9', 'update -22', 'update -7', 'lookup -524', 'delete -2', 'delete -7']) expect([...outcomes]).toContain(o);
    } finally {
      d.close();
    }
  });

  test('bpf_skb_under_cgroup and bpf_current_task_under_cgroup on an empty map: E2BIG past the end, EAGAIN for an empty slot', () => {
    const d = new Dual();
    try {
      const cg = d.map({ type: CG, keySize: 4, valueSize: 4, maxEntries: 2, name: 'cg' });
      for (const idx of [0, 1, 2, 7, 0xffffffff]) {
        const skb = d.load(SCHED_CLS, `r1 = r1\nr2 = map[id:${cg}]\nr3 = ${idx >= 0x80000000 ? -1 : idx}\ncall bpf_skb_under_cgroup\nexit`);
        if ('rejected' in skb) throw new Error(skb.rejected);
        const { sim, real } = d.testRun(skb, { dataIn: new Uint8Array(64) });
        expect({ idx, errno: real.errno, retval: sim.retval }).toEqual({ idx, errno: 0, retval: real.retval });
      }
      // A kprobe program cannot be test-run; the kernel and bpfsim must both load it.
      const task = d.load(KPROBE, `r1 = map[id:${cg}]\nr2 = 5\ncall bpf_current_task_under_cgroup\nexit`);
      expect('rejected' in task ? task.rejected : 'loaded').toBe('loaded');
    } finally {
      d.close();
    }
  });
});
