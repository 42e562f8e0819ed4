/**
 * Differential: SOCKMAP and SOCKHASH against the running kernel.
 * - BPF_MAP_CREATE over seeded random attributes (errno and the info the kernel reports);
 * - updates with fds that are not sockets (closed fd, map, program, regular file, fds above S32_MAX);
 * - seeded random element-command sequences where the kernel side stores two real listening TCP
 *   sockets of this process and bpfsim stand-in sockets with the same cookies (bpfsim has no
 *   sockets of its own): every errno, every returned byte and the final get_next_key order agree.
 * Skips when bpf() is unavailable.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { BpfMapType, BpfMapTypeName } from '@bpfsim/uapi';
import { createMap, type BpfMap, type MapAttr, type SockRef } from '../src/bpf/maps/map';
import { bytes, hex, kOut, makeCtx, oracle, oracleStatus, rngOf, simOut, u32, u64, type Ctx } from './fixtures/maps-harness';
import { Dual } from './kit';

const status = oracleStatus();
const d = status.ok ? describe : describe.skip;
if (!status.ok) console.log(`sockmap-oracle skipped: ${status.reason}`);

const { SOCKMAP, SOCKHASH } = BpfMapType;

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[rnd() % xs.length];
}

function mismatchLine(a: MapAttr, kernel: string, sim: string): string {
  return `${BpfMapTypeName[a.type]} key=${a.keySize} value=${a.valueSize} max=${a.maxEntries} flags=0x${(a.flags ?? 0).toString(16)}: kernel ${kernel}, bpfsim ${sim}`;
}

d('sock map creation agrees with the kernel', () => {
  test('seeded random attributes (errno and reported info)', () => {
    const rnd = rngOf('sockmap-create');
    const ctx = makeCtx(oracle.numPossibleCpus());
    const mismatches: string[] = [];
    let created = 0;
    const N = 1500;
    for (let i = 0; i < N; i++) {
      const type = pick(rnd, [SOCKMAP, SOCKHASH]);
      const attr: MapAttr = {
        type,
        keySize: rnd() % 2 ? 4 : pick(rnd, [0, 1, 2, 3, 5, 8, 16, 64, 511, 512, 513, 1024]),
        valueSize: rnd() % 2 ? pick(rnd, [4, 8]) : pick(rnd, [0, 1, 2, 3, 5, 7, 9, 12, 16]),
        // Large sizes only where the kernel fails before allocating (sockhash bucket bound); sockmap allocates 8 bytes a slot.
        maxEntries: type === SOCKHASH && rnd() % 6 === 0
          ? pick(rnd, [(1 << 27) + 1, 1 << 28, 2 ** 31 + 1, 0xffffffff])
          : pick(rnd, [0, 1, 2, 3, 63, 64, 65, 1000, 4096, 65536]),
        flags: rnd() % 4 === 0 ? 1 << pick(rnd, [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 17, 18]) : pick(rnd, [0, 0, 0, 8, 16]),
        name: pick(rnd, ['', 'socks', 'socks', 'bad name']),
      };
      const k = oracle.mapCreate({ type: attr.type, keySize: attr.keySize, valueSize: attr.valueSize,
        maxEntries: attr.maxEntries, flags: attr.flags, name: attr.name });
      const info = k.fd !== null ? oracle.mapInfo(k.fd) : null;
      if (k.fd !== null) oracle.close(k.fd);
      const s = createMap(attr, ctx);
      const sErr = typeof s === 'number' ? -s : 0;
      if (info && typeof s !== 'number') {
        const got = `${s.type}/${s.keySize}/${s.valueSize}/${s.maxEntries}/0x${s.flags.toString(16)}/${s.name}`;
        const want = `${info.type}/${info.keySize}/${info.valueSize}/${info.maxEntries}/0x${info.flags.toString(16)}/${info.name}`;
        if (got !== want) mismatches.push(mismatchLine(attr, `info ${want}`, `info ${got}`));
      }
      if (typeof s !== 'number') s.free();
      if (!k.errno) created++;
      if (sErr !== k.errno) mismatches.push(mismatchLine(attr, k.errnoName || '0', String(sErr)));
    }
    console.log(`sock map create: ${N} attribute sets compared, ${created} created by the kernel, ${mismatches.length} mismatches`);
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(created).toBeGreaterThan(N / 10);
  });
});

/** Two listening TCP sockets of this process (the kernel accepts listeners into sock maps). */
function listen(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}
function fdOf(s: net.Server): number {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('no fd for the listening socket');
  return fd;
}

