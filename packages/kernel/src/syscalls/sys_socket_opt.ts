/**
 * setsockopt/getsockopt (net/core/sock.c sk_setsockopt/sk_getsockopt, ip_sockglue.c,
 * tcp.c) for the common options: SOL_SOCKET's REUSEADDR, REUSEPORT, BROADCAST,
 * KEEPALIVE, SNDBUF/RCVBUF (doubled and clamped as the kernel does), PRIORITY, MARK,
 * LINGER, RCVLOWAT, BINDTODEVICE/BINDTOIFINDEX, the read-only TYPE, PROTOCOL, DOMAIN,
 * ERROR, ACCEPTCONN, COOKIE, and SO_ATTACH_BPF / SO_DETACH_BPF (a socket_filter program
 * by its bpf fd); IPPROTO_IP's TOS and TTL; IPPROTO_TCP's NODELAY, MAXSEG, KEEP*
 * (stored and read back). Others: stored as given when the level is known, else ENOPROTOOPT.
 * SO_ATTACH_FILTER takes a classic BPF program (net/sk_filter_classic.ts).
 */
import { BpfProgType, Errno } from '@bpfsim/uapi';
import { TcpSock } from '../net/ipv4/tcp';
import { parseClassic } from '../net/sk_filter_classic';
import { TCP, type Sock } from '../net/sock';
import { fromUser, i32, toUser, type SysCtx, type SysHandler } from './context';
import { E, sockFd, type SockFile } from './sys_socket';

const SOL_SOCKET = 1, SOL_IP = 0, SOL_TCP = 6, SOL_NETLINK = 270;
const SO = {
  REUSEADDR: 2, TYPE: 3, ERROR: 4, DONTROUTE: 5, BROADCAST: 6, SNDBUF: 7, RCVBUF: 8, KEEPALIVE: 9, OOBINLINE: 10,
  PRIORITY: 12, LINGER: 13, REUSEPORT: 15, RCVLOWAT: 18, SNDLOWAT: 19, BINDTODEVICE: 25, ATTACH_FILTER: 26, DETACH_FILTER: 27,
  ACCEPTCONN: 30, SNDBUFFORCE: 32, RCVBUFFORCE: 33, MARK: 36, PROTOCOL: 38, DOMAIN: 39, ATTACH_BPF: 50, COOKIE: 57, BINDTOIFINDEX: 62,
} as const;
const IP_TOS = 1, IP_TTL = 2, TCP_NODELAY = 1, TCP_MAXSEG = 2;
/** net.core.wmem_max / rmem_max, SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF on x86-64. */
const WMEM_MAX = 212992, RMEM_MAX = 212992, SOCK_MIN_SNDBUF = 4608, SOCK_MIN_RCVBUF = 2304;
const CAP_NET_ADMIN = 12, CAP_NET_RAW = 13;

function intArg(c: SysCtx, ptr: number, len: number): number {
  if (len < 4) return len >= 1 ? (fromUser(c, ptr, 1) as Uint8Array)[0] ?? 0 : 0;
  const b = fromUser(c, ptr, 4);
  if (typeof b === 'number') return b;
  return new DataView(b.buffer, b.byteOffset).getInt32(0, true);
}

