/**
 * SOCKMAP and SOCKHASH without the kernel oracle: through the kernel's own fd table (which has no
 * sockets, so every update fails as Linux fails for a non-socket fd), the corpus object's map
 * definitions, and model-based properties of the storage driven with stand-in sockets (the
 * kernel's exact orders and errnos are compared in sockmap-oracle.test.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { BpfMapType, Errno } from '@bpfsim/uapi';
import { HELPERS, createMap, helperId, isSockMap, loadBpfObject, parseObject, type BpfMap, type Kernel, type MapAttr, type SockRef } from '@bpfsim/kernel';
import type { HelperCall } from '@bpfsim/vm';
import { newKernel } from './kit';
import { hex, makeCtx, u32, u64 } from './fixtures/maps-harness';

const { SOCKMAP, SOCKHASH } = BpfMapType;

describe('sock maps in the kernel fd table (no sockets)', () => {
  for (const [type, keySize] of [[SOCKMAP, 4], [SOCKHASH, 4], [SOCKHASH, 7]] as const) {
    for (const valueSize of [4, 8]) {
      test(`type ${type} key ${keySize} value ${valueSize}: non-socket fds, lookups, deletes, iteration`, () => {
        const k = newKernel();
        const fd = k.bpf.mapCreate({ type, keySize, valueSize, maxEntries: 3, name: 'socks' });
        expect(fd).toBeGreaterThan(0);
        const other = k.bpf.mapCreate({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
        const key = new Uint8Array(keySize);
        const val = (n: bigint) => (valueSize === 8 ? u64(n) : u32(Number(n)));
        // A map fd (this one or another) is a file that is not a socket: ENOTSOCK.
        expect(k.bpf.mapUpdateElem(fd, key, val(BigInt(fd)))).toBe(-Errno.ENOTSOCK);
        expect(k.bpf.mapUpdateElem(fd, key, val(BigInt(other)))).toBe(-Errno.ENOTSOCK);
        // A closed fd: EBADF, whatever the flags.
        expect(k.bpf.mapUpdateElem(fd, key, val(77n))).toBe(-Errno.EBADF);
        expect(k.bpf.mapUpdateElem(fd, key, val(77n), 3)).toBe(-Errno.EBADF);
        // An fd above S32_MAX: EINVAL before any fd lookup.
        expect(k.bpf.mapUpdateElem(fd, key, val(0x80000000n))).toBe(-Errno.EINVAL);
        if (valueSize === 8) expect(k.bpf.mapUpdateElem(fd, key, val((1n << 32n) | BigInt(other)))).toBe(-Errno.EINVAL);
        // Lookups: 4-byte values cannot hold a cookie (ENOSPC), else nothing is there.
        expect(k.bpf.mapLookupElem(fd, key)).toBe(valueSize === 8 ? -Errno.ENOENT : -Errno.ENOSPC);
        // Delete: an empty sockmap slot is EINVAL, a missing sockhash key ENOENT.
        expect(k.bpf.mapDeleteElem(fd, key)).toBe(type === SOCKMAP ? -Errno.EINVAL : -Errno.ENOENT);
        expect(k.bpf.mapLookupAndDeleteElem(fd, key)).toBe(-Errno.ENOTSUPP);
        // Iteration: a sockmap walks every slot, an empty sockhash has no key.
        const keys: string[] = [];
        let prev: Uint8Array | null = null;
        for (;;) {
          const n = k.bpf.mapGetNextKey(fd, prev);
          if (typeof n === 'number') { expect(n).toBe(-Errno.ENOENT); break; }
          keys.push(hex(n));
          prev = n;
        }
        expect(keys).toEqual(type === SOCKMAP ? ['00000000', '01000000', '02000000'] : []);
        const m = k.bpf.mapByFd(fd)!;
        expect(isSockMap(m)).toBe(true);
        expect(m.lookupAddr(key, 0)).toBe(0n);
      });
    }
  }

  test('corpus/sockmap.bpf.o: the loader reads both sock maps and the kernel creates them', () => {
    const file = path.join(__dirname, '../../../corpus/sockmap.bpf.o');
    const k = newKernel();
    const obj = parseObject(new Uint8Array(fs.readFileSync(file)), 'sockmap.bpf.o', k);
    const specs = obj.maps.map((m) => `${m.name}:${m.type}/${m.keySize}/${m.valueSize}/${m.maxEntries}`);
    expect(specs).toEqual(['sock_map:15/4/4/64', 'sock_hash:18/4/4/64', 'ops_seen:2/4/8/16']);
    for (const spec of obj.maps) {
      const fd = k.bpf.mapCreate({ type: spec.type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries,
        flags: spec.flags, name: spec.name, btfKeyTypeId: spec.btfKeyTypeId, btfValueTypeId: spec.btfValueTypeId });
      expect(fd).toBeGreaterThan(0);
    }
  });
});

/** Stand-in sockets: what resolveFd(fd, 'socket') would give once the kernel has sockets. */
function socketCtx() {
  const ctx = makeCtx();
  const socks: SockRef[] = [];
  for (let i = 0; i < 3; i++) {
    const s: SockRef = { id: 100 + i, cookie: BigInt(1000 + i), sockmapErr: 0, redirectOk: i !== 2, addr: 0xffff888000001000n + BigInt(i) * 0x800n };
    socks.push(s);
    ctx.addFd('socket', s);
  }
  // A socket in a state the kernel refuses (e.g. TCP not listening nor established).
  const closed: SockRef = { id: 200, cookie: 2000n, sockmapErr: -Errno.EOPNOTSUPP, redirectOk: false, addr: 0n };
  const closedFd = ctx.addFd('socket', closed);
  const sockFds = [3, 4, 5];
  return { ctx, socks, sockFds, closedFd };
}

