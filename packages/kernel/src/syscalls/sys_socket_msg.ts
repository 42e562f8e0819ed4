/**
 * Data on sockets (net/socket.c's sendto/recvfrom/sendmsg/recvmsg, and read/write
 * through the socket file's operations): UDP and raw datagrams with their source
 * address, TCP's byte stream (a blocking send sleeps until every byte is queued, a
 * blocking receive until some arrive or the stream ends; SIGPIPE on a stream that
 * cannot send unless MSG_NOSIGNAL), AF_PACKET frames with a sockaddr_ll, netlink
 * messages (sys_socket_netlink.ts). Flags: MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT,
 * MSG_WAITALL, MSG_NOSIGNAL; no ancillary data (msg_controllen comes back 0).
 */
import { Errno } from '@bpfsim/uapi';
import type { File, FileOps } from '../fs/file';
import { SIG } from '../kernel/signal';
import { sendSignal } from '../kernel/signal_send';
import { BLOCK } from '../kernel/task_struct';
import { PacketSock } from '../net/af_packet';
import { RawSock } from '../net/ipv4/raw';
import { TcpSock } from '../net/ipv4/tcp';
import { UdpSock, type Datagram } from '../net/ipv4/udp';
import { AF_PACKET } from '../net/sock';
import { tcpSendmsgTraced } from '../net/sock_kprobes';
import { fromUser, i32, toUser, type SysCtx, type SysHandler, type SysRet } from './context';
import { E, isNonblock, putSockaddr, readSockaddrIn, sleepOn, sockaddrIn, sockFd, type SockFile } from './sys_socket';

const MSG = { PEEK: 0x2, TRUNC: 0x20, DONTWAIT: 0x40, WAITALL: 0x100, NOSIGNAL: 0x4000 } as const;
const MAX_RW = 0x7ffff000;

interface Dest {
  ptr: number;
  len: number;
}

/** Send `data` on the socket (sock_sendmsg). */
function doSend(c: SysCtx, name: string, f: File, s: SockFile, data: Uint8Array, flags: number, dest?: Dest): SysRet {
  if (s.nl) return s.nl.send(c, data);
  const sk = s.sk;
  if (!sk) return -E.ENOTCONN;
  if (sk instanceof TcpSock) {
    let done = 0;
    const t = c.t;
    const pass = (): SysRet => {
      for (;;) {
        const n = sk.send(data.subarray(done));
        if (n === -Errno.EAGAIN) {
          if (isNonblock(f, flags)) return done || -Errno.EAGAIN;
          return BLOCK;
        }
        if (n < 0) {
          if (done) return done;
          if (n === -Errno.EPIPE && !(flags & MSG.NOSIGNAL)) sendSignal(c.w, t, SIG.SIGPIPE, false);
          return n;
        }
        done += n;
        if (done >= data.length) return done;
      }
    };
    if (data.length === 0) return sk.state === 1 || sk.state === 8 ? 0 : -E.ENOTCONN;
    // tcp_sendmsg: its first pass is the call; a sleeping remainder completes in the retries.
    let first = 0 as SysRet;
    tcpSendmsgTraced(sk, data.length, () => {
      first = pass();
      return typeof first === 'number' ? first : 0;
    });
    if (first !== BLOCK) return first;
    c.t.state = 'sleeping';
    c.t.blocked = { name, retry: pass };
    return BLOCK;
  }
  let to: { addr: number; port: number } | undefined;
  if (dest && dest.ptr) {
    if (sk instanceof PacketSock) {
      if (dest.len < 12) return -Errno.EINVAL;
      const b = fromUser(c, dest.ptr, Math.min(dest.len, 20));
      if (typeof b === 'number') return b;
      if ((b[0] | (b[1] << 8)) !== AF_PACKET) return -Errno.EINVAL;
      return sk.send(data, new DataView(b.buffer, b.byteOffset).getInt32(4, true));
    }
    const sa = readSockaddrIn(c, dest.ptr, dest.len);
    if (typeof sa === 'number') return sa;
    to = sa;
  }
  if (sk instanceof PacketSock) return sk.send(data);
  if (sk instanceof UdpSock || sk instanceof RawSock) return sk.sendmsg(data, to);
  return -E.EOPNOTSUPP;
}

