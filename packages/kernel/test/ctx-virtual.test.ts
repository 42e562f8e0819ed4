/**
 * The context accessors the VM calls for `virtual` regions: what a load of
 * each width at each offset yields, and where stores land — the kernel's
 * ctx rewrite, modelled at access time.
 */
import fc from 'fast-check';
import { AddressSpace } from '@bpfsim/vm';
import { PacketBuffer, skBuffLayout, virtualCtx, xdpMdLayout, type SkBuff } from '@bpfsim/kernel';

function xdpCtx() {
  const mem = new AddressSpace();
  const pkt = new PacketBuffer(mem, new Uint8Array(4096), 256, 100, 'pkt');
  const x = { pkt, frameSz: 4096, tailroom: 320, ingressIfindex: 1, rxQueueIndex: 0, egressIfindex: 0, frags: [] };
  return { pkt, v: virtualCtx(xdpMdLayout(x), new Uint8Array(24)) };
}

describe('virtual contexts', () => {
  test('a 4-byte load of an xdp_md pointer field yields the whole 64-bit pointer, as the kernel rewrite does', () => {
    const { pkt, v } = xdpCtx();
    // (the verifier allows only 4-byte loads of these fields)
    expect(v.load(0, 4, false)).toBe(pkt.addr(256));
    expect(v.load(4, 4, false)).toBe(pkt.addr(356));
    pkt.data += 14;
    expect(v.load(0, 4, false)).toBe(pkt.addr(270));
    expect(v.load(8, 4, false)).toBe(pkt.addr(256));
    expect(v.load(12, 4, false)).toBe(1n);
    // stores to read-only fields are dropped
    v.store(12, 4, 9n);
    expect(v.load(12, 4, false)).toBe(1n);
  });

  test('__sk_buff narrow loads and stores of computed fields', () => {
    fc.assert(fc.property(fc.nat(), fc.constantFrom(0, 1, 2, 3), fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>, fc.nat({ max: 0xffff }), (mark, byte, size, v16) => {
      const mem = new AddressSpace();
      const pkt = new PacketBuffer(mem, new Uint8Array(512), 64, 60, 'pkt');
      const s = { pkt, mark, cb: new Uint8Array(20), sk: null } as unknown as SkBuff;
      const v = virtualCtx(skBuffLayout(s), new Uint8Array(192));
      const off = Math.min(byte, 4 - size);
      expect(v.load(8 + off, size, false)).toBe(BigInt((mark >>> (off * 8)) & (size === 1 ? 0xff : 0xffff)));
      expect(v.load(0, 4, false)).toBe(60n);
      v.store(8 + off, size, BigInt(v16));
      const mask = (size === 1 ? 0xff : 0xffff) << (off * 8);
      expect(s.mark >>> 0).toBe(((mark & ~mask) | ((v16 << (off * 8)) & mask)) >>> 0);
      v.store(48 + 4, 4, 0xdeadbeefn);
      expect(Buffer.from(s.cb).readUInt32LE(4)).toBe(0xdeadbeef);
      expect(v.load(48 + 4, 2, true)).toBe(BigInt.asUintN(64, -0x4111n));
      mem.unmap(pkt.region);
    }), { numRuns: 100, seed: 12 });
  });
});
