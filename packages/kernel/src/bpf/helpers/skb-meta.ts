/**
 * skb helpers that change or report skb state without moving bytes, as
 * net/core/filter.c does them: pkt_type, the flow hash, ECN, the checksum
 * state, pull_data, and the classid/realm of a packet that has no socket
 * and no route (a test run's).
 */
import { Errno } from '@bpfsim/uapi';
import type { Kernel } from '../../kernel/kernel';
import type { SkBuff } from '../ctx/skb';
import { jhash2 } from '../maps/jhash';
import { clearHash, computeDataPointers, P_IP, P_IPV6, P_8021AD, P_8021Q, skbOf } from './skb-resize';
import { neg, type HelperArea } from './types';

const PACKET_OTHERHOST = 3;
const CHECKSUM_NONE = 0, CHECKSUM_UNNECESSARY = 1;
const SKB_MAX_CSUM_LEVEL = 3;
const VLAN_MAX_DEPTH = 8;
const IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_SCTP = 132, IPPROTO_UDPLITE = 136, IPPROTO_DCCP = 33;
const PORT_PROTOS = new Set([IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_UDPLITE, IPPROTO_DCCP]);

/** The flow-hash key: the kernel draws hashrnd at random once per boot; bpfsim from its seed. */
const hashKeys = new WeakMap<Kernel, number>();
function hashRnd(k: Kernel): number {
  let v = hashKeys.get(k);
  if (v === undefined) {
    v = k.rng.stream('hashrnd').u32();
    hashKeys.set(k, v);
  }
  return v;
}

/**
 * __skb_get_hash: a hash of the flow keys (addresses, protocol, ports) the
 * flow dissector finds from the network header. The kernel's value depends on
 * its random boot key, so only its properties carry over: never 0, the same
 * for the same flow, l4_hash when ports were found.
 */
function flowHash(k: Kernel, s: SkBuff): { hash: number; l4: boolean } {
  const f = s.pkt.frame, end = s.pkt.end, n = s.networkHeader;
  const keys = new Uint8Array(40);
  let l4 = false;
  let proto = -1, l4off = -1;
  if (s.protocol === P_IP && n + 20 <= end) {
    const ihl = (f[n] & 0xf) * 4;
    keys.set(f.subarray(n + 12, n + 20), 0);
    proto = f[n + 9];
    const frag = ((f[n + 6] & 0x3f) << 8) | f[n + 7];
    if (ihl >= 20 && frag === 0) l4off = n + ihl;
  } else if (s.protocol === P_IPV6 && n + 40 <= end) {
    keys.set(f.subarray(n + 8, n + 40), 0);
    proto = f[n + 6];
    l4off = n + 40;
  }
  if (proto >= 0) keys[36] = proto;
  if (l4off >= 0 && PORT_PROTOS.has(proto) && l4off + 4 <= end) {
    keys.set(f.subarray(l4off, l4off + 4), 32);
    l4 = true;
  }
  const h = jhash2(keys, hashRnd(k)) >>> 0;
  return { hash: h || 1, l4 };
}

/** vlan_get_protocol: the ethertype under any in-payload VLAN tags, 0 when they run past the packet. */
function protocolSkipVlan(s: SkBuff): number {
  let type = s.protocol;
  if (type !== P_8021Q && type !== P_8021AD) return type;
  const macLen = s.macLen ?? 0;
  let depth = macLen ? macLen - 4 : 14;
  let parse = VLAN_MAX_DEPTH;
  const f = s.pkt.frame;
  do {
    if (depth < 0 || depth + 4 > s.pkt.len || !--parse) return 0;
    const at = s.pkt.data + depth;
    type = f[at + 2] | (f[at + 3] << 8);
    depth += 4;
  } while (type === P_8021Q || type === P_8021AD);
  return type;
}

/** csum16_add on the stored (little-endian read) 16-bit words. */
function csum16Add(csum: number, addend: number): number {
  const res = (csum + addend) & 0xffff;
  return (res + (res < addend ? 1 : 0)) & 0xffff;
}

