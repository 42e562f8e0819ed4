/**
 * The matchers against the real kernel: the same clang-built objects loaded
 * into bpfsim (through @bpfsim/jest's API) and into the running kernel (the
 * oracle, replayed from its tape), then the kernel's answers are what the
 * matchers are asked to confirm — verdicts, return codes over generated
 * packets, and the counters the program kept.
 */
import '../src/setup';
import * as fs from 'fs';
import fc from 'fast-check';
import { encodeProgram } from '@bpfsim/isa';
import { loadObject } from '@bpfsim/loader';
import { BpfMapType } from '@bpfsim/uapi';
import { bpfsim } from '../src';
import { oracle, oracleOrSkip } from '../../kernel/test/kit';
import { scenarioFile } from './paths';

const maybe = oracleOrSkip() ? describe : describe.skip;

/** An object's program loaded into the kernel with its maps created from the same specs; fds to close. */
function loadReal(file: string, prog: string): { fd: number | null; maps: Map<string, number>; verdict: string; close: () => void } {
  const obj = loadObject(new Uint8Array(fs.readFileSync(file)), { file });
  const maps = new Map<string, number>();
  const fds = obj.maps.map((m) => {
    const r = oracle.mapCreate({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.kernelName ?? m.name.slice(0, 15) });
    if (r.fd === null) throw new Error(`kernel map ${m.name}: ${r.errnoName}`);
    maps.set(m.name, r.fd);
    return r.fd as number;
  });
  const p = obj.programs.find((x) => x.name === prog)!;
  const insns = p.insns.slice();
  for (const ref of p.mapRefs) {
    insns[ref.insn] = insns[ref.insn].with({ src: ref.kind === 'map' ? 1 : 2, imm: fds[ref.mapIndex] });
    insns[ref.insn + 1] = insns[ref.insn + 1].with({ imm: ref.offset });
  }
  const r = oracle.progLoad({ type: p.progType, insns: encodeProgram(insns), license: obj.license, logLevel: 1, expectedAttachType: p.expectedAttachType ?? 0, name: p.name.slice(0, 15) });
  return {
    fd: r.fd, maps, verdict: r.fd === null ? oracle.lastErrorLine(r.log) : '',
    close: () => [...(r.fd === null ? [] : [r.fd]), ...fds].forEach((fd) => oracle.close(fd)),
  };
}

const u16 = (v: number) => Uint8Array.of(v & 0xff, v >> 8);
const u32 = (v: number) => Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);

/** Ethernet + IPv4 + TCP/UDP/ICMP to one of a few ports, or an ARP frame. */
const packet = fc.tuple(fc.constantFrom(0x0800, 0x0800, 0x0806), fc.constantFrom(1, 6, 17, 47), fc.constantFrom(22, 53, 80, 443), fc.integer({ min: 0, max: 16 }))
  .map(([eth, proto, dport, extra]) => {
    const p = Buffer.alloc(14 + 20 + 20 + extra);
    p.writeUInt16BE(eth, 12);
    p[14] = 0x45;
    p[23] = proto;
    p.writeUInt16BE(40000, 34);
    p.writeUInt16BE(dport, 36);
    return new Uint8Array(p);
  });

maybe('@bpfsim/jest matchers against the kernel', () => {
  test("verdicts: the kernel's final error line is what toBeRejectedWith finds", () => {
    const accepted: boolean[] = [];
    for (const [name, prog] of [['unchecked_packet.bpf.o', 'xdp_drop_ipv6'], ['checked_packet.bpf.o', 'xdp_drop_ipv6']]) {
      const file = scenarioFile('verifier-rejection', name);
      const real = loadReal(file, prog);
      accepted.push(real.fd !== null);
      try {
        if (real.fd === null) expect(file).toBeRejectedWith(real.verdict);
        else expect(file).toBeAccepted();
      } finally {
        real.close();
      }
    }
    expect(accepted).toEqual([false, true]);
  });

  test('xdp_firewall: return codes and counters over generated packets, as the kernel gives them', () => {
    const file = scenarioFile('xdp-firewall', 'xdp_firewall.bpf.o');
    const real = loadReal(file, 'xdp_firewall');
    try {
      const obj = bpfsim.kernel({ seed: 1 }).load(file);
      // block port 443 on both sides
      obj.map('blocked_ports').set(443, 1);
      oracle.mapUpdate(real.maps.get('blocked_ports')!, u16(443), Uint8Array.of(1), 0);
      let runs = 0;
      fc.assert(fc.property(packet, (pkt) => {
        const k = oracle.testRun(real.fd!, { dataIn: pkt, dataSizeOut: pkt.length + 256 });
        expect(k.errno).toBe(0);
        expect(obj.run('xdp_firewall', { data: pkt })).toReturn(k.retval);
        runs++;
      }), { numRuns: 60, seed: 4242 });
      for (let slot = 0; slot < 3; slot++) {
        const v = oracle.mapLookup(real.maps.get('stats')!, u32(slot));
        expect(v.errno).toBe(0);
        const counted = new DataView(v.value.buffer, v.value.byteOffset).getBigUint64(0, true);
        expect(obj.map('stats')).toHaveMapEntry(slot, counted);
      }
      expect(runs).toBe(60);
      expect(obj.map('stats').type).toBe(BpfMapType.ARRAY);
    } finally {
      real.close();
    }
  });
});
