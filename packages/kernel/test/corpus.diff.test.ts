/**
 * The project's corpus against the kernel: every xdp, socket filter and tc
 * program in corpus/*.bpf.o is loaded into bpfsim (through the loader, as
 * libbpf would) and into the running kernel (maps created from the same
 * MapSpecs), then both test-run the same generated packets. Compared: errno,
 * retval, output packet, and every map's contents after each run (per-CPU
 * values summed over CPUs, since the two kernels place runs on different CPUs).
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { encodeProgram } from '@bpfsim/isa';
import { loadObject, type BpfObject } from '@bpfsim/loader';
import { BpfMapType, BpfProgType } from '@bpfsim/uapi';
import { helperId, type LoadedObject } from '@bpfsim/kernel';
import { newKernel, oracle, oracleOrSkip, patchMaps, u32le } from './kit';

const CORPUS = path.resolve(__dirname, '../../../corpus');
const TYPES = new Set<number>([BpfProgType.XDP, BpfProgType.SOCKET_FILTER, BpfProgType.SCHED_CLS, BpfProgType.SCHED_ACT]);
const PERCPU = new Set<number>([BpfMapType.PERCPU_ARRAY, BpfMapType.PERCPU_HASH, BpfMapType.LRU_PERCPU_HASH]);
const ITERABLE = new Set<number>([BpfMapType.ARRAY, BpfMapType.HASH, BpfMapType.PERCPU_ARRAY, BpfMapType.PERCPU_HASH, BpfMapType.LRU_HASH]);
const RUNS = Number(process.env.BPFSIM_DIFF_RUNS ?? 150);
/** Shifts every property seed: BPFSIM_DIFF_SEED=n explores other cases. */
const SEED = Number(process.env.BPFSIM_DIFF_SEED ?? 0);
const hex = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString('hex') : '');

const objects = fs.existsSync(CORPUS)
  ? fs.readdirSync(CORPUS).filter((f) => f.endsWith('.bpf.o')).sort()
      .flatMap((f) => {
        // Objects needing kconfig or other simulated-kernel state are the tracing issues' business.
        try {
          return [{ f, obj: loadObject(new Uint8Array(fs.readFileSync(path.join(CORPUS, f))), { file: f }) }];
        } catch {
          return [];
        }
      })
      .filter(({ obj }) => obj.programs.some((p) => TYPES.has(p.progType)))
  : [];

