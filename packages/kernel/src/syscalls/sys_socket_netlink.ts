/**
 * A NETLINK_ROUTE socket as far as `ip link set DEV up|down` needs one
 * (net/netlink/af_netlink.c, net/core/rtnetlink.c): bind assigns the port id (the
 * process's tgid for its first socket, then numbers from a seeded stream, as
 * netlink_autobind's negative ids), RTM_GETLINK answers with an RTM_NEWLINK
 * message for the device (ifinfomsg plus IFNAME, MTU, ADDRESS, TXQLEN, OPERSTATE
 * attributes: far fewer than the kernel's 1 KiB of them), RTM_NEWLINK changes IFF_UP,
 * and each request asking for it gets an NLMSG_ERROR acknowledgement (capped, as with
 * NETLINK_EXT_ACK). Other messages are answered EOPNOTSUPP.
 */
import { Errno } from '@bpfsim/uapi';
import type { NetNs } from '../net/netns';
import type { NetDevice } from '../net/netdevice';
import { fromUser, type SysCtx } from './context';

export const NETLINK_ROUTE = 0;
const AF_NETLINK = 16;
const NLMSG_ERROR = 2, RTM_NEWLINK = 16, RTM_GETLINK = 18;
const NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_CAPPED = 0x100;
const IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_TXQLEN = 13, IFLA_OPERSTATE = 16;
const IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_LOOPBACK = 0x8, IFF_RUNNING = 0x40, IFF_MULTICAST = 0x1000, IFF_LOWER_UP = 0x10000;

const align4 = (n: number): number => (n + 3) & ~3;

function attr(type: number, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(align4(4 + data.length));
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 4 + data.length, true);
  dv.setUint16(2, type, true);
  b.set(data, 4);
  return b;
}
const u32le = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

function nlmsg(type: number, flags: number, seq: number, pid: number, body: Uint8Array): Uint8Array {
  const b = new Uint8Array(16 + body.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, b.length, true);
  dv.setUint16(4, type, true);
  dv.setUint16(6, flags, true);
  dv.setUint32(8, seq >>> 0, true);
  dv.setUint32(12, pid >>> 0, true);
  b.set(body, 16);
  return b;
}

export class NetlinkSock {
  portid = 0;
  private readonly rxq: Uint8Array[] = [];

  constructor(readonly ns: NetNs, private readonly tgid: number) {}

  /** netlink_bind / netlink_autobind. */
  bind(c: SysCtx, ptr: number, len: number): number {
    if (len < 12) return -Errno.EINVAL;
    const b = fromUser(c, ptr, 12);
    if (typeof b === 'number') return b;
    if ((b[0] | (b[1] << 8)) !== AF_NETLINK) return -Errno.EINVAL;
    const want = new DataView(b.buffer, b.byteOffset).getUint32(4, true);
    this.autobind(want);
    return 0;
  }

  private autobind(want = 0): void {
    if (this.portid) return;
    const used = this.ns.netlinkPorts;
    if (want) this.portid = want;
    else if (!used.has(this.tgid)) this.portid = this.tgid;
    else {
      // netlink_autobind: a negative id from a random start below -4096.
      const rng = this.ns.network.kernel.rng.stream(`netlink_portid:${this.ns.name}`);
      do this.portid = (-4096 - rng.below(0x7fffefff)) >>> 0;
      while (used.has(this.portid));
    }
    used.add(this.portid);
  }

  sockName(): Uint8Array {
    const b = new Uint8Array(12);
    b[0] = AF_NETLINK;
    new DataView(b.buffer).setUint32(4, this.portid, true);
    return b;
  }
  peerName(): Uint8Array {
    const b = new Uint8Array(12);
    b[0] = AF_NETLINK;
    return b;
  }

  close(): void {
    this.ns.netlinkPorts.delete(this.portid);
  }

  /** netlink_sendmsg → rtnetlink_rcv: every message in the buffer, answered in order. */
  send(_c: SysCtx, data: Uint8Array): number {
    this.autobind();
    let off = 0;
    while (off + 16 <= data.length) {
      const dv = new DataView(data.buffer, data.byteOffset + off);
      const len = dv.getUint32(0, true);
      if (len < 16 || off + len > data.length) break;
      this.handle(data.subarray(off, off + len));
      off += align4(len);
    }
    this.ns.network.wakeSleepers();
    return data.length;
  }

