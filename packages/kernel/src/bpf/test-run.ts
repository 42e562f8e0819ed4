/**
 * BPF_PROG_TEST_RUN as net/bpf/test_run.c does it: the same input checks
 * and errnos, the same buffers (headroom, tailroom, where data starts), the
 * same context conversion in and out, and the same output rules
 * (data_size_out always reports the full size; a short buffer gets a prefix
 * and ENOSPC). Only the clock differs: duration is virtual time.
 */
import { BpfAttachType, BpfProgType, Errno } from '@bpfsim/uapi';
import type { Kernel } from '../kernel/kernel';
import { readLE, writeLE } from './ctx/layout';
import { CB_LEN, SK_BUFF_SIZE, skBuffLayout, type SkBuff } from './ctx/skb';
import { MAX_BPF_FUNC_ARGS } from './ctx/tracing';
import { XDP_MD_SIZE, XDP_PACKET_HEADROOM, xdpMdLayout, type XdpBuff, type XdpFrag } from './ctx/xdp';
import { PacketBuffer } from './packet';
import type { BpfProg } from './prog';
import { runProgram } from './run';

export interface TestRunAttr {
  dataIn?: Uint8Array;
  /** Size of the data_out buffer; absent: no data_out buffer (nothing copied out). 0 with `dataOut` means unbounded. */
  dataSizeOut?: number;
  ctxIn?: Uint8Array;
  /** Size of the ctx_out buffer; absent: no ctx_out buffer. */
  ctxSizeOut?: number;
  repeat?: number;
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

export interface TestRunResult {
  /** 0, or a negative errno (results may still be filled, as the kernel fills them before ENOSPC). */
  ret: number;
  retval: number;
  duration: number;
  dataOut?: Uint8Array;
  dataSizeOut: number;
  ctxOut?: Uint8Array;
  ctxSizeOut: number;
  /** bpfsim extras: the full r0 and instructions executed (all repeats). */
  r0: bigint;
  insns: number;
  cpu: number;
}

const PAGE_SIZE = 4096;
const ETH_HLEN = 14;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64 */
const SKB_SHINFO_ROOM = 320;
/** NET_SKB_PAD + NET_IP_ALIGN on x86-64 */
const SKB_HEADROOM = 64;
const BPF_F_TEST_RUN_ON_CPU = 1;
const BPF_F_TEST_XDP_LIVE_FRAMES = 2;
const GSO_MAX_SEGS = 65535;
/** MAX_SKB_FRAGS (CONFIG_MAX_SKB_FRAGS default) */
const MAX_SKB_FRAGS = 17;
const GSO_LEGACY_MAX_SIZE = 65536;
const ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86dd, ETH_P_802_3 = 0x0001, ETH_P_802_2 = 0x0004;
const AF_INET = 2, AF_INET6 = 10;
const PACKET_MULTICAST = 2, PACKET_OTHERHOST = 3;
/** The loopback device every test run happens on. */
const LO_IFINDEX = 1;

const err = (e: number): TestRunResult => ({ ret: -e, retval: 0, duration: 0, dataSizeOut: 0, ctxSizeOut: 0, r0: 0n, insns: 0, cpu: 0 });

/** bpf_ctx_init: the ctx_in bytes in a max_size buffer; E2BIG when bytes past max_size are not zero. */
function ctxInit(attr: TestRunAttr, maxSize: number): Uint8Array | null | number {
  if (!attr.ctxIn && attr.ctxSizeOut === undefined) return null;
  const out = new Uint8Array(maxSize);
  if (attr.ctxIn) {
    if (attr.ctxIn.subarray(maxSize).some((b) => b !== 0)) return -Errno.E2BIG;
    out.set(attr.ctxIn.subarray(0, maxSize));
  }
  return out;
}

/**
 * bpf_test_finish + bpf_ctx_finish: copy out with the kernel's rules. data_size_out
 * always reports the full size; a short buffer gets ENOSPC and, for XDP with
 * fragments, the linear part cut so that the fragments still fit after it (the
 * kernel's arithmetic; when they cannot, nothing is reported at all).
 */
function finish(attr: TestRunAttr, r: TestRunResult, linear: Uint8Array | null, ctx: Uint8Array | null, frags: readonly Uint8Array[] = []): TestRunResult {
  const fragsSize = frags.reduce((n, f) => n + f.length, 0);
  const size = (linear?.length ?? 0) + fragsSize;
  let copy = size;
  let enospc = false;
  if (attr.dataSizeOut && copy > attr.dataSizeOut) {
    copy = attr.dataSizeOut;
    enospc = true;
  }
  if (linear && attr.dataSizeOut !== undefined) {
    const len = copy - fragsSize;
    if (len < 0) return { ...r, ret: -Errno.ENOSPC, retval: 0, duration: 0, dataSizeOut: attr.dataSizeOut };
    const out = new Uint8Array(copy);
    out.set(linear.subarray(0, len));
    let offset = len;
    for (const f of frags) {
      if (offset >= copy) {
        enospc = true;
        break;
      }
      const n = Math.min(copy - offset, f.length);
      out.set(f.subarray(0, n), offset);
      offset += n;
    }
    r.dataOut = out.subarray(0, offset);
  }
  r.dataSizeOut = linear ? size : 0;
  if (enospc) {
    r.ret = -Errno.ENOSPC;
    return r;
  }
  if (ctx && attr.ctxSizeOut !== undefined) {
    r.ctxSizeOut = ctx.length;
    if (ctx.length > attr.ctxSizeOut) {
      r.ctxOut = ctx.slice(0, attr.ctxSizeOut);
      r.ret = -Errno.ENOSPC;
      return r;
    }
    r.ctxOut = ctx;
  }
  return r;
}

function runResult(o: { r0: bigint; insns: number; cpu: number; durationNs: bigint; runs: number }): TestRunResult {
  return {
    ret: 0, retval: Number(o.r0 & 0xffffffffn), duration: Number(o.durationNs / BigInt(o.runs)) >>> 0, dataSizeOut: 0, ctxSizeOut: 0,
    r0: o.r0, insns: o.insns, cpu: o.cpu,
  };
}

const u32at = (b: Uint8Array, off: number): number => Number(readLE(b, off, 4));

function testRunXdp(kernel: Kernel, prog: BpfProg, attr: TestRunAttr): TestRunResult {
  if (prog.expectedAttachType === BpfAttachType.XDP_DEVMAP || prog.expectedAttachType === BpfAttachType.XDP_CPUMAP) return err(Errno.EINVAL);
  const flags = attr.flags ?? 0;
  if (flags & ~BPF_F_TEST_XDP_LIVE_FRAMES) return err(Errno.EINVAL);
  // Live frames send packets through the stack: bpfsim has no stack to send them to yet.
  if (flags & BPF_F_TEST_XDP_LIVE_FRAMES) return err(Errno.EOPNOTSUPP);
  if (attr.batchSize) return err(Errno.EINVAL);
  const size = attr.dataIn?.length ?? 0;
  const ctx = ctxInit(attr, XDP_MD_SIZE);
  if (typeof ctx === 'number') return err(-ctx);
  let headroom = XDP_PACKET_HEADROOM;
  // Bytes of the linear part, metadata included. A ctx_in's data_end chooses it (6.18: the rest
  // goes into fragments, so a test can give a program a short linear part); data is the metadata length.
  let linearWanted = size;
  let metaLen = 0;
  if (ctx) {
    const data = u32at(ctx, 0), dataEnd = u32at(ctx, 4), dataMeta = u32at(ctx, 8);
    if (dataMeta || dataEnd > size || data > dataEnd || data % 4 || data > 255) return err(Errno.EINVAL);
    headroom -= data;
    linearWanted = dataEnd;
    metaLen = data;
  }
  if (size - metaLen < ETH_HLEN) return err(Errno.EINVAL);
  const maxDataSz = PAGE_SIZE - headroom - SKB_SHINFO_ROOM;
  // What does not fit the linear part goes into page fragments (multi-buffer XDP).
  const linear = Math.min(linearWanted, maxDataSz);
  let ingress = LO_IFINDEX, rxq = 0;
  if (ctx) {
    if (u32at(ctx, 20) !== 0) return err(Errno.EINVAL);
    ingress = u32at(ctx, 12);
    rxq = u32at(ctx, 16);
    if (!ingress && rxq) return err(Errno.EINVAL);
    if (ingress && ingress !== LO_IFINDEX) return err(Errno.ENODEV);
    if (ingress && rxq >= 1) return err(Errno.EINVAL);
    if (!ingress) ingress = LO_IFINDEX;
  }
  const frags: XdpFrag[] = [];
  for (let at = linear; at < size; at += PAGE_SIZE) {
    if (frags.length === MAX_SKB_FRAGS) return err(Errno.ENOMEM);
    const page = new Uint8Array(PAGE_SIZE);
    const chunk = attr.dataIn!.subarray(at, Math.min(size, at + PAGE_SIZE));
    page.set(chunk);
    frags.push({ page, len: chunk.length });
  }
  const frameSz = headroom + maxDataSz + SKB_SHINFO_ROOM;
  const frame = new Uint8Array(frameSz);
  frame.set(attr.dataIn!.subarray(0, linear), headroom);
  const pkt = new PacketBuffer(kernel.mem, frame, headroom, linear, `xdp test_run packet (${size} bytes)`);
  try {
    pkt.data = headroom + metaLen;
    const xdp: XdpBuff = { pkt, frameSz, tailroom: SKB_SHINFO_ROOM, ingressIfindex: ingress, rxQueueIndex: rxq, egressIfindex: 0, frags };
    const o = runProgram(kernel, prog, { ctx: { layout: xdpMdLayout(xdp), bytes: new Uint8Array(XDP_MD_SIZE) }, xdp, repeat: attr.repeat }, 'test_run');
    if (ctx) {
      writeLE(ctx, 0, 4, BigInt(pkt.data - pkt.meta));
      writeLE(ctx, 4, 4, BigInt(pkt.end - pkt.meta));
    }
    return finish(attr, runResult(o), pkt.slice(pkt.meta, pkt.end), ctx, frags.map((f) => f.page.subarray(0, f.len)));
  } finally {
    pkt.release();
  }
}

/**
 * eth_type_trans on the loopback device. lo's address and its broadcast
 * address are all zeroes, so ff:ff:ff:ff:ff:ff is PACKET_MULTICAST there.
 */
function ethTypeTrans(frame: Uint8Array, mac: number): { protocol: number; pktType: number } {
  const dest = frame.subarray(mac, mac + 6);
  let pktType = 0;
  if (dest.some((b) => b !== 0)) pktType = dest[0] & 1 ? PACKET_MULTICAST : PACKET_OTHERHOST;
  const proto = (frame[mac + 12] << 8) | frame[mac + 13];
  let p: number;
  if (proto >= 0x600) p = proto;
  else p = frame[mac + 14] === 0xff && frame[mac + 15] === 0xff ? ETH_P_802_3 : ETH_P_802_2;
  // skb->protocol is __be16: stored in network order, read back little-endian by the ctx load.
  return { protocol: ((p & 0xff) << 8) | (p >> 8), pktType };
}

/** The range_is_zero checks of convert___skb_to_skb: only these __sk_buff bytes may be set by ctx_in. */
const SKB_CTX_ALLOWED: readonly [number, number][] = [
  [8, 12] /* mark */, [32, 44] /* priority, ingress_ifindex, ifindex */, [48, 68] /* cb */,
  [152, 168] /* tstamp, wire_len, gso_segs */, [176, 180] /* gso_size */, [184, 192] /* hwtstamp */,
];

function testRunSkb(kernel: Kernel, prog: BpfProg, attr: TestRunAttr): TestRunResult {
  if (attr.flags || attr.cpu || attr.batchSize) return err(Errno.EINVAL);
  const size = attr.dataIn?.length ?? 0;
  if (size < ETH_HLEN) return err(Errno.EINVAL);
  if (size > PAGE_SIZE - SKB_HEADROOM - SKB_SHINFO_ROOM) return err(Errno.EINVAL);
  const ctx = ctxInit(attr, SK_BUFF_SIZE);
  if (typeof ctx === 'number') return err(-ctx);
  const isL2 = prog.type === BpfProgType.SCHED_CLS || prog.type === BpfProgType.SCHED_ACT;
  if (ctx && u32at(ctx, 40) > LO_IFINDEX) return err(Errno.ENODEV);

  const frame = new Uint8Array(SKB_HEADROOM + Math.ceil(size / 64) * 64 + SKB_SHINFO_ROOM);
  frame.set(attr.dataIn!, SKB_HEADROOM);
  const pkt = new PacketBuffer(kernel.mem, frame, SKB_HEADROOM, size, `skb test_run packet (${size} bytes)`);
  try {
    const mac = SKB_HEADROOM;
    const { protocol, pktType } = ethTypeTrans(frame, mac);
    pkt.data = pkt.meta = mac + ETH_HLEN;
    const net = pkt.data;
    const proto = ((protocol & 0xff) << 8) | (protocol >> 8);
    const sk = { family: 0, remoteIp4: 0, localIp4: 0, remoteIp6: [0, 0, 0, 0], localIp6: [0, 0, 0, 0], remotePort: 0, localPort: 0 };
    // The kernel refuses an IPv4/IPv6 frame too short for its network header.
    if ((proto === ETH_P_IP && pkt.len < 20) || (proto === ETH_P_IPV6 && pkt.len < 40)) return err(Errno.EINVAL);
    if (proto === ETH_P_IP) {
      sk.family = AF_INET;
      {
        sk.localIp4 = u32at(frame, net + 12);
        sk.remoteIp4 = u32at(frame, net + 16);
      }
    } else if (proto === ETH_P_IPV6) {
      sk.family = AF_INET6;
      {
        for (let i = 0; i < 4; i++) {
          sk.localIp6[i] = u32at(frame, net + 8 + i * 4);
          sk.remoteIp6[i] = u32at(frame, net + 24 + i * 4);
        }
      }
    }
    if (isL2) pkt.data = pkt.meta = mac;
    const skb: SkBuff = {
      pkt, macHeader: mac, networkHeader: net, pktType, mark: 0, queueMapping: 0, protocol, vlanPresent: 0, vlanTci: 0, vlanProto: 0,
      priority: 0, ingressIfindex: 0, ifindex: LO_IFINDEX, tcIndex: 0, cb: new Uint8Array(CB_LEN), hash: 0, tcClassid: 0, napiId: 0,
      sk, tstamp: 0n, wireLen: 0, gsoSegs: 0, gsoSize: 0, tstampType: 0, hwtstamp: 0n,
    };
    if (ctx) {
      for (let i = 0; i < SK_BUFF_SIZE; i++) {
        if (ctx[i] && !SKB_CTX_ALLOWED.some(([a, b]) => i >= a && i < b)) return err(Errno.EINVAL);
      }
      skb.mark = u32at(ctx, 8);
      skb.priority = u32at(ctx, 32);
      skb.ingressIfindex = u32at(ctx, 36);
      skb.tstamp = readLE(ctx, 152, 8);
      skb.cb.set(ctx.subarray(48, 68));
      // qdisc_skb_cb->pkt_len is set only when a ctx is given (it stays 0 otherwise).
      skb.wireLen = pkt.len;
      const wire = u32at(ctx, 160);
      if (wire) {
        if (wire < pkt.len || wire > GSO_LEGACY_MAX_SIZE) return err(Errno.EINVAL);
        skb.wireLen = wire;
      }
      const segs = u32at(ctx, 164);
      if (segs > GSO_MAX_SEGS) return err(Errno.EINVAL);
      skb.gsoSegs = segs;
      skb.gsoSize = u32at(ctx, 176);
      skb.hwtstamp = readLE(ctx, 184, 8);
    }
    const layout = skBuffLayout(skb);
    const o = runProgram(kernel, prog, { ctx: { layout, bytes: new Uint8Array(SK_BUFF_SIZE) }, skb, repeat: attr.repeat }, 'test_run');
    if (!isL2) {
      // The kernel pushes the link-layer header back, zeroed.
      const moved = pkt.expand(ETH_HLEN, 0);
      skb.macHeader += moved;
      skb.networkHeader += moved;
      pkt.data -= ETH_HLEN;
      pkt.frame.fill(0, pkt.data, pkt.data + ETH_HLEN);
    }
    if (ctx) {
      writeLE(ctx, 8, 4, BigInt(skb.mark >>> 0));
      writeLE(ctx, 32, 4, BigInt(skb.priority >>> 0));
      writeLE(ctx, 36, 4, BigInt(skb.ingressIfindex >>> 0));
      writeLE(ctx, 40, 4, BigInt(skb.ifindex));
      writeLE(ctx, 152, 8, skb.tstamp);
      ctx.set(skb.cb, 48);
      writeLE(ctx, 160, 4, BigInt(skb.wireLen >>> 0));
      writeLE(ctx, 164, 4, BigInt(skb.gsoSegs >>> 0));
      writeLE(ctx, 184, 8, skb.hwtstamp);
    }
    return finish(attr, runResult(o), pkt.slice(pkt.data, pkt.end), ctx);
  } finally {
    pkt.release();
  }
}

function testRunRawTp(kernel: Kernel, prog: BpfProg, attr: TestRunAttr): TestRunResult {
  const ctxSize = attr.ctxIn?.length ?? 0;
  if (attr.dataIn || attr.dataSizeOut !== undefined || attr.ctxSizeOut !== undefined || attr.repeat || attr.batchSize) return err(Errno.EINVAL);
  if (ctxSize > MAX_BPF_FUNC_ARGS * 8) return err(Errno.EINVAL);
  const flags = attr.flags ?? 0;
  if (flags & ~BPF_F_TEST_RUN_ON_CPU) return err(Errno.EINVAL);
  const cpu = attr.cpu ?? 0;
  if (!(flags & BPF_F_TEST_RUN_ON_CPU) && cpu !== 0) return err(Errno.EINVAL);
  if (flags & BPF_F_TEST_RUN_ON_CPU && cpu >= kernel.sched.cpus) return err(Errno.ENXIO);
  const bytes = new Uint8Array(ctxSize);
  if (attr.ctxIn) bytes.set(attr.ctxIn);
  const o = runProgram(kernel, prog, { ctx: { bytes, writable: false, struct: 'bpf_raw_tracepoint_args' }, cpu: flags & BPF_F_TEST_RUN_ON_CPU ? cpu : undefined }, 'test_run');
  const r = runResult(o);
  r.duration = 0; // raw_tp test runs do not report a duration
  return r;
}

function testRunSyscall(kernel: Kernel, prog: BpfProg, attr: TestRunAttr): TestRunResult {
  const ctxSize = attr.ctxIn?.length ?? 0;
  if (attr.dataIn || attr.dataSizeOut !== undefined || attr.ctxSizeOut !== undefined || attr.repeat || attr.flags) return err(Errno.EINVAL);
  if (ctxSize > 0xffff) return err(Errno.EINVAL);
  const bytes = new Uint8Array(ctxSize);
  if (attr.ctxIn) bytes.set(attr.ctxIn);
  const o = runProgram(kernel, prog, { ctx: { bytes, struct: 'syscall ctx' } }, 'test_run');
  const r = runResult(o);
  r.duration = 0;
  // The kernel copies the context back over ctx_in.
  if (ctxSize) {
    r.ctxOut = bytes;
    r.ctxSizeOut = ctxSize;
  }
  return r;
}

type TestRunner = (kernel: Kernel, prog: BpfProg, attr: TestRunAttr) => TestRunResult;

/** Program types with a test_run, as bpf_prog_ops tables give them (bpfsim's subset). */
const TEST_RUNNERS: Readonly<Record<number, TestRunner>> = {
  [BpfProgType.XDP]: testRunXdp,
  [BpfProgType.SOCKET_FILTER]: testRunSkb,
  [BpfProgType.SCHED_CLS]: testRunSkb,
  [BpfProgType.SCHED_ACT]: testRunSkb,
  [BpfProgType.CGROUP_SKB]: testRunSkb,
  [BpfProgType.LWT_IN]: testRunSkb,
  [BpfProgType.LWT_OUT]: testRunSkb,
  [BpfProgType.LWT_XMIT]: testRunSkb,
  [BpfProgType.RAW_TRACEPOINT]: testRunRawTp,
  [BpfProgType.SYSCALL]: testRunSyscall,
};

/** True when BPF_PROG_TEST_RUN supports programs of this type (else it is ENOTSUPP). */
export const hasTestRun = (progType: number): boolean => progType in TEST_RUNNERS;

export function progTestRun(kernel: Kernel, prog: BpfProg, attr: TestRunAttr): TestRunResult {
  const runner = TEST_RUNNERS[prog.type];
  if (!runner) return err(Errno.ENOTSUPP);
  // bpf_prog_test_run: ctx_size_in / ctx_size_out need their buffers and vice versa (TS attrs carry both at once).
  return runner(kernel, prog, attr);
}
