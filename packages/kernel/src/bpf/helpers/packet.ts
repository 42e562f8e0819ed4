/**
 * Packet helpers of xdp, tc (sched_cls/sched_act) and socket filters: byte
 * loads/stores, checksum fix-ups, xdp head/tail/meta adjustment, and redirects
 * (recorded as effects: bpfsim has no devices to send to yet).
 */
import { Errno } from '@bpfsim/uapi';
import type { SkBuff } from '../ctx/skb';
import { XDP_FRAME_SIZE, xdpBuffLen, xdpSpans, type XdpBuff } from '../ctx/xdp';
import { csumPartial, csumReplace, csumReplaceByDiff, csumSub } from './csum';
import { mapAt } from './mem';
import { clearHash } from './skb-resize';
import { neg, type HelperArea, type RunEnv } from './types';

const ETH_HLEN = 14;
const INT_MAX = 0x7fffffff;
const BPF_F_RECOMPUTE_CSUM = 1n, BPF_F_INVALIDATE_HASH = 2n;
const BPF_F_HDR_FIELD_MASK = 0xfn, BPF_F_PSEUDO_HDR = 0x10n, BPF_F_MARK_MANGLED_0 = 0x20n, BPF_F_MARK_ENFORCE = 0x40n, BPF_F_IPV6 = 0x80n;
const BPF_F_INGRESS = 1n;
const XDP_ABORTED = 0n, XDP_REDIRECT = 4n, TC_ACT_SHOT = 2n, TC_ACT_REDIRECT = 7n;
const BPF_F_ACTION_MASK = 3n, BPF_F_BROADCAST = 8n, BPF_F_EXCLUDE_INGRESS = 16n;
/** The diff scratch of bpf_csum_diff: 128 __be32. */
const CSUM_DIFF_MAX = 512;
const CSUM_MANGLED_0 = 0xffff;

function skbOf(env: RunEnv): SkBuff {
  if (!env.skb) throw new TypeError(`helper needs an skb context (program type ${env.prog.type})`);
  return env.skb;
}

/** skb_header_pointer from skb->data: frame offset of [off, off+len) or -1 when outside the packet. */
function skbRange(s: SkBuff, off: bigint, len: number): number {
  if (off > BigInt(INT_MAX) || off < 0n) return -1;
  const o = Number(off);
  return o + len <= s.pkt.len ? s.pkt.data + o : -1;
}

const le16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const put16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = v & 0xff;
  b[o + 1] = (v >> 8) & 0xff;
};

/** A redirect a program asked for: a trace record, and what the packet path reads (bpf.lastRedirect). */
export function recordRedirect(env: RunEnv, helper: string, target: string, flags: bigint): void {
  env.kernel.trace.emit({
    kind: 'redirect', t: env.kernel.clock.monotonicNs.toString(), cpu: env.cpu, prog: env.prog.label, helper, target, flags: flags.toString(),
  });
  env.kernel.bpf.lastRedirect = { helper, target, flags };
}

/** PAGE_SIZE: the test-run receive queue's frag_size (room of each fragment page). */
const FRAG_SIZE = 4096;

/** bpf_xdp_frags_shrink_tail / bpf_xdp_frags_increase_tail */
function adjustFragsTail(x: XdpBuff, off: number): bigint {
  if (off < 0) {
    let shrink = -off;
    if (shrink > xdpBuffLen(x) - ETH_HLEN) return neg(Errno.EINVAL);
    while (shrink > 0 && x.frags.length) {
      const f = x.frags[x.frags.length - 1];
      const cut = Math.min(shrink, f.len);
      f.len -= cut;
      shrink -= cut;
      if (f.len === 0) x.frags.pop();
    }
    if (shrink > 0) x.pkt.end -= shrink;
    return 0n;
  }
  const last = x.frags[x.frags.length - 1];
  if (off > FRAG_SIZE - last.len) return neg(Errno.EINVAL);
  last.page.fill(0, last.len, last.len + off);
  last.len += off;
  return 0n;
}

