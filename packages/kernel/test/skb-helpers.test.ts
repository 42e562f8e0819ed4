/**
 * Edge cases of the skb resize/metadata helpers in bpfsim alone (the
 * kernel's answers, checked by skb-helpers.diff.test.ts, written down):
 * limits, bad flags and modes, state carried from one helper to the next.
 */
import { assemble } from '@bpfsim/isa';
import type { Kernel, TestRunResult } from '@bpfsim/kernel';
import { newKernel } from './kit';

const SCHED_CLS = 3;
const EINVAL = -22, EFAULT = -14, ENOMEM = -12, EACCES = -13, EALREADY = -114, ENOTSUPP = -524;

let kernel: Kernel;
beforeEach(() => (kernel = newKernel({ seed: 'skb-helpers' })));

function run(text: string, pkt: Uint8Array, gsoSize = 0): TestRunResult {
  const p = kernel.bpf.progLoad({ progType: SCHED_CLS, insns: assemble(text, { dialect: 'kernel' }), license: 'GPL' });
  if (p.fd < 0) throw new Error(`load: ${p.error}\n${p.log}`);
  const ctxIn = new Uint8Array(192);
  new DataView(ctxIn.buffer).setUint32(176, gsoSize, true);
  const r = kernel.bpf.progTestRun(p.fd, { dataIn: pkt, dataSizeOut: 32768, ctxIn, ctxSizeOut: 192 });
  if (typeof r === 'number') throw new Error(`test run: ${r}`);
  return r;
}

/** One call: `r0` of the helper as a signed 32-bit value. */
function call1(helper: string, args: (number | bigint)[], pkt: Uint8Array, gsoSize = 0): { r0: number; r: TestRunResult } {
  const set = args.map((a, i) => `r${i + 2} = ${a}`).join('\n');
  const r = run(`${set}\ncall ${helper}\nexit`, pkt, gsoSize);
  return { r0: r.retval | 0, r };
}

/** An IPv4/TCP frame of `len` bytes (>= 54), bytes after the headers numbered. */
function ipv4(len = 74, tos = 0): Uint8Array {
  const p = new Uint8Array(len);
  for (let i = 0; i < len; i++) p[i] = i & 0xff;
  p.set([0x08, 0x00, 0x45, tos], 12);
  p[14 + 9] = 6;
  p[14 + 6] = 0;
  p[14 + 7] = 0;
  return p;
}

describe('bpf_skb_change_tail', () => {
  test('grows with zeroes up to SKB_MAX_ALLOC (16064), not one byte more', () => {
    const ok = call1('bpf_skb_change_tail', [16064, 0], ipv4());
    expect(ok.r0).toBe(0);
    expect(ok.r.dataSizeOut).toBe(16064);
    expect(ok.r.dataOut!.subarray(74).every((b) => b === 0)).toBe(true);
    expect(call1('bpf_skb_change_tail', [16065, 0], ipv4()).r0).toBe(EINVAL);
  });
  test('flags other than 0, and cutting into the MAC header, are EINVAL', () => {
    expect(call1('bpf_skb_change_tail', [60, 1], ipv4()).r0).toBe(EINVAL);
    expect(call1('bpf_skb_change_tail', [13, 0], ipv4()).r0).toBe(EINVAL);
    const r = call1('bpf_skb_change_tail', [14, 0], ipv4());
    expect([r.r0, r.r.dataSizeOut]).toEqual([0, 14]);
  });
  test('trimming then growing gives zeroes, not the old bytes', () => {
    const r = run('r6 = r1\nr2 = 20\nr3 = 0\ncall bpf_skb_change_tail\nr1 = r6\nr2 = 74\nr3 = 0\ncall bpf_skb_change_tail\nexit', ipv4());
    expect(r.dataOut!.subarray(20).every((b) => b === 0)).toBe(true);
  });
  test('after a head reallocation the unset transport header counts (the kernel wraps it)', () => {
    // change_head(200) reallocates with nhead 192: transport_header 0xffff + 192 = 191, 135 bytes into the data.
    const text = (tail: number): string => `r6 = r1\nr2 = 200\nr3 = 0\ncall bpf_skb_change_head\nr1 = r6\nr2 = ${tail}\nr3 = 0\ncall bpf_skb_change_tail\nexit`;
    expect(run(text(134), ipv4(92)).retval | 0).toBe(EINVAL);
    expect(run(text(135), ipv4(92)).retval | 0).toBe(0);
  });
  test('resets gso_segs of a GSO skb', () => {
    const r = call1('bpf_skb_change_tail', [60, 0], ipv4(), 1400);
    expect(new DataView(r.r.ctxOut!.buffer).getUint32(164, true)).toBe(0);
  });
});