type Op =
  | { op: 'update'; key: number; sock: number; flags: number }
  | { op: 'delete'; key: number }
  | { op: 'lookup'; key: number };

const opArb = (keys: number): fc.Arbitrary<Op> => fc.oneof(
  fc.record({ op: fc.constant('update' as const), key: fc.nat(keys - 1), sock: fc.nat(3), flags: fc.constantFrom(0, 0, 1, 2, 3) }),
  fc.record({ op: fc.constant('delete' as const), key: fc.nat(keys - 1) }),
  fc.record({ op: fc.constant('lookup' as const), key: fc.nat(keys - 1) }),
);

function keyBytes(type: number, keySize: number, k: number): Uint8Array {
  const b = new Uint8Array(keySize);
  b.set(u32(k).subarray(0, Math.min(4, keySize)));
  if (type === SOCKHASH && keySize > 4) b[keySize - 1] = k ^ 0x5a;
  return b;
}

describe('sock map storage against a model (stand-in sockets)', () => {
  const cases: Array<[string, MapAttr, number]> = [
    ['sockmap 4/8 max 6', { type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 6 }, 9],
    ['sockhash 4/8 max 5', { type: SOCKHASH, keySize: 4, valueSize: 8, maxEntries: 5 }, 9],
    ['sockhash 6/8 max 32', { type: SOCKHASH, keySize: 6, valueSize: 8, maxEntries: 32 }, 40],
  ];
  for (const [name, attr, nkeys] of cases) {
    test(`${name}: results, contents and iteration follow the model`, () => {
      fc.assert(fc.property(fc.array(opArb(nkeys), { maxLength: 80 }), (ops) => {
        const { ctx, socks, sockFds, closedFd } = socketCtx();
        const m = createMap(attr, ctx) as BpfMap;
        const model = new Map<number, SockRef>();
        for (const o of ops) {
          const key = keyBytes(attr.type, attr.keySize, o.key);
          const inRange = attr.type === SOCKHASH || o.key < attr.maxEntries;
          if (o.op === 'update') {
            const fd = o.sock < 3 ? sockFds[o.sock] : closedFd;
            const r = m.update(key, u64(BigInt(fd)), o.flags);
            const has = model.has(o.key);
            let want = 0;
            if (o.sock === 3) want = -Errno.EOPNOTSUPP;
            else if (o.flags > 2) want = -Errno.EINVAL;
            else if (!inRange) want = -Errno.E2BIG;
            else if (has && o.flags === 1) want = -Errno.EEXIST;
            else if (!has && o.flags === 2) want = -Errno.ENOENT;
            else if (!has && attr.type === SOCKHASH && model.size >= attr.maxEntries) want = -Errno.E2BIG;
            expect(r).toBe(want);
            if (!want) model.set(o.key, socks[o.sock]);
          } else if (o.op === 'delete') {
            const had = model.delete(o.key);
            expect(m.delete(key)).toBe(had ? 0 : attr.type === SOCKMAP ? -Errno.EINVAL : -Errno.ENOENT);
          } else {
            const s = model.get(o.key);
            expect(m.lookup(key)).toEqual(s ? u64(s.cookie) : -Errno.ENOENT);
            // A program's lookup gives the struct sock.
            expect(m.lookupAddr(key, 0)).toBe(s ? s.addr : 0n);
          }
        }
        // get_next_key from NULL visits every key once (sockmap: every slot), then ENOENT.
        const seen: string[] = [];
        let prev: Uint8Array | null = null;
        for (let i = 0; i <= attr.maxEntries + 1; i++) {
          const n = m.getNextKey(prev);
          if (typeof n === 'number') { expect(n).toBe(-Errno.ENOENT); break; }
          seen.push(hex(n));
          prev = n;
        }
        const want = attr.type === SOCKMAP
          ? Array.from({ length: attr.maxEntries }, (_, i) => hex(u32(i)))
          : [...model.keys()].map((k) => hex(keyBytes(attr.type, attr.keySize, k)));
        expect([...seen].sort()).toEqual([...want].sort());
        expect(new Set(seen).size).toBe(seen.length);
        // Programs may delete (the verifier decides which program types), never insert value bytes.
        expect(m.updateFromProg(keyBytes(attr.type, attr.keySize, 0), new Uint8Array(8), 0, 0)).toBe(-Errno.EINVAL);
        m.free();
      }), { seed: 0x50c4, numRuns: 150 });
    });
  }
});