interface Recvd {
  data: Uint8Array;
  /** The datagram's full length (MSG_TRUNC). */
  full: number;
  name?: Uint8Array;
}

function packetName(p: { ifindex: number; protocol: number; pktType: number; hatype: number; addr: Uint8Array }): Uint8Array {
  const b = new Uint8Array(18);
  b[0] = AF_PACKET;
  b[2] = p.protocol >> 8;
  b[3] = p.protocol & 0xff;
  new DataView(b.buffer).setInt32(4, p.ifindex, true);
  b[8] = p.hatype & 0xff;
  b[9] = p.hatype >> 8;
  b[10] = p.pktType;
  b[11] = 6;
  b.set(p.addr.subarray(0, 6), 12);
  return b;
}

/** One receive attempt: the bytes, 0-length end of stream, -EAGAIN when nothing is there yet, or an errno. */
function tryRecv(s: SockFile, max: number, flags: number): Recvd | number {
  const peek = (flags & MSG.PEEK) !== 0;
  if (s.nl) return s.nl.recv(max, peek);
  const sk = s.sk;
  if (!sk) return -E.ENOTCONN;
  if (sk instanceof TcpSock) {
    const r = sk.recv(max, peek);
    if (typeof r === 'number') return r;
    return { data: r, full: r.length };
  }
  if (sk instanceof PacketSock) {
    const r = sk.recv(peek);
    if (typeof r === 'number') return r;
    return { data: r.data.subarray(0, max), full: r.data.length, name: packetName(r) };
  }
  const r = (sk as UdpSock | RawSock).recv(peek);
  if (typeof r === 'number') return r;
  const d = r as Datagram;
  return { data: d.data.subarray(0, max), full: d.data.length, name: sockaddrIn(d.saddr, d.sport) };
}

/** Receive into the iovecs `bufs`; the result (bytes or -errno) and what was received. */
function doRecv(c: SysCtx, name: string, f: File, s: SockFile, bufs: { base: number; len: number }[], flags: number, done: (r: Recvd, c: SysCtx) => number): SysRet {
  const total = Math.min(MAX_RW, bufs.reduce((n, b) => n + b.len, 0));
  const t = c.t;
  const stream = s.sk instanceof TcpSock;
  let got: Uint8Array[] = [];
  let gotLen = 0;
  const pass = (): SysRet => {
    const cc = { w: c.w, t };
    for (;;) {
      const r = tryRecv(s, total - gotLen, flags);
      if (typeof r === 'number') {
        if (r === -Errno.EAGAIN) {
          if (gotLen && (!(flags & MSG.WAITALL) || isNonblock(f, flags))) break;
          if (isNonblock(f, flags)) return -Errno.EAGAIN;
          return BLOCK;
        }
        if (gotLen) break;
        return r;
      }
      if (!stream) {
        const e = scatter(cc, bufs, r.data);
        return e || done(r, cc);
      }
      if (r.data.length === 0) break;
      got.push(r.data);
      gotLen += r.data.length;
      if (!(flags & MSG.WAITALL) || gotLen >= total || flags & MSG.PEEK) break;
    }
    const all = new Uint8Array(gotLen);
    let o = 0;
    for (const g of got) {
      all.set(g, o);
      o += g.length;
    }
    got = [];
    const e = scatter(cc, bufs, all);
    return e || done({ data: all, full: all.length }, cc);
  };
  return sleepOn(c, name, pass);
}

function scatter(c: SysCtx, bufs: { base: number; len: number }[], data: Uint8Array): number {
  let o = 0;
  for (const b of bufs) {
    if (o >= data.length) break;
    const n = Math.min(b.len, data.length - o);
    const e = toUser(c, b.base, data.subarray(o, o + n));
    if (e) return e;
    o += n;
  }
  return 0;
}

interface MsgHdr {
  name: number;
  namelen: number;
  iov: { base: number; len: number }[];
  addr: number;
}