describe('bpf_skb_change_head', () => {
  test('pushes zeroes before the frame; the data pointers follow', () => {
    const r = run('r6 = r1\nr2 = 8\nr3 = 0\ncall bpf_skb_change_head\nr2 = *(u32 *)(r6 + 76)\nr3 = *(u32 *)(r6 + 80)\nr3 -= r2\nr0 <<= 16\nr0 |= r3\nexit', ipv4());
    expect(r.retval).toBe(82);
    expect(Array.from(r.dataOut!.subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(r.dataOut!.subarray(8)).toEqual(ipv4());
  });
  test('bad flags, a negative (int) room, and a length past 16064 are EINVAL', () => {
    expect(call1('bpf_skb_change_head', [4, 1], ipv4()).r0).toBe(EINVAL);
    expect(call1('bpf_skb_change_head', [0x80000000, 0], ipv4()).r0).toBe(EINVAL);
    expect(call1('bpf_skb_change_head', [16064 - 74 + 1, 0], ipv4()).r0).toBe(EINVAL);
    expect(call1('bpf_skb_change_head', [16064 - 74, 0], ipv4()).r0).toBe(0);
  });
  test('a GSO skb skips the length limit; a head kmalloc cannot give is ENOMEM', () => {
    expect(call1('bpf_skb_change_head', [0x7fffffff, 0], ipv4(), 1400).r0).toBe(ENOMEM);
  });
});

describe('bpf_skb_adjust_room', () => {
  test('flags, size, protocol and mode checks in the kernel order', () => {
    expect(call1('bpf_skb_adjust_room', [8, 0, 0x200], ipv4()).r0).toBe(EINVAL);
    expect(call1('bpf_skb_adjust_room', [0x1000, 0, 0], ipv4()).r0).toBe(EFAULT);
    const arp = ipv4();
    arp[12] = 0x08;
    arp[13] = 0x06;
    expect(call1('bpf_skb_adjust_room', [8, 0, 0], arp).r0).toBe(ENOTSUPP);
    expect(call1('bpf_skb_adjust_room', [8, 2, 0], ipv4()).r0).toBe(ENOTSUPP);
    // decap flags only shrink; both at once are EINVAL
    expect(call1('bpf_skb_adjust_room', [8, 0, 128], ipv4()).r0).toBe(EINVAL);
    expect(call1('bpf_skb_adjust_room', [-8, 0, 384], ipv4()).r0).toBe(EINVAL);
    // encap: both L3 or both L4 at once
    expect(call1('bpf_skb_adjust_room', [20, 1, 6], ipv4()).r0).toBe(EINVAL);
    expect(call1('bpf_skb_adjust_room', [28, 1, 2 | 8 | 16], ipv4()).r0).toBe(EINVAL);
  });
  test('BPF_ADJ_ROOM_NET grows after the IPv4 header, MAC right after the MAC header', () => {
    const net = call1('bpf_skb_adjust_room', [4, 0, 0], ipv4()).r.dataOut!;
    expect(net.subarray(0, 34)).toEqual(ipv4().subarray(0, 34));
    expect(Array.from(net.subarray(34, 38))).toEqual([0, 0, 0, 0]);
    expect(net.subarray(38)).toEqual(ipv4().subarray(34));
    const mac = call1('bpf_skb_adjust_room', [-4, 1, 0], ipv4()).r.dataOut!;
    expect(mac.subarray(0, 14)).toEqual(ipv4().subarray(0, 14));
    expect(mac.subarray(14)).toEqual(ipv4().subarray(18));
  });
  test('shrinking below the IP header is ENOTSUPP', () => {
    // 60 bytes from the network header: 40 may go (20 stay), 41 may not.
    expect(call1('bpf_skb_adjust_room', [-41, 1, 0], ipv4(74)).r0).toBe(ENOTSUPP);
    expect(call1('bpf_skb_adjust_room', [-40, 1, 0], ipv4(74)).r0).toBe(0);
  });
  test('an encapsulated skb refuses a second encap (EALREADY) and change_tail (ENOTSUPP)', () => {
    const text = (second: string): string => `r6 = r1\nr2 = 20\nr3 = 1\nr4 = 2\ncall bpf_skb_adjust_room\nr7 = r0\nr1 = r6\n${second}\nr0 <<= 8\nr0 |= r7\nexit`;
    const again = run(text('r2 = 20\nr3 = 1\nr4 = 2\ncall bpf_skb_adjust_room\nr0 &= 0xff'), ipv4());
    expect(again.retval).toBe(((EALREADY & 0xff) << 8) | 0);
    const tail = run(text('r2 = 60\nr3 = 0\ncall bpf_skb_change_tail\nr0 &= 0xff'), ipv4());
    expect(tail.retval).toBe(((ENOTSUPP & 0xff) << 8) | 0);
  });
});

describe('bpf_skb_vlan_push / bpf_skb_vlan_pop', () => {
  const fields = 'r2 = *(u32 *)(r6 + 20)\nr3 = *(u32 *)(r6 + 24)\nr4 = *(u32 *)(r6 + 28)\nr0 = r2\nr0 <<= 16\nr0 |= r3\nr4 <<= 20\nr0 ^= r4\nexit';
  test('a push sets the accelerated tag; a second push moves the first into the payload', () => {
    const one = run(`r6 = r1\nr2 = 0x0081\nr3 = 0x1005\ncall bpf_skb_vlan_push\n${fields}`, ipv4());
    expect(one.retval).toBe(((1 << 16) | 0x1005) ^ (0x0081 << 20));
    expect(one.dataOut).toEqual(ipv4());
    const two = run(`r6 = r1\nr2 = 0x0081\nr3 = 0x1005\ncall bpf_skb_vlan_push\nr1 = r6\nr2 = 0xa888\nr3 = 7\ncall bpf_skb_vlan_push\n${fields}`, ipv4());
    const out = two.dataOut!;
    expect(Array.from(out.subarray(12, 16))).toEqual([0x81, 0x00, 0x10, 0x05]);
    expect(out.subarray(16)).toEqual(ipv4().subarray(12));
    // an unknown vlan_proto becomes 802.1Q
    expect(run(`r6 = r1\nr2 = 0x1234\nr3 = 1\ncall bpf_skb_vlan_push\nr0 = *(u32 *)(r6 + 28)\nexit`, ipv4()).retval).toBe(0x0081);
  });
  test('pop takes a payload tag out and makes the next one the accelerated tag', () => {
    const p = new Uint8Array(70);
    p.set([0x88, 0xa8, 0x00, 0x03, 0x81, 0x00, 0x00, 0x09, 0x08, 0x00], 12);
    const r = run(`r6 = r1\ncall bpf_skb_vlan_pop\n${fields}`, p);
    expect(r.retval).toBe(((1 << 16) | 9) ^ (0x0081 << 20));
    expect(r.dataSizeOut).toBe(62);
    expect(Array.from(r.dataOut!.subarray(12, 14))).toEqual([0x08, 0x00]);
  });
  test('a tagged frame shorter than 18 bytes is ENOMEM', () => {
    const p = new Uint8Array(17);
    p.set([0x81, 0x00], 12);
    expect(call1('bpf_skb_vlan_pop', [], p).r0).toBe(ENOMEM);
  });
});

describe('bpf_skb_change_proto / change_type', () => {
  test('IPv4 -> IPv6 -> IPv4 inserts and removes 20 zero bytes after the MAC header', () => {
    const r = run('r6 = r1\nr2 = 0xdd86\nr3 = 0\ncall bpf_skb_change_proto\nr7 = *(u32 *)(r6 + 16)\nr1 = r6\nr2 = 0x0008\nr3 = 0\ncall bpf_skb_change_proto\nr0 = r7\nexit', ipv4());
    expect(r.retval).toBe(0xdd86);
    expect(r.dataOut).toEqual(ipv4());
    expect(call1('bpf_skb_change_proto', [0xdd86, 1], ipv4()).r0).toBe(EINVAL);
    expect(call1('bpf_skb_change_proto', [0x0008, 0], ipv4()).r0).toBe(ENOTSUPP);
  });
  test('pkt_type changes only within PACKET_HOST..PACKET_OTHERHOST', () => {
    expect(run('r6 = r1\nr2 = 3\ncall bpf_skb_change_type\nr0 = *(u32 *)(r6 + 4)\nexit', ipv4()).retval).toBe(3);
    expect(call1('bpf_skb_change_type', [4], ipv4()).r0).toBe(EINVAL);
  });
});

describe('hash, checksum level, ECN', () => {
  test('get_hash_recalc: non-zero, stable, the same for the same seed; set_hash wins until invalidated', () => {
    const text = 'r6 = r1\ncall bpf_get_hash_recalc\nr7 = r0\nr1 = r6\ncall bpf_get_hash_recalc\nr0 ^= r7\nr0 <<= 32\nr0 |= r7\nexit';
    const a = run(text, ipv4());
    expect(a.r0 >> 32n).toBe(0n);
    expect(a.r0 & 0xffffffffn).not.toBe(0n);
    expect(run(text, ipv4()).r0).toBe(a.r0);
    const set = run('r6 = r1\nr2 = 0x1234\ncall bpf_set_hash\nr1 = r6\ncall bpf_get_hash_recalc\nexit', ipv4());
    expect(set.retval).toBe(0x1234);
    const inval = run('r6 = r1\nr2 = 0x1234\ncall bpf_set_hash\nr1 = r6\ncall bpf_set_hash_invalid\nr0 = *(u32 *)(r6 + 68)\nexit', ipv4());
    expect(inval.retval).toBe(0);
  });
  test('csum_level: EACCES until CHECKSUM_UNNECESSARY, then levels 0..3; bad level EINVAL', () => {
    const seq = (levels: number[]): number[] => {
      const text = ['r6 = r1', 'r7 = 0', ...levels.flatMap((l, i) => ['r1 = r6', `r2 = ${l}`, 'call bpf_csum_level', 'r0 &= 0xff', `r0 <<= ${i * 8}`, 'r7 |= r0']), 'r0 = r7', 'exit'].join('\n');
      const v = run(text, ipv4()).r0;
      return levels.map((_, i) => Number((v >> BigInt(i * 8)) & 0xffn));
    };
    expect(seq([0, 1, 0, 1, 1, 1, 1, 0])).toEqual([EACCES & 0xff, 0, 0, 0, 0, 0, 0, 3]);
    expect(seq([1, 2, 0, 3, 4])).toEqual([0, 0, EACCES & 0xff, 0, EINVAL & 0xff]);
    expect(call1('bpf_csum_update', [5], ipv4()).r0).toBe(ENOTSUPP);
  });
  test('ecn_set_ce marks ECT(0) as CE and fixes the IPv4 checksum; Not-ECT stays', () => {
    const p = ipv4(74, 0x02);
    p[24] = 0x12;
    p[25] = 0x34;
    const r = call1('bpf_skb_ecn_set_ce', [], p);
    expect(r.r0).toBe(1);
    expect(r.r.dataOut![15]).toBe(0x03);
    // The checksum falls by 1 (ones' complement) for the +1 in the TOS byte.
    expect([r.r.dataOut![24], r.r.dataOut![25]]).toEqual([0x12, 0x33]);
    expect(call1('bpf_skb_ecn_set_ce', [], ipv4(74, 0)).r0).toBe(0);
  });
});