function setsockopt(c: SysCtx, a: readonly number[]): number {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const [level, name, ptr, len] = [a[1] | 0, a[2] | 0, a[3], a[4] | 0];
  if (len < 0) return -Errno.EINVAL;
  const { s } = r;
  const sk = s.sk;
  if (!sk) return level === SOL_SOCKET || level === SOL_NETLINK || level === SOL_IP ? (len >= 4 || len === 0 ? 0 : -Errno.EINVAL) : 0;
  if (level === SOL_SOCKET && name === SO.BINDTODEVICE) {
    const b = fromUser(c, ptr, Math.min(len, 16));
    if (typeof b === 'number') return b;
    const end = b.indexOf(0);
    const nm = Buffer.from(end < 0 ? b : b.subarray(0, end)).toString('utf8');
    if (!c.t.cred.capable(CAP_NET_RAW)) return -Errno.EPERM;
    if (!nm) {
      sk.bindIfindex = 0;
      return 0;
    }
    const dev = sk.ns.devices.find((d) => d.name === nm);
    if (!dev) return -Errno.ENODEV;
    sk.bindIfindex = dev.ifindex;
    return 0;
  }
  if (len < 4 && !(level === SOL_SOCKET && name === SO.DETACH_FILTER)) return -Errno.EINVAL;
  const v = intArg(c, ptr, len);
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO.REUSEADDR: sk.reuseaddr = v !== 0; return 0;
      case SO.REUSEPORT: sk.reuseport = v !== 0; return 0;
      case SO.BROADCAST: sk.broadcast = v !== 0; return 0;
      case SO.KEEPALIVE: sk.keepalive = v !== 0; return 0;
      case SO.SNDBUFFORCE: case SO.SNDBUF:
        if (name === SO.SNDBUFFORCE && !c.t.cred.capable(CAP_NET_ADMIN)) return -Errno.EPERM;
        sk.sndbuf = Math.max(Math.min(v >>> 0, name === SO.SNDBUF ? WMEM_MAX : 0x3fffffff) * 2, SOCK_MIN_SNDBUF); sk.wake(); return 0;
      case SO.RCVBUFFORCE: case SO.RCVBUF:
        if (name === SO.RCVBUFFORCE && !c.t.cred.capable(CAP_NET_ADMIN)) return -Errno.EPERM;
        sk.rcvbuf = Math.max(Math.min(v >>> 0, name === SO.RCVBUF ? RMEM_MAX : 0x3fffffff) * 2, SOCK_MIN_RCVBUF); return 0;
      case SO.PRIORITY: if ((v < 0 || v > 6) && !c.t.cred.capable(CAP_NET_ADMIN)) return -Errno.EPERM; sk.priority = v; return 0;
      case SO.MARK: if (!c.t.cred.capable(CAP_NET_ADMIN) && !c.t.cred.capable(CAP_NET_RAW)) return -Errno.EPERM; sk.mark = v >>> 0; return 0;
      case SO.BINDTOIFINDEX:
        if (!c.t.cred.capable(CAP_NET_RAW)) return -Errno.EPERM;
        if (v && !sk.ns.deviceByIndex(v)) return -Errno.ENODEV;
        sk.bindIfindex = v;
        return 0;
      case SO.LINGER: {
        if (len < 8) return -Errno.EINVAL;
        const b = fromUser(c, ptr, 8);
        if (typeof b === 'number') return b;
        const dv = new DataView(b.buffer, b.byteOffset);
        sk.opts.set('SO_LINGER', dv.getInt32(0, true) ? dv.getInt32(4, true) >>> 0 : -1);
        return 0;
      }
      case SO.ATTACH_BPF: {
        const prog = sk.ns.network.kernel.bpf.progByFd(v);
        if (!prog) return -Errno.EBADF;
        if (prog.type !== BpfProgType.SOCKET_FILTER) return -Errno.EINVAL;
        sk.filter = prog;
        sk.classicFilter = undefined;
        return 0;
      }
      case SO.DETACH_FILTER:
        if (!sk.filter && !sk.classicFilter) return -Errno.ENOENT;
        sk.filter = undefined;
        sk.classicFilter = undefined;
        return 0;
      case SO.ATTACH_FILTER: {
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
        if (len < 16) return -Errno.EINVAL;
        const fp = fromUser(c, ptr, 16);
        if (typeof fp === 'number') return fp;
        const dv = new DataView(fp.buffer, fp.byteOffset);
        const n = dv.getUint16(0, true);
        if (n === 0 || n > 4096) return -Errno.EINVAL;
        const insns = fromUser(c, Number(dv.getBigUint64(8, true)), n * 8);
        if (typeof insns === 'number') return insns;
        try {
          sk.classicFilter = parseClassic(insns);
        } catch {
          return -Errno.EINVAL;
        }
        sk.filter = undefined;
        return 0;
      }
      case SO.TYPE: case SO.PROTOCOL: case SO.DOMAIN: case SO.ERROR: case SO.ACCEPTCONN: case SO.COOKIE:
        return -E.ENOPROTOOPT;
      default:
        sk.opts.set(`SOL_SOCKET:${name}`, v);
        return 0;
    }
  }
  if (level === SOL_IP) {
    if (name === IP_TOS) sk.opts.set('IP_TOS', v & 0xff);
    else if (name === IP_TTL) {
      if (v !== -1 && (v < 1 || v > 255)) return -Errno.EINVAL;
      if (v === -1) sk.opts.delete('IP_TTL');
      else sk.opts.set('IP_TTL', v);
    } else sk.opts.set(`SOL_IP:${name}`, v);
    return 0;
  }
  if (level === SOL_TCP) {
    if (!(sk instanceof TcpSock)) return -E.EOPNOTSUPP;
    if (name === TCP_MAXSEG) {
      if (v && (v < 88 || v > 65535 - 40)) return -Errno.EINVAL;
      if (v) sk.mssOwn = Math.min(sk.mssOwn, v);
    }
    sk.opts.set(`SOL_TCP:${name}`, v);
    return 0;
  }
  return -E.ENOPROTOOPT;
}

