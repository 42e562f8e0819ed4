/**
 * struct sock as the model needs it (include/net/sock.h, net/core/sock.c): the
 * addresses and ports of __sk_common, the state (TCP_* numbering, which UDP uses
 * too: TCP_CLOSE, TCP_ESTABLISHED once connected), the error to report (sk_err),
 * shutdown bits, the common socket options, the attached socket filter, and the
 * way a sleeping syscall hears of a change (the network's wake-up).
 */
import type { BpfProg } from '../bpf/prog';
import type { NetNs } from './netns';
import type { ClassicInsn } from './sk_filter_classic';

/** include/net/tcp_states.h */
export const TCP = {
  ESTABLISHED: 1, SYN_SENT: 2, SYN_RECV: 3, FIN_WAIT1: 4, FIN_WAIT2: 5, TIME_WAIT: 6, CLOSE: 7,
  CLOSE_WAIT: 8, LAST_ACK: 9, LISTEN: 10, CLOSING: 11, NEW_SYN_RECV: 12,
} as const;
export const TCP_STATE_NAMES: Record<number, string> = {
  1: 'TCP_ESTABLISHED', 2: 'TCP_SYN_SENT', 3: 'TCP_SYN_RECV', 4: 'TCP_FIN_WAIT1', 5: 'TCP_FIN_WAIT2', 6: 'TCP_TIME_WAIT',
  7: 'TCP_CLOSE', 8: 'TCP_CLOSE_WAIT', 9: 'TCP_LAST_ACK', 10: 'TCP_LISTEN', 11: 'TCP_CLOSING', 12: 'TCP_NEW_SYN_RECV',
};
export const RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2;
export const AF_INET = 2, AF_INET6 = 10, AF_PACKET = 17;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3;
export const IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17;

/** net.core.rmem_default / wmem_default (212992) for datagram sockets; tcp_rmem[1] / tcp_wmem[1] for TCP. */
export const RMEM_DEFAULT = 212992, WMEM_DEFAULT = 212992, TCP_RMEM_DEFAULT = 131072, TCP_WMEM_DEFAULT = 16384;

export abstract class Sock {
  /** sock_gen_cookie: numbered per network in creation order. */
  readonly cookie: number;
  state: number = TCP.CLOSE;
  /** skc_rcv_saddr (bound address), skc_num (local port, host order), skc_daddr, skc_dport (host order here). */
  rcvSaddr = 0;
  num = 0;
  daddr = 0;
  dport = 0;
  /** inet_saddr: the source address used (set by connect/autobind). */
  saddr = 0;
  /** sk_err: reported once by the next call (sock_error). */
  err = 0;
  shutdown = 0;
  reuseaddr = false;
  reuseport = false;
  broadcast = false;
  keepalive = false;
  /** The user chose the port (SOCK_BINDPORT_LOCK). */
  portLocked = false;
  rcvbuf: number;
  sndbuf: number;
  bindIfindex = 0;
  mark = 0;
  priority = 0;
  /** SO_ATTACH_BPF (a socket_filter program) or SO_ATTACH_FILTER (classic BPF): one at a time, the last attached. */
  filter: BpfProg | undefined;
  classicFilter: readonly ClassicInsn[] | undefined;
  /** inet_id: IP ids of DF packets of a connected socket. */
  inetId = 0;
  /** Other options set and read back as stored (SO_LINGER's value, TCP_NODELAY, ...). */
  readonly opts = new Map<string, number>();
  /** Closed by the user (no file refers to it). */
  orphan = false;
  /** The kernel-memory mirror's address (sock_objects.ts), once made. */
  kaddr: bigint | undefined;

  constructor(readonly ns: NetNs, readonly family: number, readonly type: number, readonly protocol: number, rcvbuf = RMEM_DEFAULT, sndbuf = WMEM_DEFAULT) {
    this.cookie = ns.network.nextSockCookie();
    this.rcvbuf = rcvbuf;
    this.sndbuf = sndbuf;
  }

  /** Something a sleeper may wait for changed (sk_data_ready, sk_state_change, sk_write_space). */
  wake(): void {
    this.ns.network.wakeSleepers();
  }

  /** sock_error: the pending error, cleared. */
  takeError(): number {
    const e = this.err;
    this.err = 0;
    return e;
  }

  /** The last descriptor went (sock_close → the protocol's close). */
  abstract close(): void;
  /** poll's answer bits (EPOLLIN/OUT/ERR/HUP...). */
  abstract poll(): number;
}

export const POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLRDNORM = 0x40, POLLWRNORM = 0x100, POLLRDHUP = 0x2000;

/** A byte FIFO (a stream socket's receive or send queue). */
export class ByteQueue {
  private buf = new Uint8Array(1024);
  private head = 0;
  len = 0;
  push(d: Uint8Array): void {
    if (this.head + this.len + d.length > this.buf.length) {
      const n = new Uint8Array(Math.max(this.buf.length * 2, this.len + d.length + 1024));
      n.set(this.buf.subarray(this.head, this.head + this.len));
      this.buf = n;
      this.head = 0;
    }
    this.buf.set(d, this.head + this.len);
    this.len += d.length;
  }
  /** The first n bytes (kept). */
  peek(n: number, from = 0): Uint8Array {
    const s = Math.min(from, this.len), e = Math.min(this.len, from + n);
    return this.buf.slice(this.head + s, this.head + e);
  }
  take(n: number): Uint8Array {
    const out = this.peek(n);
    this.head += out.length;
    this.len -= out.length;
    if (this.len === 0) this.head = 0;
    return out;
  }
  drop(n: number): void {
    this.take(n);
  }
}
