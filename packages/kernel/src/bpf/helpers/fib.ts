/**
 * bpf_fib_lookup (net/core/filter.c: bpf_xdp_fib_lookup, bpf_skb_fib_lookup,
 * bpf_ipv4_fib_lookup) answered from the namespace's FIB and ARP table
 * (net/ipv4/fib.ts, net/neighbour.ts): the kernel's BPF_FIB_LKUP_RET_* codes, the
 * fields it writes back (ifindex, rt_metric, the gateway as ipv4_dst, smac/dmac,
 * ipv4_src with BPF_FIB_LOOKUP_SRC, mtu_result), in the same order of checks. The
 * namespace is the packet's (the device the program runs on), or the current task's
 * for BPF_PROG_TEST_RUN. IPv6 lookups are not modelled (-EAFNOSUPPORT, as a kernel
 * without IPv6 answers).
 */
import type { HelperCall } from '@bpfsim/vm';
import type { NetNs } from '../../net/netns';
import { rd32, wr32 } from '../../net/ipv4/inaddr';
import { NeighTable } from '../../net/neighbour';
import type { HelperArea, RunEnv } from './types';
import { neg } from './types';

const SIZE = 64;
const DIRECT = 1, OUTPUT = 2, SKIP_NEIGH = 4, TBID = 8, SRC = 16, MARK = 32;
const MASK = DIRECT | OUTPUT | SKIP_NEIGH | TBID | SRC | MARK;
export const BPF_FIB_LKUP_RET = {
  SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, FWD_DISABLED: 5, UNSUPP_LWT: 6, NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9,
} as const;
const AF_INET = 2, AF_INET6 = 10, EINVAL = 22, ENODEV = 19, EAFNOSUPPORT = 97;
const RT_TABLE_MAIN = 254, RT_TABLE_LOCAL = 255;

/** struct bpf_fib_lookup offsets. */
const O = { family: 0, totLen: 6, ifindex: 8, rtMetric: 12, src: 16, dst: 32, vlanProto: 48, vlanTci: 50, tbid: 48, smac: 52, dmac: 58 } as const;

function nsOf(env: RunEnv): NetNs {
  const net = env.kernel.network;
  return net.packetNs ?? net.currentNs();
}

/** bpf_ipv4_fib_lookup on the 64 bytes of params (changed in place); the BPF_FIB_LKUP_RET_* code or a negative errno. */
export function ipv4FibLookup(ns: NetNs, p: Uint8Array, flags: number, checkMtu: boolean): number {
  const dv = new DataView(p.buffer, p.byteOffset, SIZE);
  const dev = ns.deviceByIndex(dv.getUint32(O.ifindex, true));
  if (!dev) return -ENODEV;
  if (!ns.sysctl.ipForward) return BPF_FIB_LKUP_RET.FWD_DISABLED;
  const daddr = rd32(p, O.dst);
  let table: 'local' | 'main' | undefined;
  if (flags & DIRECT) {
    const id = flags & TBID ? dv.getUint32(O.tbid, true) : RT_TABLE_MAIN;
    if (id !== RT_TABLE_MAIN && id !== RT_TABLE_LOCAL) return BPF_FIB_LKUP_RET.NOT_FWDED;
    table = id === RT_TABLE_MAIN ? 'main' : 'local';
  }
  const r = ns.fib.lookup(daddr, { oif: flags & OUTPUT ? dev.ifindex : 0, table });
  if (!r) return BPF_FIB_LKUP_RET.NOT_FWDED;
  if (r.type === 'blackhole') return BPF_FIB_LKUP_RET.BLACKHOLE;
  if (r.type === 'unreachable') return BPF_FIB_LKUP_RET.UNREACHABLE;
  if (r.type === 'prohibit') return BPF_FIB_LKUP_RET.PROHIBIT;
  if (r.type !== 'unicast') return BPF_FIB_LKUP_RET.NOT_FWDED;
  const out = r.dev!;
  const mtu = out.mtu;
  if (checkMtu && dv.getUint16(O.totLen, true) > mtu) {
    dv.setUint16(O.totLen, mtu, true);
    return BPF_FIB_LKUP_RET.FRAG_NEEDED;
  }
  dv.setUint32(O.rtMetric, r.metric, true);
  dv.setUint32(O.ifindex, out.ifindex, true);
  if (flags & SRC) {
    const src = r.prefsrc || ns.devinet.selectAddr(out, r.saddrFor ?? r.gw);
    if (!src) return BPF_FIB_LKUP_RET.NO_SRC_ADDR;
    wr32(p, O.src, src);
  }
  if (!(flags & SKIP_NEIGH)) {
    if (r.gw) wr32(p, O.dst, r.gw);
    const n = ns.arp.lookup(out, r.gw || daddr);
    if (!NeighTable.valid(n)) return BPF_FIB_LKUP_RET.NO_NEIGH;
    p.set(n.mac, O.dmac);
    p.set(out.mac, O.smac);
  }
  // bpf_fib_set_fwd_params
  dv.setUint16(O.vlanProto, 0, true);
  dv.setUint16(O.vlanTci, 0, true);
  dv.setUint16(O.totLen, mtu, true);
  return BPF_FIB_LKUP_RET.SUCCESS;
}

export const fibHelpers: HelperArea = {
  bpf_fib_lookup(env: RunEnv, call: HelperCall, _ctx, params, plen, flags) {
    if (Number(plen) < SIZE) return neg(EINVAL);
    const f = Number(flags & 0xffffffffn);
    if (f & ~MASK) return neg(EINVAL);
    const p = call.mem.read(params, SIZE);
    const family = p[O.family];
    if (family === AF_INET6) return neg(EAFNOSUPPORT);
    if (family !== AF_INET) return neg(EAFNOSUPPORT);
    const ns = nsOf(env);
    const dv = new DataView(p.buffer, p.byteOffset, SIZE);
    // XDP always checks the MTU; tc only when tot_len is given, else the packet against the device's MTU.
    const checkMtu = !!env.xdp || dv.getUint16(O.totLen, true) !== 0;
    let rc = ipv4FibLookup(ns, p, f, checkMtu);
    if (rc === BPF_FIB_LKUP_RET.SUCCESS && !checkMtu && env.skb) {
      const dev = ns.deviceByIndex(dv.getUint32(O.ifindex, true))!;
      if (env.skb.pkt.len > dev.mtu + 14 + 4) rc = BPF_FIB_LKUP_RET.FRAG_NEEDED;
      dv.setUint16(O.totLen, dev.mtu, true);
    }
    call.mem.write(params, p);
    return BigInt(rc);
  },
};