/** INET_ECN_set_ce through the network header. */
function ecnSetCe(s: SkBuff): number {
  const proto = protocolSkipVlan(s);
  const len = proto === P_IP ? 20 : proto === P_IPV6 ? 40 : 0;
  if (!len || s.pkt.len < len) return 0;
  const f = s.pkt.frame, n = s.networkHeader;
  if (n + len > s.pkt.end) return 0;
  if (proto === P_IP) {
    const ecn = (f[n + 1] + 1) & 3;
    if (!(ecn & 2)) return ecn ? 0 : 1;
    // check += htons(0xFFFB) + htons(ecn), as the kernel adds them.
    const add = (0xfbff + (ecn << 8)) & 0xffff;
    const sum = csum16Add(f[n + 10] | (f[n + 11] << 8), add);
    f[n + 10] = sum & 0xff;
    f[n + 11] = sum >> 8;
    f[n + 1] |= 3;
    return 1;
  }
  const ds = (((f[n] << 8) | f[n + 1]) >> 4) & 0xff;
  if ((ds & 3) === 0) return 0;
  f[n + 1] |= 0x30;
  return 1;
}

export const skbMetaHelpers: HelperArea = {
  bpf_skb_change_type(env, _c, _skb, type) {
    const s = skbOf(env);
    const t = type & 0xffffffffn;
    if (s.pktType > PACKET_OTHERHOST || t > BigInt(PACKET_OTHERHOST)) return neg(Errno.EINVAL);
    s.pktType = Number(t);
    return 0n;
  },
  bpf_skb_pull_data(env, _c, _skb, len) {
    const s = skbOf(env);
    // Linear skbs: pulling up to skb->len succeeds (len 0 means the head length).
    const r = Number(len & 0xffffffffn) <= s.pkt.len ? 0n : neg(Errno.ENOMEM);
    computeDataPointers(s);
    return r;
  },
  bpf_get_hash_recalc(env) {
    const s = skbOf(env);
    if (!s.l4Hash && !s.swHash) {
      const { hash, l4 } = flowHash(env.kernel, s);
      s.hash = hash;
      s.swHash = true;
      s.l4Hash = l4;
    }
    return BigInt(s.hash >>> 0);
  },
  bpf_set_hash_invalid(env) {
    clearHash(skbOf(env));
    return 0n;
  },
  bpf_set_hash(env, _c, _skb, hash) {
    const s = skbOf(env);
    s.hash = Number(hash & 0xffffffffn);
    s.swHash = true;
    s.l4Hash = true;
    return 0n;
  },
  bpf_skb_ecn_set_ce: (env) => BigInt(ecnSetCe(skbOf(env))),
  bpf_csum_update(env) {
    // Only a CHECKSUM_COMPLETE skb takes the update; a test run's never is (bpfsim has no BPF_F_TEST_SKB_CHECKSUM_COMPLETE).
    skbOf(env);
    return neg(Errno.ENOTSUPP);
  },
  bpf_csum_level(env, _c, _skb, level) {
    const s = skbOf(env);
    const summed = s.ipSummed ?? CHECKSUM_NONE;
    const lvl = s.csumLevel ?? 0;
    switch (level) {
      case 0n: // BPF_CSUM_LEVEL_QUERY
        return summed === CHECKSUM_UNNECESSARY ? BigInt(lvl) : neg(Errno.EACCES);
      case 1n: // INC
        if (summed === CHECKSUM_UNNECESSARY) {
          if (lvl < SKB_MAX_CSUM_LEVEL) s.csumLevel = lvl + 1;
        } else if (summed === CHECKSUM_NONE) {
          s.ipSummed = CHECKSUM_UNNECESSARY;
          s.csumLevel = 0;
        }
        return 0n;
      case 2n: // DEC
        if (summed === CHECKSUM_UNNECESSARY) {
          if (lvl === 0) s.ipSummed = CHECKSUM_NONE;
          else s.csumLevel = lvl - 1;
        }
        return 0n;
      case 3n: // RESET
        if (summed === CHECKSUM_UNNECESSARY) {
          s.ipSummed = CHECKSUM_NONE;
          s.csumLevel = 0;
        }
        return 0n;
      default:
        return neg(Errno.EINVAL);
    }
  },
  bpf_skb_get_tunnel_key(env, call, _skb, to, size) {
    // No skb of bpfsim carries tunnel metadata (no tunnel devices, no collect_md):
    // the kernel clears the buffer and says EINVAL then.
    skbOf(env);
    const n = Number(size & 0xffffffffn);
    if (n) call.mem.write(to, new Uint8Array(n));
    return neg(Errno.EINVAL);
  },
  // A test-run skb has no socket and runs outside softirq: current's net_cls classid, 0 on cgroup v2.
  bpf_get_cgroup_classid: () => 0n,
  // dst_tclassid: no route attached.
  bpf_get_route_realm: () => 0n,
};
