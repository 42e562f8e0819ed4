/**
 * The socket syscalls (net/socket.c, net/ipv4/af_inet.c): socket, bind, listen,
 * connect, accept/accept4, getsockname/getpeername, shutdown. AF_INET stream,
 * datagram and raw sockets and AF_PACKET sockets are the network's (src/net), in the
 * caller's net namespace; AF_NETLINK route sockets are sys_socket_netlink.ts's;
 * AF_UNIX and AF_INET6 sockets are descriptors only (connecting to a unix path that
 * does not exist is ENOENT, to one that exists ECONNREFUSED; INET6 connects are
 * ECONNREFUSED). Data: sys_socket_msg.ts; options: sys_socket_opt.ts; poll: sys_socket_poll.ts.
 * Blocking calls sleep as the world's other sleepers do (World.wake retries them when
 * a socket changes).
 */
import { Errno } from '@bpfsim/uapi';
import { AT, File, O } from '../fs/file';
import { Inode, S_IFMT, S_IFSOCK, SuperBlock } from '../fs/inode';
import { BLOCK } from '../kernel/task_struct';
import { i32, fromUser, toUser, type SysCtx, type SysHandler, type SysRet } from './context';
import { lookupAt } from './sys_fs';
import type { World } from '../kernel/world';
import { NetNs } from '../net/netns';
import { AF_INET, AF_PACKET, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, TCP, type Sock } from '../net/sock';
import { UdpSock } from '../net/ipv4/udp';
import { TcpSock } from '../net/ipv4/tcp';
import { RawSock } from '../net/ipv4/raw';
import { PacketSock } from '../net/af_packet';
import { inetAutobind, inetBind } from '../net/ipv4/inet_bind';
import { routeOutput } from '../net/ipv4/ip_output';
import { rd16, rd32, wr16, wr32 } from '../net/ipv4/inaddr';
import { NetlinkSock, NETLINK_ROUTE } from './sys_socket_netlink';
import { sockFileOps } from './sys_socket_msg';
import { inetBindTraced, inetCskAcceptTraced, inetListenTraced, tcpV4ConnectTraced } from '../net/sock_kprobes';

const AF = { UNSPEC: 0, UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17 } as const;
const SOCK = { STREAM: 1, DGRAM: 2, RAW: 3, SEQPACKET: 5, TYPE_MASK: 0xf, CLOEXEC: O.CLOEXEC, NONBLOCK: O.NONBLOCK } as const;
/** sockfs's anonymous device (0:9 on the 6.18 machine the recordings come from). */
export const SOCKFS_DEV = 9;

/** Errnos not in the uapi Errno table (asm-generic/errno.h). */
export const E = {
  EAFNOSUPPORT: 97, EPROTONOSUPPORT: 93, ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95, EADDRINUSE: 98, EADDRNOTAVAIL: 99,
  ENETUNREACH: 101, ECONNRESET: 104, EISCONN: 106, ENOTCONN: 107, ECONNREFUSED: 111, EINPROGRESS: 115, EALREADY: 114,
  EDESTADDRREQ: 89, EMSGSIZE: 90, ENOPROTOOPT: 92, ENOTSOCK: 88,
} as const;
const CAP_NET_BIND_SERVICE = 10, CAP_NET_RAW = 13;

/** What a socket file holds: its protocol socket (absent for descriptor-only families). */
export interface SockFile {
  family: number;
  type: number;
  protocol: number;
  sk?: Sock;
  nl?: NetlinkSock;
}

const sockfs = new WeakMap<World, SuperBlock>();
const files = new WeakMap<File, SockFile>();

/** The socket behind a descriptor: EBADF, ENOTSOCK. */
export function sockFd(c: SysCtx, fd: number): { f: File; s: SockFile } | number {
  const f = c.t.files.get(fd);
  if (!f) return -Errno.EBADF;
  const s = files.get(f);
  if (!s) return (f.inode.mode & S_IFMT) === S_IFSOCK ? { f, s: { family: AF.UNIX, type: SOCK.STREAM, protocol: 0 } } : -E.ENOTSOCK;
  return { f, s };
}

/** The caller's net namespace (the network's view of its nsproxy). */
export function netnsOf(c: SysCtx): NetNs {
  const n = c.t.nsproxy.net;
  if (n instanceof NetNs) return n;
  throw new Error('sys_socket: the task has no network namespace');
}

/** Sleep in `name` until `pass` stops answering BLOCK (sk_wait_event). */
export function sleepOn(c: SysCtx, name: string, pass: () => SysRet): SysRet {
  const r = pass();
  if (r !== BLOCK) return r;
  c.t.state = 'sleeping';
  c.t.blocked = { name, retry: pass };
  return BLOCK;
}