export const packetHelpers: HelperArea = {
  bpf_skb_load_bytes(env, call, _skb, off, to, len) {
    const s = skbOf(env);
    const n = Number(len & 0xffffffffn);
    const at = skbRange(s, off, n);
    if (at < 0) {
      call.mem.write(to, new Uint8Array(n));
      return neg(Errno.EFAULT);
    }
    call.mem.write(to, s.pkt.slice(at, at + n));
    return 0n;
  },
  bpf_skb_load_bytes_relative(env, call, _skb, off, to, len, start) {
    const s = skbOf(env);
    const n = Number(len & 0xffffffffn);
    const fail = (): bigint => {
      call.mem.write(to, new Uint8Array(n));
      return neg(Errno.EFAULT);
    };
    if (off > BigInt(INT_MAX)) return fail();
    let base: number;
    if (start === 0n) base = s.macHeader;
    else if (start === 1n) base = s.networkHeader;
    else return fail();
    const from = base + Number(off);
    // The kernel checks the range against [mac header, tail] of the linear data.
    if (from < s.macHeader || from + n > s.pkt.end) return fail();
    call.mem.write(to, s.pkt.slice(from, from + n));
    return 0n;
  },
  bpf_skb_store_bytes(env, call, _skb, off, from, len, flags) {
    const s = skbOf(env);
    if (flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) return neg(Errno.EINVAL);
    if (off > BigInt(INT_MAX)) return neg(Errno.EFAULT);
    const n = Number(len & 0xffffffffn);
    const at = skbRange(s, off, n);
    if (at < 0) return neg(Errno.EFAULT);
    s.pkt.frame.set(call.mem.read(from, n), at);
    if (flags & BPF_F_INVALIDATE_HASH) clearHash(s);
    return 0n;
  },
  bpf_l3_csum_replace(env, _call, _skb, off, from, to, flags) {
    const s = skbOf(env);
    if (flags & ~BPF_F_HDR_FIELD_MASK) return neg(Errno.EINVAL);
    if (off > 0xffffn || off & 1n) return neg(Errno.EFAULT);
    const at = skbRange(s, off, 2);
    if (at < 0) return neg(Errno.EFAULT);
    const f = s.pkt.frame;
    const sum = le16(f, at);
    const fromV = Number(from & 0xffffffffn), toV = Number(to & 0xffffffffn);
    switch (flags & BPF_F_HDR_FIELD_MASK) {
      case 0n:
        if (from !== 0n) return neg(Errno.EINVAL);
        put16(f, at, csumReplaceByDiff(sum, toV));
        break;
      case 2n:
        put16(f, at, csumReplace(sum, fromV & 0xffff, toV & 0xffff));
        break;
      case 4n:
        put16(f, at, csumReplace(sum, fromV, toV));
        break;
      default:
        return neg(Errno.EINVAL);
    }
    return 0n;
  },
  bpf_l4_csum_replace(env, _call, _skb, off, from, to, flags) {
    const s = skbOf(env);
    if (flags & ~(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6)) return neg(Errno.EINVAL);
    if (off > 0xffffn || off & 1n) return neg(Errno.EFAULT);
    const at = skbRange(s, off, 2);
    if (at < 0) return neg(Errno.EFAULT);
    const f = s.pkt.frame;
    const isMmzero = (flags & BPF_F_MARK_MANGLED_0) !== 0n;
    const doMforce = (flags & BPF_F_MARK_ENFORCE) !== 0n;
    let sum = le16(f, at);
    if (isMmzero && !doMforce && sum === 0) return 0n;
    const fromV = Number(from & 0xffffffffn), toV = Number(to & 0xffffffffn);
    // A test-run or received skb is CHECKSUM_NONE: the pseudo-header flag changes nothing then.
    switch (flags & BPF_F_HDR_FIELD_MASK) {
      case 0n:
        if (from !== 0n) return neg(Errno.EINVAL);
        sum = csumReplaceByDiff(sum, toV);
        break;
      case 2n:
        sum = csumReplace(sum, fromV & 0xffff, toV & 0xffff);
        break;
      case 4n:
        sum = csumReplace(sum, fromV, toV);
        break;
      default:
        return neg(Errno.EINVAL);
    }
    if (isMmzero && sum === 0) sum = CSUM_MANGLED_0;
    put16(f, at, sum);
    return 0n;
  },
  bpf_csum_diff(_env, call, from, fromSize, to, toSize, seed) {
    const fs = Number(fromSize & 0xffffffffn), ts = Number(toSize & 0xffffffffn);
    if ((fs | ts) & 3 || fs + ts > CSUM_DIFF_MAX) return neg(Errno.EINVAL);
    const sd = Number(seed & 0xffffffffn);
    const fb = fs ? call.mem.read(from, fs) : new Uint8Array(0);
    const tb = ts ? call.mem.read(to, ts) : new Uint8Array(0);
    let r: number;
    if (fs && ts) r = csumSub(csumPartial(tb, sd), csumPartial(fb, 0));
    else if (ts) r = csumPartial(tb, sd);
    else r = ~csumPartial(fb, ~sd >>> 0) >>> 0;
    return BigInt(r >>> 0);
  },
  bpf_xdp_adjust_head(env, call, _xdp, offset) {
    const x = env.xdp;
    if (!x) return neg(Errno.EINVAL);
    void call;
    const p = x.pkt;
    const off = Number(BigInt.asIntN(32, offset));
    const metalen = p.metaLen;
    const dataStart = XDP_FRAME_SIZE + metalen;
    const data = p.data + off;
    if (data < dataStart || data > p.end - ETH_HLEN) return neg(Errno.EINVAL);
    if (metalen) p.frame.copyWithin(p.meta + off, p.meta, p.meta + metalen);
    p.meta += off;
    p.data = data;
    return 0n;
  },
  bpf_xdp_adjust_meta(env, _call, _xdp, offset) {
    const x = env.xdp;
    if (!x) return neg(Errno.EINVAL);
    const p = x.pkt;
    const meta = p.meta + Number(BigInt.asIntN(32, offset));
    if (meta < XDP_FRAME_SIZE || meta > p.data) return neg(Errno.EINVAL);
    const metalen = p.data - meta;
    // xdp_metalen_invalid: 4-byte aligned and at most skb_shared_info.meta_len's 255.
    if (metalen % 4 || metalen > 255) return neg(Errno.EACCES);
    p.meta = meta;
    return 0n;
  },
  bpf_xdp_adjust_tail(env, _call, _xdp, offset) {
    const x = env.xdp;
    if (!x) return neg(Errno.EINVAL);
    const p = x.pkt;
    const off = Number(BigInt.asIntN(32, offset));
    if (x.frags.length) return adjustFragsTail(x, off);
    const hardEnd = x.frameSz - x.tailroom;
    const end = p.end + off;
    if (end > hardEnd) return neg(Errno.EINVAL);
    if (end < p.data + ETH_HLEN) return neg(Errno.EINVAL);
    // The kernel clears grown bytes: the frame may hold stale data.
    if (off > 0) p.frame.fill(0, p.end, end);
    p.end = end;
    return 0n;
  },
  bpf_xdp_get_buff_len: (env) => BigInt(env.xdp ? xdpBuffLen(env.xdp) : 0),
  bpf_xdp_load_bytes(env, call, _xdp, off, buf, len) {
    const n = Number(len & 0xffffffffn);
    const o = Number(off & 0xffffffffn);
    // bpf_xdp_pointer: EFAULT past 64 KiB, EINVAL past the buffer.
    if (o > 0xffff || n > 0xffff) return neg(Errno.EFAULT);
    const spans = env.xdp && xdpSpans(env.xdp, o, n);
    if (!spans) return neg(Errno.EINVAL);
    const out = new Uint8Array(n);
    let at = 0;
    for (const [arr, start, count] of spans) {
      out.set(arr.subarray(start, start + count), at);
      at += count;
    }
    call.mem.write(buf, out);
    return 0n;
  },
  bpf_xdp_store_bytes(env, call, _xdp, off, buf, len) {
    const n = Number(len & 0xffffffffn);
    const o = Number(off & 0xffffffffn);
    if (o > 0xffff || n > 0xffff) return neg(Errno.EFAULT);
    const spans = env.xdp && xdpSpans(env.xdp, o, n);
    if (!spans) return neg(Errno.EINVAL);
    const src = call.mem.read(buf, n);
    let at = 0;
    for (const [arr, start, count] of spans) {
      arr.set(src.subarray(at, at + count), start);
      at += count;
    }
    return 0n;
  },
  bpf_redirect(env, _call, ifindex, flags) {
    if (env.xdp) {
      if (flags) return XDP_ABORTED;
      recordRedirect(env, 'bpf_redirect', `ifindex:${ifindex & 0xffffffffn}`, flags);
      return XDP_REDIRECT;
    }
    if (flags & ~BPF_F_INGRESS) return TC_ACT_SHOT;
    recordRedirect(env, 'bpf_redirect', `ifindex:${ifindex & 0xffffffffn}`, flags);
    return TC_ACT_REDIRECT;
  },
  bpf_redirect_map(env, call, m, key, flags) {
    if (flags & ~(BPF_F_ACTION_MASK | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)) return XDP_ABORTED;
    const map = mapAt(call.mem, m);
    const k = new Uint8Array(map.keySize);
    new DataView(k.buffer).setUint32(0, Number(key & 0xffffffffn), true);
    const hit = map.lookup(k);
    if (typeof hit === 'number' && !(flags & BPF_F_BROADCAST)) return flags & BPF_F_ACTION_MASK;
    recordRedirect(env, 'bpf_redirect_map', `${map.name || `map#${map.id}`}[${key & 0xffffffffn}]`, flags);
    return XDP_REDIRECT;
  },
  bpf_clone_redirect(env, _call, _skb, ifindex, flags) {
    if (flags & ~BPF_F_INGRESS) return neg(Errno.EINVAL);
    recordRedirect(env, 'bpf_clone_redirect', `ifindex:${ifindex & 0xffffffffn}`, flags);
    // No device: dev_get_by_index_rcu fails in a namespace without it.
    return ifindex === 1n ? 0n : neg(Errno.EINVAL);
  },
};