describe('sock map helpers at run time', () => {
  const SK_DROP = 0n, SK_PASS = 1n;
  const corpusFile = path.join(__dirname, '../../../corpus/sockmap.bpf.o');

  test('corpus/sockmap.bpf.o loads; its verdict programs drop while no map holds a socket', () => {
    const k = newKernel();
    const obj = loadBpfObject(k, new Uint8Array(fs.readFileSync(corpusFile)), { file: 'sockmap.bpf.o' });
    for (const [name, ctxSize] of [['skb_verdict', 192], ['msg_verdict', 80]] as const) {
      for (let port = 0; port < 70; port += 23) {
        const ctx = new Uint8Array(ctxSize);
        // __sk_buff.local_port (offset 0x88) and sk_msg_md.remote_port (offset 0x3c): the key is port & 63
        new DataView(ctx.buffer).setUint32(name === 'skb_verdict' ? 0x88 : 0x3c, port, true);
        expect(obj.program(name).run({ ctx: { bytes: ctx } }).r0).toBe(SK_DROP);
      }
    }
    expect(k.bpf.lastRedirect).toBeUndefined();
  });

  /** A sock map in `k`'s memory holding stand-in sockets 0..2 at keys 0..2 (socket 2 may not be a redirect target). */
  function withSockets(k: Kernel, attr: MapAttr) {
    const { ctx, sockFds } = socketCtx();
    const m = createMap(attr, { ...ctx, memory: k.mem }) as BpfMap;
    sockFds.forEach((fd, i) => expect(m.update(keyBytes(attr.type, attr.keySize, i), u64(BigInt(fd)))).toBe(0));
    const env = { kernel: k, prog: { label: 'verdict' }, cpu: 0, hook: 'test', ctxAddr: 0n, attachCookie: 0n, funcIp: 0n };
    const call = { mem: k.mem, pc: 0 } as unknown as HelperCall;
    return { m, env, call };
  }
  const helper = (name: string) => HELPERS.get(helperId(name)!)!;

  test('redirect by index (sockmap): SK_PASS to a socket that may be a target, SK_DROP otherwise', () => {
    for (const name of ['bpf_sk_redirect_map', 'bpf_msg_redirect_map']) {
      const k = newKernel();
      const { m, env, call } = withSockets(k, { type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 4, name: 'socks' });
      const h = helper(name);
      const go = (key: bigint, flags: bigint) => h(env as never, call, 0n, m.addr, key, flags, 0n);
      expect(go(0n, 0n)).toBe(SK_PASS);
      expect(k.bpf.lastRedirect).toEqual({ helper: name, target: 'socks[0]', flags: 0n });
      expect(go(1n, 1n)).toBe(SK_PASS); // BPF_F_INGRESS
      expect(go(1n, 2n)).toBe(SK_DROP); // other flags
      expect(go(2n, 0n)).toBe(SK_DROP); // a socket that may not be a target
      expect(go(3n, 0n)).toBe(SK_DROP); // empty slot
      expect(go(4n, 0n)).toBe(SK_DROP); // past max_entries
      expect(go((1n << 32n) | 0n, 0n)).toBe(SK_PASS); // the key is a u32
      const recs = k.trace.records.filter((r) => r.kind === 'redirect');
      expect(recs.length).toBe(3);
    }
  });

  test('redirect by key (sockhash) and sock_ops updates without a socket', () => {
    for (const name of ['bpf_sk_redirect_hash', 'bpf_msg_redirect_hash']) {
      const k = newKernel();
      const { m, env, call } = withSockets(k, { type: SOCKHASH, keySize: 6, valueSize: 8, maxEntries: 8, name: 'hsocks' });
      const keyAt = (i: number) => k.mem.map('stack', keyBytes(SOCKHASH, 6, i)).base;
      const h = helper(name);
      expect(h(env as never, call, 0n, m.addr, keyAt(1), 1n, 0n)).toBe(SK_PASS);
      expect(k.bpf.lastRedirect?.target).toBe(`hsocks[${hex(keyBytes(SOCKHASH, 6, 1))}]`);
      expect(h(env as never, call, 0n, m.addr, keyAt(2), 0n, 0n)).toBe(SK_DROP);
      expect(h(env as never, call, 0n, m.addr, keyAt(5), 0n, 0n)).toBe(SK_DROP);
      expect(h(env as never, call, 0n, m.addr, keyAt(0), 4n, 0n)).toBe(SK_DROP);
    }
    const k = newKernel();
    const { m, env, call } = withSockets(k, { type: SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 4 });
    const EOPNOTSUPP = BigInt.asUintN(64, BigInt(-Errno.EOPNOTSUPP));
    for (const name of ['bpf_sock_map_update', 'bpf_sock_hash_update']) {
      expect(helper(name)(env as never, call, 0n, m.addr, 0n, 0n, 0n)).toBe(EOPNOTSUPP);
    }
  });
});