/** The kernel's cookie of a socket fd: store it in a scratch SOCKMAP with 8-byte values and look it up. */
function kernelCookie(fd: number): bigint {
  const m = oracle.mapCreate({ type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 1 });
  try {
    const u = oracle.mapUpdate(m.fd, u32(0), u64(BigInt(fd)));
    if (u.errno) throw new Error(`update with a listening socket: ${u.errnoName}`);
    const l = oracle.mapLookup(m.fd, u32(0));
    return new DataView(l.value.buffer, l.value.byteOffset).getBigUint64(0, true);
  } finally {
    oracle.close(m.fd);
  }
}

d('sock map element commands agree with the kernel', () => {
  let servers: net.Server[] = [];
  let ctx: Ctx;
  /** fd numbers of this process, valid on both sides: name -> fd. */
  const fds: Record<string, number> = {};
  const cleanup: Array<() => void> = [];
  const summary: string[] = [];

  beforeAll(async () => {
    servers = [await listen(), await listen()];
    ctx = makeCtx(oracle.numPossibleCpus());
    // Non-socket files: a BPF map, a BPF program, a regular file.
    const m = oracle.mapCreate({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    cleanup.push(() => oracle.close(m.fd));
    const prog = oracle.progLoad({ type: 6, insns: Uint8Array.from([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]) });
    cleanup.push(() => oracle.close(prog.fd));
    const file = path.join(os.tmpdir(), `bpfsim-sockmap-${process.pid}`);
    fs.writeFileSync(file, 'x');
    const ffd = fs.openSync(file, 'r');
    cleanup.push(() => { fs.closeSync(ffd); fs.unlinkSync(file); });
    // The fd numbers this process's files got are history, not kernel behaviour: the tape keeps the
    // recording's numbers, so a replay asks the kernel exactly what the recording asked.
    const live = (): Record<string, number> => {
      const got: Record<string, number> = { sock0: fdOf(servers[0]), sock1: fdOf(servers[1]), map: m.fd, prog: prog.fd, file: ffd };
      // A number no fd of this process uses, on either side.
      let bad = 4000;
      while (Object.values(got).includes(bad) || fs.existsSync(`/proc/self/fd/${bad}`)) bad++;
      return { ...got, closed: bad };
    };
    Object.assign(fds, oracle.tape.ask('host.fds', null, live));
    servers.forEach((_, i) => {
      const fd = fds[`sock${i}`];
      const sock: SockRef = { id: 1000 + i, cookie: kernelCookie(fd), sockmapErr: 0, redirectOk: false, addr: 0n };
      ctx.fds.set(fd, ['socket', sock]);
    });
    ctx.fds.set(fds.map, ['map', { id: 1 }]);
    ctx.fds.set(fds.prog, ['prog', { id: 2 }]);
    ctx.fds.set(fds.file, ['inode', { id: 3 }]);
  });
  afterAll(async () => {
    cleanup.forEach((f) => f());
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    console.log(`sock map ops differential:\n  ${summary.join('\n  ')}`);
  });

  /** The value an update passes: an fd from the pool, sometimes one past S32_MAX. */
  function fdValue(rnd: () => number, size: number): { value: Uint8Array; what: string } {
    const r = rnd() % 20;
    let n: bigint;
    let what: string;
    if (r === 0) { n = 0x80000000n; what = 'fd 0x80000000'; }
    else if (r === 1 && size === 8) { n = (1n << 32n) | BigInt(fds.sock0); what = 'sock0 | 1<<32'; }
    else {
      what = pick(rnd, ['sock0', 'sock0', 'sock0', 'sock1', 'sock1', 'sock1', 'closed', 'map', 'prog', 'file']);
      n = BigInt(fds[what]);
    }
    const value = new Uint8Array(size);
    value.set(size === 8 ? u64(n) : u32(Number(n & 0xffffffffn)));
    return { value, what };
  }

  interface Scenario { name: string; attr: MapAttr; key: (rnd: () => number) => Uint8Array; ops: number }
  const pool = (size: number, n: number, seed: string) => { const r = rngOf(seed); return Array.from({ length: n }, () => bytes(size, r)); };
  const p4 = pool(4, 24, 'sk4'), p5 = pool(5, 16, 'sk5'), p16 = pool(16, 40, 'sk16');
  const SCENARIOS: Scenario[] = [
    { name: 'sockmap 4/8', attr: { type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 8 }, key: (r) => u32(r() % 11), ops: 300 },
    { name: 'sockmap 4/4', attr: { type: SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 5 }, key: (r) => u32(pick(r, [0, 1, 2, 3, 4, 5, 6, 0xffffffff])), ops: 200 },
    { name: 'sockmap rdonly', attr: { type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 4, flags: 8 }, key: (r) => u32(r() % 5), ops: 60 },
    { name: 'sockhash 4/8 (full at 6)', attr: { type: SOCKHASH, keySize: 4, valueSize: 8, maxEntries: 6 }, key: (r) => pick(r, p4.slice(0, 12)), ops: 300 },
    { name: 'sockhash 5/8', attr: { type: SOCKHASH, keySize: 5, valueSize: 8, maxEntries: 16 }, key: (r) => pick(r, p5), ops: 300 },
    { name: 'sockhash 16/8 big', attr: { type: SOCKHASH, keySize: 16, valueSize: 8, maxEntries: 100 }, key: (r) => pick(r, p16), ops: 500 },
    { name: 'sockhash 4/4', attr: { type: SOCKHASH, keySize: 4, valueSize: 4, maxEntries: 8 }, key: (r) => pick(r, p4), ops: 200 },
  ];

  function step(sc: Scenario, fd: number, m: BpfMap, rnd: () => number): [string, string, string] {
    const key = sc.key(rnd);
    const op = rnd() % 100;
    if (op < 40) {
      const flags = pick(rnd, [0, 0, 0, 1, 1, 2, 2, 3, 4]);
      const { value, what } = fdValue(rnd, sc.attr.valueSize);
      return [kOut(oracle.mapUpdate(fd, key, value, flags), false), simOut(m.update(key, value, flags)), `update key=${hex(key)} ${what} flags=${flags}`];
    }
    if (op < 60) {
      const flags = pick(rnd, [0, 0, 0, 4]);
      return [kOut(oracle.mapLookup(fd, key, flags), true), simOut(m.lookup(key, flags)), `lookup key=${hex(key)} flags=${flags}`];
    }
    if (op < 78) return [kOut(oracle.mapDelete(fd, key), false), simOut(m.delete(key)), `delete key=${hex(key)}`];
    if (op < 93) {
      const k = rnd() % 4 === 0 ? null : key;
      return [kOut(oracle.mapGetNextKey(fd, k), true), simOut(m.getNextKey(k)), `get_next_key key=${hex(k)}`];
    }
    if (op < 97) return [kOut(oracle.mapLookupAndDelete(fd, key, 0), true), simOut(m.lookupAndDelete(key, 0)), `lookup_and_delete key=${hex(key)}`];
    const b = oracle.mapLookupBatch(fd, { count: 4 });
    const s = m.lookupBatch(null, 4, false);
    return [`E${b.errno}/${b.errno ? 0 : b.count}`, `E${-s.error}/${s.error ? 0 : s.count}`, 'lookup_batch'];
  }

  function dump(next: (k: Uint8Array | null) => Uint8Array | number, look: (k: Uint8Array) => Uint8Array | number, max: number): string[] {
    const out: string[] = [];
    let k: Uint8Array | null = null;
    for (let i = 0; i < max + 4; i++) {
      const n = next(k);
      if (typeof n === 'number') { out.push(`end E${-n}`); break; }
      const v = look(n);
      out.push(`${hex(n)}=${typeof v === 'number' ? `E${-v}` : hex(v)}`);
      k = n;
    }
    return out;
  }
  const kNext = (fd: number) => (k: Uint8Array | null) => { const r = oracle.mapGetNextKey(fd, k); return r.errno ? -r.errno : r.key; };
  const kLook = (fd: number) => (k: Uint8Array) => { const r = oracle.mapLookup(fd, k); return r.errno ? -r.errno : r.value; };

  for (const sc0 of SCENARIOS) {
    test.each([1, 2, 3])(`${sc0.name} seed %i`, (seed) => {
      const sc = sc0;
      const k = oracle.mapCreate({ ...sc.attr, name: 'socks' });
      expect(k.errnoName).toBe('');
      const m = createMap({ ...sc.attr, name: 'socks' }, ctx);
      if (typeof m === 'number') throw new Error(`bpfsim create failed ${m}`);
      const counts: Record<string, number> = {};
      try {
        const rnd = rngOf(`${sc.name}/${seed}`);
        const trace: string[] = [];
        for (let i = 0; i < sc.ops; i++) {
          const [ko, so, what] = step(sc, k.fd, m, rnd);
          trace.push(`#${i} ${what}: kernel ${ko}`);
          counts[ko.split(':')[0]] = (counts[ko.split(':')[0]] ?? 0) + 1;
          if (ko !== so) throw new Error(`${sc.name} seed ${seed}: op #${i} ${what}: kernel ${ko}, bpfsim ${so}\nlast ops:\n${trace.slice(-8).join('\n')}`);
        }
        const max = sc.attr.maxEntries;
        expect(dump((x) => m.getNextKey(x), (x) => m.lookup(x), max)).toEqual(dump(kNext(k.fd), kLook(k.fd), max));
        // The outcomes exercised (errnos and successes) are part of what was compared.
        summary.push(`${sc.name} seed ${seed}: ${sc.ops} ops agree (${Object.entries(counts).sort().map(([o, n]) => `${o} ${n}`).join(', ')})`);
      } finally {
        oracle.close(k.fd);
        m.free();
      }
    });
  }

  test('sock maps as inner maps of map-in-map (the template decides which maps may be stored)', () => {
    const inner: MapAttr[] = [
      { type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 4 },
      { type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 9 },
      { type: SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 4 },
      { type: SOCKHASH, keySize: 4, valueSize: 8, maxEntries: 4 },
      { type: SOCKHASH, keySize: 8, valueSize: 8, maxEntries: 4 },
      { type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 4, flags: 16 },
    ];
    const made: Array<{ kfd: number; sim: BpfMap }> = [];
    const mk = (a: MapAttr) => {
      const k = oracle.mapCreate(a);
      expect(k.errnoName).toBe('');
      const sim = createMap(a, ctx) as BpfMap;
      ctx.fds.set(k.fd, ['map', sim]);
      made.push({ kfd: k.fd, sim });
      return k.fd as number;
    };
    try {
      const results: string[][] = [];
      const outcomes = new Set<string>();
      for (const outerType of [BpfMapType.ARRAY_OF_MAPS, BpfMapType.HASH_OF_MAPS]) {
        for (const tmpl of inner.slice(0, 4)) {
          const tfd = mk(tmpl);
          const outer: MapAttr = { type: outerType, keySize: 4, valueSize: 4, maxEntries: 2, innerMapFd: tfd };
          const k = oracle.mapCreate(outer);
          const s = createMap(outer, ctx);
          results.push([`${BpfMapTypeName[outerType]} of ${JSON.stringify(tmpl)}`, `kernel ${k.errno}`, `bpfsim ${typeof s === 'number' ? -s : 0}`]);
          if (k.fd === null || typeof s === 'number') continue;
          try {
            for (const cand of inner) {
              const cfd = mk(cand);
              const ko = kOut(oracle.mapUpdate(k.fd, u32(0), u32(cfd)), false);
              const so = simOut(s.update(u32(0), u32(cfd)));
              outcomes.add(ko);
              expect(`${JSON.stringify(cand)} into ${JSON.stringify(tmpl)}: ${so}`).toBe(`${JSON.stringify(cand)} into ${JSON.stringify(tmpl)}: ${ko}`);
            }
          } finally {
            oracle.close(k.fd);
            s.free();
          }
        }
      }
      expect([...outcomes].sort()).toEqual(['E22', 'ok']);
      for (const [what, kr, sr] of results) expect(`${what}: ${sr.replace('bpfsim', '')}`).toBe(`${what}: ${kr.replace('kernel', '')}`);
    } finally {
      for (const x of made) { oracle.close(x.kfd); ctx.fds.delete(x.kfd); x.sim.free(); }
    }
  });

  test('freeze: updates and deletes become EPERM on both sides', () => {
    const attr: MapAttr = { type: SOCKHASH, keySize: 4, valueSize: 8, maxEntries: 4 };
    const k = oracle.mapCreate(attr);
    const m = createMap(attr, ctx) as BpfMap;
    try {
      const v = u64(BigInt(fds.sock0));
      expect(simOut(m.update(u32(1), v))).toBe(kOut(oracle.mapUpdate(k.fd, u32(1), v), false));
      expect(simOut(m.freeze())).toBe(kOut(oracle.mapFreeze(k.fd), false));
      const got = [simOut(m.update(u32(2), v)), simOut(m.delete(u32(1))), simOut(m.lookup(u32(1)))];
      const want = [kOut(oracle.mapUpdate(k.fd, u32(2), v), false), kOut(oracle.mapDelete(k.fd, u32(1)), false), kOut(oracle.mapLookup(k.fd, u32(1)), true)];
      expect(got).toEqual(want);
      expect(want[0]).toBe('E1');
    } finally {
      oracle.close(k.fd);
      m.free();
    }
  });
});

d('programs using sock maps run as in the kernel (maps without sockets)', () => {
  const SCHED_CLS = 3;
  // A lookup that must be released; a delete whose errno is the return value; key from the packet's first byte.
  const lookup = `
    r6 = r1
    r2 = *(u32 *)(r6 + 76)
    r3 = *(u32 *)(r6 + 80)
    r4 = r2
    r4 += 1
    if r4 > r3 goto miss
    r5 = *(u8 *)(r2 + 0)
    *(u64 *)(r10 - 16) = 0
    *(u32 *)(r10 - 16) = r5
    r2 = r10
    r2 += -16
    r1 = map[id:0]
    call 1
    if r0 == 0 goto miss
    r1 = r0
    call 86
    r0 = 9
    exit
  miss:
    r0 = 7
    exit`;
  const del = `
    r6 = r1
    r2 = *(u32 *)(r6 + 76)
    r3 = *(u32 *)(r6 + 80)
    r4 = r2
    r4 += 1
    r0 = 0
    if r4 > r3 goto out
    r5 = *(u8 *)(r2 + 0)
    *(u64 *)(r10 - 16) = 0
    *(u32 *)(r10 - 16) = r5
    r2 = r10
    r2 += -16
    r1 = map[id:0]
    call 3
  out:
    exit`;
  const maps: MapAttr[] = [
    { type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 4, name: 'm' },
    { type: SOCKHASH, keySize: 8, valueSize: 4, maxEntries: 4, name: 'h' },
  ];
  for (const attr of maps) {
    test(`${BpfMapTypeName[attr.type]}: lookup + bpf_sk_release, delete from sched_cls`, () => {
      const dual = new Dual();
      try {
        dual.map(attr);
        for (const [name, text] of [['lookup', lookup], ['delete', del]]) {
          const fds = dual.load(SCHED_CLS, text, { name });
          if ('rejected' in fds) throw new Error(`${name}: kernel rejected: ${fds.rejected}`);
          for (const first of [0, 1, 3, 4, 200]) {
            const pkt = new Uint8Array(64);
            pkt[0] = first;
            const r = dual.testRun(fds, { dataIn: pkt });
            expect(`${name} key ${first}: ${r.sim.r0 & 0xffffffffn}`).toBe(`${name} key ${first}: ${r.real.retval}`);
          }
        }
      } finally {
        dual.close();
      }
    });
  }
});