/** struct msghdr and its iovecs (x86-64 layout). */
function readMsghdr(c: SysCtx, ptr: number): MsgHdr | number {
  const b = fromUser(c, ptr, 56);
  if (typeof b === 'number') return b;
  const dv = new DataView(b.buffer, b.byteOffset);
  const iovPtr = Number(dv.getBigUint64(16, true));
  const iovlen = Number(dv.getBigUint64(24, true));
  if (iovlen > 1024) return -E.EMSGSIZE;
  const iov: { base: number; len: number }[] = [];
  if (iovlen) {
    const ib = fromUser(c, iovPtr, iovlen * 16);
    if (typeof ib === 'number') return ib;
    const iv = new DataView(ib.buffer, ib.byteOffset);
    for (let i = 0; i < iovlen; i++) {
      const len = Number(iv.getBigUint64(i * 16 + 8, true));
      if (len > MAX_RW) return -Errno.EINVAL;
      iov.push({ base: Number(iv.getBigUint64(i * 16, true)), len });
    }
  }
  return { name: Number(dv.getBigUint64(0, true)), namelen: dv.getInt32(8, true), iov, addr: ptr };
}

function gather(c: SysCtx, iov: { base: number; len: number }[]): Uint8Array | number {
  const parts: Uint8Array[] = [];
  let n = 0;
  for (const v of iov) {
    const b = fromUser(c, v.base, v.len);
    if (typeof b === 'number') return b;
    parts.push(b);
    n += b.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const sendto: SysHandler = (c, a) => {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const len = Math.min(a[2] >>> 0, MAX_RW);
  const data = fromUser(c, a[1], len);
  if (typeof data === 'number') return data;
  return doSend(c, 'sendto', r.f, r.s, data, a[3] | 0, a[4] ? { ptr: a[4], len: a[5] | 0 } : undefined);
};

const recvfrom: SysHandler = (c, a) => {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const flags = a[3] | 0;
  const len = Math.min(a[2] >>> 0, MAX_RW);
  return doRecv(c, 'recvfrom', r.f, r.s, [{ base: a[1], len }], flags, (d, cc) => {
    if (d.name && a[4]) {
      const e = putSockaddr(cc, a[4], a[5], d.name);
      if (e) return e;
    }
    return flags & MSG.TRUNC ? d.full : d.data.length;
  });
};

const sendmsg: SysHandler = (c, a) => {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const m = readMsghdr(c, a[1]);
  if (typeof m === 'number') return m;
  const data = gather(c, m.iov);
  if (typeof data === 'number') return data;
  return doSend(c, 'sendmsg', r.f, r.s, data, a[2] | 0, m.name ? { ptr: m.name, len: m.namelen } : undefined);
};

const recvmsg: SysHandler = (c, a) => {
  const r = sockFd(c, i32(a[0]));
  if (typeof r === 'number') return r;
  const m = readMsghdr(c, a[1]);
  if (typeof m === 'number') return m;
  const flags = a[2] | 0;
  return doRecv(c, 'recvmsg', r.f, r.s, m.iov, flags, (d, cc) => {
    const hdr = new Uint8Array(56);
    const got = fromUser(cc, m.addr, 56);
    if (typeof got === 'number') return got;
    hdr.set(got);
    const dv = new DataView(hdr.buffer);
    let nameLen = 0;
    if (d.name && m.name) {
      nameLen = d.name.length;
      const e = toUser(cc, m.name, d.name.subarray(0, Math.min(d.name.length, Math.max(0, m.namelen))));
      if (e) return e;
    }
    dv.setInt32(8, m.name ? nameLen : m.namelen, true);
    dv.setBigUint64(40, 0n, true); // msg_controllen
    dv.setInt32(48, d.full > d.data.length ? MSG.TRUNC : 0, true);
    const e = toUser(cc, m.addr, hdr);
    if (e) return e;
    return flags & MSG.TRUNC ? d.full : d.data.length;
  });
};

/** The socket file's read/write/release (sock_read_iter, sock_write_iter, sock_close). */
export function sockFileOps(f: File, s: SockFile): FileOps {
  return {
    read: (c, buf, count) => doRecv(c, 'read', f, s, [{ base: buf, len: Math.min(count, MAX_RW) }], 0, (d) => d.data.length),
    write: (c, buf, count) => {
      const data = fromUser(c, buf, Math.min(count, MAX_RW));
      if (typeof data === 'number') return data;
      return doSend(c, 'write', f, s, data, 0);
    },
    release: () => {
      s.sk?.close();
      s.nl?.close();
    },
  };
}

export const socketMsgSyscalls: Record<string, SysHandler> = { sendto, recvfrom, sendmsg, recvmsg };
