/**
 * Socket filters (SO_ATTACH_BPF with a BPF_PROG_TYPE_SOCKET_FILTER program) on what a socket
 * receives: keep (a return ≥ the length), truncate (a smaller return, never below the UDP
 * header), drop (0); a program that writes the packet is refused by the verifier; AF_PACKET and
 * raw sockets get their copies through their filters too.
 */
import { assemble } from '@bpfsim/isa';
import type { Kernel } from '../../src';
import { AF_INET, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW, int, newKernel, ok, procInNewNet, sin, str, text } from './sock-kit';

const SOL_SOCKET = 1, SO_ATTACH_BPF = 50, SO_DETACH_BPF = 27, SOCKET_FILTER = 1, EAGAIN = -11;

function filter(k: Kernel, asm: string): number {
  const r = k.bpf.progLoad({ progType: SOCKET_FILTER, insns: assemble(asm, { dialect: 'kernel' }), license: 'GPL' });
  if (r.fd < 0) throw new Error(r.log);
  return r.fd;
}

function setup() {
  const k = newKernel('skfilter');
  const { p, ns } = procInNewNet(k);
  ns.lo.setUp(true);
  const rx = ok(k, p, 'socket', [AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0]).ret;
  ok(k, p, 'bind', [rx, sin('127.0.0.1', 9999), 16]);
  const tx = ok(k, p, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
  const send = (s: string) => ok(k, p, 'sendto', [tx, text(s), s.length, 0, sin('127.0.0.1', 9999), 16]);
  const recv = (): string | number => {
    const r = k.syscall(p, 'recvfrom', [rx, { out: 64 }, 64, 0, 0, 0]);
    return r.ret < 0 ? r.ret : str(r.outs[0].subarray(0, r.ret));
  };
  return { k, p, ns, rx, send, recv };
}

describe('SO_ATTACH_BPF on a UDP socket', () => {
  test('keep, truncate, drop, detach', () => {
    const { k, p, ns, rx, send, recv } = setup();
    const attach = (asm: string) => ok(k, p, 'setsockopt', [rx, SOL_SOCKET, SO_ATTACH_BPF, int(filter(k, asm)), 4]);
    attach('r0 = -1\nexit');
    send('keep me');
    expect(recv()).toBe('keep me');
    // The program sees the datagram from its UDP header: 8 + 4 bytes keeps 4 bytes of data.
    attach('r0 = 12\nexit');
    send('truncated');
    expect(recv()).toBe('trun');
    // Never below the UDP header (sk_filter_trim_cap's cap): 3 keeps the header, no data.
    attach('r0 = 3\nexit');
    send('empty');
    expect(recv()).toBe('');
    attach('r0 = 0\nexit');
    send('dropped');
    expect(recv()).toBe(EAGAIN);
    expect(ns.drops.get('socket_filter')).toBe(1);
    // A filter deciding on the data: keep only datagrams whose first payload byte is 'y' (skb->len is __sk_buff's first field).
    attach([
      'r6 = r1',
      'r2 = 8',
      'r3 = r10',
      'r3 += -8',
      'r4 = 1',
      'call 26', // bpf_skb_load_bytes(skb, 8, fp-8, 1)
      'if r0 != 0 goto drop',
      'r1 = *(u8 *)(r10 - 8)',
      'if r1 != 121 goto drop',
      'r0 = *(u32 *)(r6 + 0)',
      'exit',
      'drop:',
      'r0 = 0',
      'exit',
    ].join('\n'));
    send('yes');
    send('no');
    expect(recv()).toBe('yes');
    expect(recv()).toBe(EAGAIN);
    ok(k, p, 'setsockopt', [rx, SOL_SOCKET, SO_DETACH_BPF, int(0), 4]);
    send('no filter');
    expect(recv()).toBe('no filter');
  });

  test('a filter that tries to modify the packet does not load: the verifier refuses it with the kernel\'s message', () => {
    const k = newKernel('skfilter');
    const load = (asm: string) => k.bpf.progLoad({ progType: SOCKET_FILTER, insns: assemble(asm, { dialect: 'kernel' }), license: 'GPL', logLevel: 1 });
    // Writing skb->mark through the context.
    const a = load('r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit');
    expect(a.fd).toBe(-13);
    expect(a.error).toBe('invalid bpf_context access off=8 size=4');
    // bpf_skb_store_bytes is not a socket filter's helper.
    const b = load('r2 = 0\nr3 = r10\nr3 += -8\n*(u64 *)(r10 - 8) = r2\nr4 = 1\nr5 = 0\ncall 9\nr0 = 0\nexit');
    expect(b.fd).toBe(-22);
    expect(b.error).toBe('program of this type cannot use helper bpf_skb_store_bytes#9');
  });

  test('SO_ATTACH_BPF wants a socket_filter program', () => {
    const { k, p, rx } = setup();
    const xdp = k.bpf.progLoad({ progType: 6, insns: assemble('r0 = 2\nexit', { dialect: 'kernel' }), license: 'GPL' }).fd;
    expect(k.syscall(p, 'setsockopt', [rx, SOL_SOCKET, SO_ATTACH_BPF, int(xdp), 4]).ret).toBe(-22);
    expect(k.syscall(p, 'setsockopt', [rx, SOL_SOCKET, SO_ATTACH_BPF, int(999), 4]).ret).toBe(-9);
  });
});

describe('AF_PACKET and raw sockets', () => {
  test('a packet socket sees every frame on lo both ways; its filter truncates; a raw ICMP socket gets the echo reply', () => {
    const k = newKernel('skfilter');
    const { p, ns } = procInNewNet(k);
    ns.lo.setUp(true);
    // socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))
    const pk = ok(k, p, 'socket', [17, SOCK_RAW | SOCK_NONBLOCK, 0x0300]).ret;
    const raw = ok(k, p, 'socket', [AF_INET, SOCK_RAW | SOCK_NONBLOCK, 1]).ret;
    // An ICMP echo request to 127.0.0.1 through the raw socket; the stack answers it.
    const echo = Uint8Array.from([8, 0, 0xf7, 0xfe, 0, 1, 0, 0]);
    ok(k, p, 'sendto', [raw, echo, 8, 0, sin('127.0.0.1', 0), 16]);
    const frames: number[] = [];
    for (;;) {
      const r = k.syscall(p, 'recvfrom', [pk, { out: 128 }, 128, 0, { out: 20 }, int(20)]);
      if (r.ret < 0) break;
      frames.push(r.ret);
      expect(r.outs[1][10]).toBe(r.outs[1][10] === 4 ? 4 : 0); // PACKET_OUTGOING, then PACKET_HOST
    }
    // request out, in; reply out, in: 14 + 20 + 8 bytes each.
    expect(frames).toEqual([42, 42, 42, 42]);
    // The raw socket saw both ICMP packets for this host: the request and the reply, IP header included.
    const got: number[] = [];
    for (;;) {
      const r = k.syscall(p, 'recvfrom', [raw, { out: 128 }, 128, 0, 0, 0]);
      if (r.ret < 0) break;
      got.push(r.outs[0][20]);
    }
    expect(got).toEqual([8, 0]);
    const f = k.bpf.progLoad({ progType: SOCKET_FILTER, insns: assemble('r0 = 14\nexit', { dialect: 'kernel' }), license: 'GPL' }).fd;
    ok(k, p, 'setsockopt', [pk, SOL_SOCKET, SO_ATTACH_BPF, int(f), 4]);
    ok(k, p, 'sendto', [raw, echo, 8, 0, sin('127.0.0.1', 0), 16]);
    const r = ok(k, p, 'recvfrom', [pk, { out: 128 }, 128, 0x20 /* MSG_TRUNC */, 0, 0]);
    expect(r.ret).toBe(14);
  });
});

/** struct sock_filter[] from [code, jt, jf, k] rows, and the struct sock_fprog pointing at it. */
function fprog(rows: number[][]): { struct: Uint8Array; ptrs: { at: number; arg: Uint8Array }[] } {
  const b = new Uint8Array(rows.length * 8);
  const dv = new DataView(b.buffer);
  rows.forEach(([code, jt, jf, k], i) => {
    dv.setUint16(i * 8, code, true);
    b[i * 8 + 2] = jt;
    b[i * 8 + 3] = jf;
    dv.setUint32(i * 8 + 4, k >>> 0, true);
  });
  const h = new Uint8Array(16);
  new DataView(h.buffer).setUint16(0, rows.length, true);
  return { struct: h, ptrs: [{ at: 8, arg: b }] };
}

describe('SO_ATTACH_FILTER (classic BPF)', () => {
  const SO_ATTACH_FILTER = 26;
  test('a classic filter keeps, truncates and drops; a bad one is EINVAL', () => {
    const { k, p, rx, send, recv } = setup();
    const attach = (rows: number[][]) => k.syscall(p, 'setsockopt', [rx, SOL_SOCKET, SO_ATTACH_FILTER, fprog(rows), 16]).ret;
    // ldb [8] (the first payload byte after the UDP header); jeq 'y' → ret #0xffff; else ret #0
    expect(attach([[0x30, 0, 0, 8], [0x15, 0, 1, 121], [0x06, 0, 0, 0xffff], [0x06, 0, 0, 0]])).toBe(0);
    send('yes');
    send('no');
    expect(recv()).toBe('yes');
    expect(recv()).toBe(EAGAIN);
    // ld [SKF_NET_OFF + 9]: the IP protocol through the network header; UDP → keep 8 + 2 bytes.
    expect(attach([[0x30, 0, 0, -0x100000 + 9], [0x15, 0, 1, 17], [0x06, 0, 0, 10], [0x06, 0, 0, 0]])).toBe(0);
    send('truncate');
    expect(recv()).toBe('tr');
    // No return last, a jump out of the program, a division by a constant 0: refused.
    expect(attach([[0x30, 0, 0, 8]])).toBe(-22);
    expect(attach([[0x15, 5, 0, 1], [0x06, 0, 0, 0]])).toBe(-22);
    expect(attach([[0x34, 0, 0, 0], [0x06, 0, 0, 0]])).toBe(-22);
    // The last good filter is still in place.
    send('again');
    expect(recv()).toBe('ag');
  });

  test('tcpdump -dd udp on a packet socket: only UDP frames', () => {
    const k = newKernel('skfilter');
    const { p, ns } = procInNewNet(k);
    ns.lo.setUp(true);
    const pk = ok(k, p, 'socket', [17, SOCK_RAW | SOCK_NONBLOCK, 0x0300]).ret;
    // `tcpdump -y EN10MB -dd udp`
    const udp = [[0x28, 0, 0, 12], [0x15, 0, 2, 0x800], [0x30, 0, 0, 23], [0x15, 6, 7, 17], [0x15, 0, 6, 0x86dd], [0x30, 0, 0, 20], [0x15, 3, 0, 17],
      [0x15, 0, 3, 0x2c], [0x30, 0, 0, 54], [0x15, 0, 1, 17], [0x06, 0, 0, 0x40000], [0x06, 0, 0, 0]];
    ok(k, p, 'setsockopt', [pk, SOL_SOCKET, SO_ATTACH_FILTER, fprog(udp), 16]);
    const raw = ok(k, p, 'socket', [AF_INET, SOCK_RAW | SOCK_NONBLOCK, 1]).ret;
    ok(k, p, 'sendto', [raw, Uint8Array.from([8, 0, 0xf7, 0xfe, 0, 1, 0, 0]), 8, 0, sin('127.0.0.1', 0), 16]);
    const u = ok(k, p, 'socket', [AF_INET, SOCK_DGRAM, 0]).ret;
    ok(k, p, 'sendto', [u, text('x'), 1, 0, sin('127.0.0.1', 9), 16]);
    const got: number[] = [];
    for (;;) {
      const r = k.syscall(p, 'recvfrom', [pk, { out: 128 }, 128, 0, 0, 0]);
      if (r.ret < 0) break;
      got.push(r.outs[0][23]);
    }
    // The datagram out and in; the ICMP echo, its reply and the port unreachable are filtered out.
    expect(got).toEqual([17, 17]);
  });
});