export const isNonblock = (f: File, flags = 0): boolean => (f.flags & O.NONBLOCK) !== 0 || (flags & 0x40) !== 0; // MSG_DONTWAIT

/** A new socket file on sockfs (sock_alloc_file). */
export function newSockFile(c: SysCtx, s: SockFile, flags: number): number {
  let sb = sockfs.get(c.w);
  if (!sb) sockfs.set(c.w, (sb = new SuperBlock(SOCKFS_DEV)));
  const ino = new Inode(sb, S_IFSOCK | 0o777, c.t.cred.fsuid, c.t.cred.fsgid, c.w.clock.monotonicNs);
  const f = new File(ino, O.RDWR | (flags & SOCK.NONBLOCK), undefined, 'socket:');
  files.set(f, s);
  if (s.sk || s.nl) f.ops = sockFileOps(f, s);
  if (s.sk) {
    const net = s.sk.ns.network;
    net.onWake ??= () => c.w.wake();
  }
  return c.t.files.install(f, (flags & SOCK.CLOEXEC) !== 0);
}

/** struct sockaddr_in: the address and port, or a negative errno (EINVAL short, EAFNOSUPPORT another family). */
export function readSockaddrIn(c: SysCtx, ptr: number, len: number, allowUnspec = false): { addr: number; port: number; unspec?: boolean } | number {
  if (len < 2) return -Errno.EINVAL;
  const b = fromUser(c, ptr, Math.min(len, 128));
  if (typeof b === 'number') return b;
  const fam = b[0] | (b[1] << 8);
  if (fam === AF.UNSPEC && allowUnspec) return { addr: 0, port: 0, unspec: true };
  if (len < 16) return -Errno.EINVAL;
  const addr = rd32(b, 4);
  if (fam !== AF.INET) {
    // inet_bind's compatibility game: AF_UNSPEC with INADDR_ANY binds as AF_INET.
    if (!(fam === AF.UNSPEC && addr === 0)) return -E.EAFNOSUPPORT;
  }
  return { addr, port: rd16(b, 2) };
}

export function sockaddrIn(addr: number, port: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = AF.INET;
  wr16(b, 2, port);
  wr32(b, 4, addr);
  return b;
}

/** move_addr_to_user: copy up to *lenPtr bytes of `sa`, then store its full length. */
export function putSockaddr(c: SysCtx, ptr: number, lenPtr: number, sa: Uint8Array): number {
  if (!ptr || !lenPtr) return 0;
  const lb = fromUser(c, lenPtr, 4);
  if (typeof lb === 'number') return lb;
  const len = new DataView(lb.buffer, lb.byteOffset).getInt32(0, true);
  if (len < 0) return -Errno.EINVAL;
  const e = toUser(c, ptr, sa.subarray(0, Math.min(len, sa.length)));
  if (e) return e;
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, sa.length, true);
  return toUser(c, lenPtr, out);
}

function socket(c: SysCtx, a: readonly number[]): number {
  const [domain, typeArg, protoArg] = [a[0], a[1], a[2] | 0];
  if (typeArg & ~(SOCK.TYPE_MASK | SOCK.CLOEXEC | SOCK.NONBLOCK)) return -Errno.EINVAL;
  const type = typeArg & SOCK.TYPE_MASK;
  if (![AF.UNIX, AF.INET, AF.INET6, AF.NETLINK, AF.PACKET].includes(domain as never)) return -E.EAFNOSUPPORT;
  if (![SOCK.STREAM, SOCK.DGRAM, SOCK.RAW, SOCK.SEQPACKET].includes(type as never)) return -Errno.EINVAL;
  const s: SockFile = { family: domain, type, protocol: protoArg };
  if (domain === AF.INET) {
    const ns = netnsOf(c);
    if (type === SOCK_STREAM) {
      if (protoArg !== 0 && protoArg !== IPPROTO_TCP) return -E.EPROTONOSUPPORT;
      s.sk = new TcpSock(ns);
      s.protocol = IPPROTO_TCP;
    } else if (type === SOCK_DGRAM) {
      if (protoArg !== 0 && protoArg !== IPPROTO_UDP) return -E.EPROTONOSUPPORT;
      s.sk = new UdpSock(ns);
      s.protocol = IPPROTO_UDP;
    } else if (type === SOCK_RAW) {
      if (!c.t.cred.capable(CAP_NET_RAW)) return -Errno.EPERM;
      if (protoArg <= 0 || protoArg > 255) return -E.EPROTONOSUPPORT;
      s.sk = new RawSock(ns, protoArg);
    } else return -E.ESOCKTNOSUPPORT;
  } else if (domain === AF.PACKET) {
    if (type !== SOCK_RAW && type !== SOCK_DGRAM) return -E.ESOCKTNOSUPPORT;
    if (!c.t.cred.capable(CAP_NET_RAW)) return -Errno.EPERM;
    // The protocol is an EtherType in network order.
    const p = protoArg & 0xffff;
    s.sk = new PacketSock(netnsOf(c), type, ((p & 0xff) << 8) | (p >> 8));
  } else if (domain === AF.NETLINK && protoArg === NETLINK_ROUTE && (type === SOCK_RAW || type === SOCK_DGRAM)) {
    s.nl = new NetlinkSock(netnsOf(c), c.t.tgid);
  }
  return newSockFile(c, s, typeArg);
}