  private handle(m: Uint8Array): void {
    const dv = new DataView(m.buffer, m.byteOffset, m.length);
    const type = dv.getUint16(4, true), flags = dv.getUint16(6, true), seq = dv.getUint32(8, true);
    if (!(flags & NLM_F_REQUEST)) return;
    let err = 0;
    if (type === RTM_GETLINK || type === RTM_NEWLINK) {
      const dev = m.length >= 32 ? this.device(m) : undefined;
      if (!dev) err = -Errno.ENODEV;
      else if (type === RTM_GETLINK) {
        this.rxq.push(nlmsg(RTM_NEWLINK, 0, seq, this.portid, this.linkInfo(dev)));
        return;
      } else {
        const ifFlags = dv.getUint32(24, true), change = dv.getUint32(28, true) || 0xffffffff;
        if (change & IFF_UP) dev.setUp((ifFlags & IFF_UP) !== 0);
      }
    } else err = -95; // EOPNOTSUPP
    if (err || flags & NLM_F_ACK) {
      // netlink_ack: the error, then the request (only its header when it succeeded: NLM_F_CAPPED).
      const quote = err ? m : m.subarray(0, 16);
      const body = new Uint8Array(4 + quote.length);
      new DataView(body.buffer).setInt32(0, err, true);
      body.set(quote, 4);
      this.rxq.push(nlmsg(NLMSG_ERROR, err ? 0 : NLM_F_CAPPED, seq, this.portid, body));
    }
  }

  /** The device a link message names: ifi_index, else an IFLA_IFNAME attribute. */
  private device(m: Uint8Array): NetDevice | undefined {
    const dv = new DataView(m.buffer, m.byteOffset, m.length);
    const idx = dv.getInt32(20, true);
    if (idx) return this.ns.deviceByIndex(idx);
    for (let o = 32; o + 4 <= m.length; ) {
      const alen = dv.getUint16(o, true), atype = dv.getUint16(o + 2, true);
      if (alen < 4) break;
      if (atype === IFLA_IFNAME) {
        const raw = m.subarray(o + 4, o + alen);
        const end = raw.indexOf(0);
        const name = Buffer.from(end < 0 ? raw : raw.subarray(0, end)).toString('utf8');
        return this.ns.devices.find((d) => d.name === name);
      }
      o += align4(alen);
    }
    return undefined;
  }

  private linkInfo(dev: NetDevice): Uint8Array {
    const hdr = new Uint8Array(16);
    const dv = new DataView(hdr.buffer);
    dv.setUint16(2, dev.kind === 'loopback' ? 772 : 1, true);
    dv.setInt32(4, dev.ifindex, true);
    const f = (dev.kind === 'loopback' ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST) | (dev.up ? IFF_UP | IFF_RUNNING | IFF_LOWER_UP : 0);
    dv.setUint32(8, f, true);
    const name = new Uint8Array(dev.name.length + 1);
    name.set(Buffer.from(dev.name, 'utf8'));
    const parts = [hdr, attr(IFLA_IFNAME, name), attr(IFLA_TXQLEN, u32le(dev.kind === 'loopback' ? 1000 : 1000)), attr(IFLA_OPERSTATE, Uint8Array.of(dev.up ? (dev.kind === 'loopback' ? 0 : 6) : 2)), attr(IFLA_MTU, u32le(dev.mtu)), attr(IFLA_ADDRESS, dev.mac)];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** netlink_recvmsg: one message per call (MSG_TRUNC gives its full length). */
  recv(max: number, peek: boolean): { data: Uint8Array; full: number; name: Uint8Array } | number {
    const m = this.rxq[0];
    if (!m) return -Errno.EAGAIN;
    if (!peek) this.rxq.shift();
    return { data: m.subarray(0, max), full: m.length, name: this.peerName() };
  }

  poll(): number {
    return 0x4 | (this.rxq.length ? 0x1 : 0);
  }
}