/** Ethernet + IPv4/IPv6 + TCP/UDP/ICMP with random fields, or plain random bytes. */
const packet = fc.oneof(
  fc.tuple(
    fc.constantFrom(0x0800, 0x0800, 0x86dd, 0x0806),
    fc.constantFrom(6, 17, 1, 47),
    fc.constantFrom(5, 5, 6),
    fc.constantFrom(7, 23, 53, 80, 443, 1234),
    fc.constantFrom(7, 23, 53, 80),
    fc.constantFrom([10, 0, 0, 1], [192, 168, 1, 1], [10, 1, 2, 3], [8, 8, 8, 8]),
    fc.integer({ min: 0, max: 64 }),
    fc.uint8Array({ minLength: 64, maxLength: 64 }),
  ).map(([eth, proto, ihl, dport, sport, saddr, extra, rnd]) => {
    const ip6 = eth === 0x86dd;
    const l3 = ip6 ? 40 : ihl * 4;
    const p = Buffer.alloc(14 + l3 + 20 + extra);
    Buffer.from(rnd).copy(p, 0, 0, Math.min(rnd.length, p.length));
    p.writeUInt16BE(eth, 12);
    if (ip6) {
      p[14] = 0x60;
      p[20] = proto;
    } else {
      p[14] = 0x40 | ihl;
      p[23] = proto;
      Buffer.from(saddr).copy(p, 26);
    }
    p.writeUInt16BE(sport, 14 + l3);
    p.writeUInt16BE(dport, 14 + l3 + 2);
    return new Uint8Array(p);
  }),
  fc.integer({ min: 0, max: 120 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
);

/** The object's maps in the real kernel, from the same MapSpecs. */
function realMaps(obj: BpfObject): number[] {
  return obj.maps.map((m) => {
    const r = oracle.mapCreate({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.kernelName ?? m.name.slice(0, 15) });
    if (r.fd === null) throw new Error(`kernel map ${m.name}: ${r.errnoName}`);
    if (m.initialValue && m.type === BpfMapType.ARRAY) oracle.mapUpdate(r.fd, u32le(0), m.initialValue, 0);
    if (m.frozen) oracle.mapFreeze(r.fd);
    return r.fd;
  });
}

/** All entries as key -> value hex; per-CPU values summed as u64 words over CPUs. */
function dumpSim(loaded: LoadedObject, name: string, type: number, valueSize: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of loaded.map(name).entries()) out[hex(k)] = PERCPU.has(type) ? sumPerCpu(v, valueSize) : hex(v);
  return out;
}
function dumpReal(fd: number, type: number, valueSize: number): Record<string, string> {
  const out: Record<string, string> = {};
  let key: Uint8Array | null = null;
  for (let i = 0; i < 10000; i++) {
    const n = oracle.mapGetNextKey(fd, key);
    if (n.errno) break;
    key = n.key as Uint8Array;
    const v = oracle.mapLookup(fd, key);
    if (!v.errno) out[hex(key)] = PERCPU.has(type) ? sumPerCpu(v.value, valueSize) : hex(v.value);
  }
  return out;
}
function sumPerCpu(v: Uint8Array, valueSize: number): string {
  const slot = Math.ceil(valueSize / 8) * 8;
  const sums = new Array<bigint>(slot / 8).fill(0n);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  for (let off = 0; off + slot <= v.length; off += slot) for (let w = 0; w < slot / 8; w++) sums[w] += dv.getBigUint64(off + w * 8, true);
  return sums.map((s) => BigInt.asUintN(64, s).toString(16)).join(',');
}

const maybe = oracleOrSkip() && objects.length ? describe : describe.skip;

maybe('corpus programs vs the kernel', () => {
  for (const { f, obj } of objects) {
    for (const spec of obj.programs.filter((p) => TYPES.has(p.progType))) {
      test(`${f}: ${spec.name} (${spec.section})`, () => {
        const kernel = newKernel({ cpus: oracle.numPossibleCpus() });
        const loaded = kernel.loadObject(obj, { file: f });
        const fds = realMaps(obj);
        const realProgs = new Map<string, number>();
        try {
          const loadReal = (name: string): number => {
            if (realProgs.has(name)) return realProgs.get(name)!;
            const p = obj.programs.find((x) => x.name === name)!;
            const insns = p.insns.slice();
            for (const ref of p.mapRefs) {
              insns[ref.insn] = insns[ref.insn].with({ src: ref.kind === 'map' ? 1 : 2, imm: fds[ref.mapIndex] });
              insns[ref.insn + 1] = insns[ref.insn + 1].with({ imm: ref.offset });
            }
            const r = oracle.progLoad({ type: p.progType, insns: encodeProgram(patchMaps(insns, [])), license: obj.license, logLevel: 1, expectedAttachType: p.expectedAttachType ?? 0, progFlags: p.progFlags, name: p.name.slice(0, 15) });
            if (r.fd === null) throw new Error(`kernel refused ${name}: ${oracle.lastErrorLine(r.log)}`);
            realProgs.set(name, r.fd);
            return r.fd;
          };
          const real = loadReal(spec.name);
          // prog_array initialisers, as libbpf fills them
          obj.maps.forEach((m, i) => (m.initSlots ?? []).forEach((s) => {
            if (s.kind === 'prog') oracle.mapUpdate(fds[i], u32le(s.index), u32le(loadReal(s.target)), 0);
          }));
          // Some entries for LPM tries / hashes the program looks up, the same on both sides.
          obj.maps.forEach((m, i) => {
            if (m.type === BpfMapType.LPM_TRIE && m.keySize === 8) {
              for (const [len, a] of [[32, [10, 0, 0, 1]], [16, [192, 168, 0, 0]], [8, [8, 0, 0, 0]]] as const) {
                const key = new Uint8Array([len, 0, 0, 0, ...a]);
                const val = new Uint8Array(m.valueSize);
                oracle.mapUpdate(fds[i], key, val, 0);
                loaded.map(m.name).update(key, val);
              }
            }
          });
          const prog = loaded.program(spec.name);
          // Values written from a clock cannot agree between two kernels: compare those maps' keys only.
          const TIME = ['bpf_ktime_get_ns', 'bpf_ktime_get_boot_ns', 'bpf_ktime_get_coarse_ns', 'bpf_ktime_get_tai_ns'].map((n) => helperId(n));
          const clocked = prog.prog.helperIds.some((id) => TIME.includes(id));
          const view = (c: Record<string, string>) => (clocked ? Object.keys(c) : c);
          let runs = 0;
          fc.assert(
            fc.property(packet, (pkt) => {
              const sim = kernel.bpf.progTestRun(prog.fd, { dataIn: pkt, dataSizeOut: pkt.length + 4096 });
              if (typeof sim === 'number') throw new Error(`bpfsim test run: ${sim}`);
              const k = oracle.testRun(real, { dataIn: pkt, dataSizeOut: pkt.length + 4096 });
              const what = `${spec.name} on ${hex(pkt)}`;
              expect({ what, errno: sim.ret < 0 ? -sim.ret : 0 }).toEqual({ what, errno: k.errno });
              if (k.errno) return;
              runs++;
              expect({ what, retval: sim.retval, out: hex(sim.dataOut) }).toEqual({ what, retval: k.retval, out: hex(k.dataOut) });
              obj.maps.forEach((m, i) => {
                if (!ITERABLE.has(m.type)) return;
                expect({ what, map: m.name, contents: view(dumpSim(loaded, m.name, m.type, m.valueSize)) }).toEqual({ what, map: m.name, contents: view(dumpReal(fds[i], m.type, m.valueSize)) });
              });
            }),
            { numRuns: RUNS, seed: 900 + SEED },
          );
          expect(runs).toBeGreaterThan(RUNS / 4);
        } finally {
          for (const fd of [...realProgs.values(), ...fds]) oracle.close(fd);
        }
      });
    }
  }
});