function bind(c: SysCtx, a: readonly number[]): number {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const { s } = r;
  const len = a[2] | 0;
  if (s.nl) return s.nl.bind(c, a[1], len);
  const sk = s.sk;
  if (!sk) return len < 2 ? -Errno.EINVAL : 0;
  if (sk instanceof PacketSock) {
    if (len < 18) return -Errno.EINVAL;
    const b = fromUser(c, a[1], Math.min(len, 20));
    if (typeof b === 'number') return b;
    if ((b[0] | (b[1] << 8)) !== AF_PACKET) return -Errno.EINVAL;
    const ifindex = new DataView(b.buffer, b.byteOffset).getInt32(4, true);
    if (ifindex && !sk.ns.deviceByIndex(ifindex)) return -Errno.ENODEV;
    const proto = rd16(b, 2);
    if (proto) sk.proto = proto;
    sk.ifindex = ifindex;
    return 0;
  }
  const sa = readSockaddrIn(c, a[1], len);
  if (typeof sa === 'number') return sa;
  if (sk instanceof RawSock) {
    if (sa.addr && !sk.ns.devinet.exists(sa.addr)) return -E.EADDRNOTAVAIL;
    sk.rcvSaddr = sk.saddr = sa.addr;
    return 0;
  }
  return inetBindTraced(sk, sa.addr, sa.port, len, () => inetBind(sk.ns, sk, sa.addr, sa.port, c.t.cred.capable(CAP_NET_BIND_SERVICE)));
}

function listen(c: SysCtx, a: readonly number[]): number {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const sk = r.s.sk;
  if (!sk) return r.s.nl ? -E.EOPNOTSUPP : 0;
  if (!(sk instanceof TcpSock)) return -E.EOPNOTSUPP;
  return inetListenTraced(sk, a[1] | 0, () => sk.listen(a[1] | 0));
}

function connect(c: SysCtx, a: readonly number[]): SysRet {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const { f, s } = r;
  const len = a[2] | 0;
  const sk = s.sk;
  if (!sk) return descriptorConnect(c, s, a[1], len);
  if (sk instanceof PacketSock) return -E.EOPNOTSUPP;
  const sa = readSockaddrIn(c, a[1], len, true);
  if (typeof sa === 'number') return sa;
  if (sk instanceof UdpSock || sk instanceof RawSock) {
    if (sa.unspec) {
      // udp_disconnect
      sk.daddr = sk.dport = 0;
      sk.state = TCP.CLOSE;
      if (!sk.portLocked && sk instanceof UdpSock && !sk.rcvSaddr) sk.saddr = 0;
      return 0;
    }
    const rt = routeOutput(sk.ns, sa.addr || 0x7f000001, sk.bindIfindex);
    if (typeof rt === 'number') return rt;
    if (rt.route.type === 'broadcast' && !sk.broadcast) return -Errno.EACCES;
    if (sk instanceof UdpSock) {
      const e = inetAutobind(sk.ns, sk);
      if (e) return e;
    }
    if (!sk.saddr) sk.saddr = rt.src;
    if (!sk.rcvSaddr && sk instanceof UdpSock) sk.rcvSaddr = sk.saddr;
    sk.daddr = sa.addr || 0x7f000001;
    sk.dport = sa.port;
    sk.state = TCP.ESTABLISHED;
    sk.inetId = sk.ns.network.kernel.rng.stream(`ip_ident:${sk.ns.name}`).below(0x10000);
    return 0;
  }
  const tcp = sk as TcpSock;
  if (sa.unspec) return tcp.state === TCP.CLOSE ? 0 : -Errno.EINVAL;
  const ret = tcpV4ConnectTraced(tcp, sa.addr, sa.port, () => tcp.connect(sa.addr, sa.port));
  if (ret !== -E.EINPROGRESS) return ret;
  if (isNonblock(f)) return ret;
  // inet_wait_for_connect
  const pass = (): SysRet => {
    if (tcp.state === TCP.SYN_SENT || tcp.state === TCP.SYN_RECV) return BLOCK;
    const e = tcp.takeError();
    if (e) return -e;
    return tcp.state === TCP.CLOSE ? -E.ECONNREFUSED : 0;
  };
  return sleepOn(c, 'connect', pass);
}