function getInt(c: SysCtx, ptr: number, lenPtr: number, v: number): number {
  const lb = fromUser(c, lenPtr, 4);
  if (typeof lb === 'number') return lb;
  const len = new DataView(lb.buffer, lb.byteOffset).getInt32(0, true);
  if (len < 0) return -Errno.EINVAL;
  const n = Math.min(len, 4);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  const e = toUser(c, ptr, b.subarray(0, n));
  if (e) return e;
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, n, true);
  return toUser(c, lenPtr, out);
}

function getsockopt(c: SysCtx, a: readonly number[]): number {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const [level, name, ptr, lenPtr] = [a[1] | 0, a[2] | 0, a[3], a[4]];
  const { s } = r;
  const sk: Sock | undefined = s.sk;
  if (level === SOL_SOCKET) {
    const v = sockLevel(s, sk, name);
    if (v === undefined) return -E.ENOPROTOOPT;
    if (name === SO.COOKIE) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
      const e = toUser(c, ptr, b);
      return e || getIntLen(c, lenPtr, 8);
    }
    return getInt(c, ptr, lenPtr, v);
  }
  if (!sk) return -E.ENOPROTOOPT;
  if (level === SOL_IP) {
    if (name === IP_TOS) return getInt(c, ptr, lenPtr, sk.opts.get('IP_TOS') ?? 0);
    if (name === IP_TTL) return getInt(c, ptr, lenPtr, sk.opts.get('IP_TTL') ?? sk.ns.sysctl.ipDefaultTtl);
    return getInt(c, ptr, lenPtr, sk.opts.get(`SOL_IP:${name}`) ?? 0);
  }
  if (level === SOL_TCP) {
    if (!(sk instanceof TcpSock)) return -E.EOPNOTSUPP;
    if (name === TCP_MAXSEG) return getInt(c, ptr, lenPtr, sk.state === TCP.ESTABLISHED ? Math.min(sk.mssPeer, sk.mssOwn) : 536);
    if (name === TCP_NODELAY) return getInt(c, ptr, lenPtr, sk.opts.get(`SOL_TCP:${name}`) ? 1 : 0);
    return getInt(c, ptr, lenPtr, sk.opts.get(`SOL_TCP:${name}`) ?? 0);
  }
  return -E.ENOPROTOOPT;
}

function getIntLen(c: SysCtx, lenPtr: number, n: number): number {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, n, true);
  return toUser(c, lenPtr, out);
}

function sockLevel(s: SockFile, sk: Sock | undefined, name: number): number | undefined {
  switch (name) {
    case SO.TYPE: return s.type;
    case SO.PROTOCOL: return s.protocol;
    case SO.DOMAIN: return s.family;
    case SO.ERROR: return sk ? sk.takeError() : 0;
    case SO.ACCEPTCONN: return sk?.state === TCP.LISTEN ? 1 : 0;
  }
  if (!sk) return name === SO.SNDBUF || name === SO.RCVBUF ? 212992 : undefined;
  switch (name) {
    case SO.REUSEADDR: return sk.reuseaddr ? 1 : 0;
    case SO.REUSEPORT: return sk.reuseport ? 1 : 0;
    case SO.BROADCAST: return sk.broadcast ? 1 : 0;
    case SO.KEEPALIVE: return sk.keepalive ? 1 : 0;
    case SO.SNDBUF: return sk.sndbuf;
    case SO.RCVBUF: return sk.rcvbuf;
    case SO.PRIORITY: return sk.priority;
    case SO.MARK: return sk.mark;
    case SO.BINDTOIFINDEX: return sk.bindIfindex;
    case SO.RCVLOWAT: return sk.opts.get(`SOL_SOCKET:${name}`) ?? 1;
    case SO.COOKIE: return sk.cookie;
    default: return sk.opts.get(`SOL_SOCKET:${name}`) ?? 0;
  }
}

export const socketOptSyscalls: Record<string, SysHandler> = { setsockopt, getsockopt };