/** The old descriptor-only answers (unix paths, INET6). */
function descriptorConnect(c: SysCtx, s: SockFile, ptr: number, len: number): number {
  if (s.nl) return 0;
  if (len < 2 || len > 128) return -Errno.EINVAL;
  const b = fromUser(c, ptr, len);
  if (typeof b === 'number') return b;
  const family = b[0] | (b[1] << 8);
  if (family === AF.UNIX) {
    const end = b.indexOf(0, 2);
    const path = Buffer.from(b.subarray(2, end < 0 ? len : end)).toString('utf8');
    if (path === '') return -Errno.EINVAL; // abstract names: not modelled as bound
    const target = lookupAt(c, AT.FDCWD, path, true);
    if (typeof target === 'number') return target;
    return -E.ECONNREFUSED;
  }
  if (family === AF.INET || family === AF.INET6) return -E.ECONNREFUSED;
  return -E.EAFNOSUPPORT;
}

function accept(c: SysCtx, a: readonly number[], flags: number, name: string): SysRet {
  if (flags & ~(SOCK.CLOEXEC | SOCK.NONBLOCK)) return -Errno.EINVAL;
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const { f, s } = r;
  const l = s.sk;
  if (!(l instanceof TcpSock)) return -E.EOPNOTSUPP;
  if (l.state !== TCP.LISTEN) return -Errno.EINVAL;
  const t = c.t;
  const pass = (): SysRet => {
    const child = l.acceptq.length ? inetCskAcceptTraced(l, () => l.acceptq.shift()) : undefined;
    if (!child) {
      if (l.state !== TCP.LISTEN) return -Errno.EINVAL;
      return isNonblock(f) ? -Errno.EAGAIN : BLOCK;
    }
    child.parent = undefined;
    const cc = { w: c.w, t };
    const fd = newSockFile(cc, { family: AF_INET, type: SOCK_STREAM, protocol: IPPROTO_TCP, sk: child }, flags);
    if (fd < 0) {
      child.close();
      return fd;
    }
    const e = putSockaddr(cc, a[1], a[2], sockaddrIn(child.daddr, child.dport));
    return e || fd;
  };
  return sleepOn(c, name, pass);
}

function getname(c: SysCtx, a: readonly number[], peer: boolean): number {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const { s } = r;
  if (s.nl) return peer ? putSockaddr(c, a[1], a[2], s.nl.peerName()) : putSockaddr(c, a[1], a[2], s.nl.sockName());
  const sk = s.sk;
  if (!sk) {
    if (peer) return -E.ENOTCONN;
    const fam = new Uint8Array(s.family === AF.INET6 ? 28 : s.family === AF.UNIX ? 2 : 16);
    fam[0] = s.family;
    return putSockaddr(c, a[1], a[2], fam);
  }
  if (sk instanceof PacketSock) {
    if (peer) return -E.EOPNOTSUPP;
    const b = new Uint8Array(18);
    b[0] = AF_PACKET;
    wr16(b, 2, sk.proto);
    new DataView(b.buffer).setInt32(4, sk.ifindex, true);
    const dev = sk.ns.deviceByIndex(sk.ifindex);
    if (dev) {
      wr16(b, 8, dev.kind === 'loopback' ? 772 : 1);
      b[11] = 6;
      b.set(dev.mac, 12);
    }
    return putSockaddr(c, a[1], a[2], b);
  }
  if (peer) {
    if (!sk.dport || (sk.state === TCP.CLOSE && sk.type === SOCK_STREAM) || sk.state === TCP.SYN_SENT) return -E.ENOTCONN;
    return putSockaddr(c, a[1], a[2], sockaddrIn(sk.daddr, sk.dport));
  }
  return putSockaddr(c, a[1], a[2], sockaddrIn(sk.rcvSaddr || sk.saddr, sk.num));
}

function shutdown(c: SysCtx, a: readonly number[]): number {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const how = a[1] | 0;
  if (how < 0 || how > 2) return -Errno.EINVAL;
  const sk = r.s.sk;
  if (!sk) return -E.ENOTCONN;
  if (sk instanceof TcpSock) return sk.shutdownCall(how);
  // inet_shutdown for datagram sockets: the bits are set even when unconnected (ENOTCONN).
  sk.shutdown |= how + 1;
  sk.wake();
  return sk.state === TCP.CLOSE ? -E.ENOTCONN : 0;
}

export const socketSyscalls: Record<string, SysHandler> = {
  socket,
  bind,
  listen,
  connect,
  accept: (c, a) => accept(c, a, 0, 'accept'),
  accept4: (c, a) => accept(c, a, a[3] | 0, 'accept4'),
  getsockname: (c, a) => getname(c, a, false),
  getpeername: (c, a) => getname(c, a, true),
  shutdown,
};
