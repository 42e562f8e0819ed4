/**
 * net/ipv4/tcp.c, tcp_ipv4.c's connect and af_inet's listen/accept: the TCP socket
 * and what user calls do to it. Every state change goes through setState
 * (tcp_set_state), which fires sock:inet_sock_set_state. Initial sequence numbers
 * come from the namespace's seeded "tcp_isn:<ns>" stream (the kernel hashes the
 * 4-tuple with a secret and adds a clock). No retransmission timer: the model's
 * links do not lose packets (a packet dropped on the way is lost for good; the
 * connection waits), and TIME_WAIT ends when the clock passes 60 s after it began
 * (checked whenever the socket is looked up).
 */
import type { NetNs } from '../netns';
import { AF_INET, ByteQueue, IPPROTO_TCP, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM, RCV_SHUTDOWN, SEND_SHUTDOWN, SOCK_STREAM, Sock, TCP, TCP_RMEM_DEFAULT, TCP_WMEM_DEFAULT } from '../sock';
import { sockSetStateEvent, tcpDestroyEvent } from '../sock_trace';
import { tcpCleanupRbufTraced, tcpCloseTraced, tcpSetStateTraced } from '../sock_kprobes';
import { pickPort } from './inet_bind';
import { routeOutput } from './ip_output';
import { TH, tcpTransmit } from './tcp_output';

const EISCONN = 106, EALREADY = 114, EINPROGRESS = 115, EINVAL = 22, EAGAIN = 11, EPIPE = 32, ENOTCONN = 107, EADDRNOTAVAIL = 99;

/** A connection request waiting for the handshake's last ACK (a request_sock in TCP_NEW_SYN_RECV). */
export interface TcpRequest {
  laddr: number;
  lport: number;
  raddr: number;
  rport: number;
  iss: number;
  irs: number;
  mss: number;
  window: number;
}

export class TcpSock extends Sock {
  // Send side: sndUna ≤ sndNxt; sndq holds the bytes from sndUna on (sent-unacknowledged, then unsent).
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  sndWnd = 0;
  readonly sndq = new ByteQueue();
  /** A FIN is to follow the queued data / has been sent (its sequence number). */
  finQueued = false;
  finSeq: number | undefined;
  // Receive side.
  irs = 0;
  rcvNxt = 0;
  readonly rcvq = new ByteQueue();
  /** The peer's FIN arrived. */
  finRcvd = false;
  /** The window last advertised (to send an update when reading reopens it). */
  lastWnd = 0;
  /** The peer's MSS and ours. */
  mssPeer = 536;
  mssOwn = 1460;
  // Listening.
  backlog = 0;
  readonly acceptq: TcpSock[] = [];
  readonly synq = new Map<string, TcpRequest>();
  /** The listener a child waits on until accepted. */
  parent: TcpSock | undefined;
  twDeadline = 0n;
  segsOut = 0;
  segsIn = 0;
  constructor(ns: NetNs) {
    super(ns, AF_INET, SOCK_STREAM, IPPROTO_TCP, TCP_RMEM_DEFAULT, TCP_WMEM_DEFAULT);
  }

  /** tcp_set_state (inet_sk_set_state for the first): the tracepoint, then the change. */
  setState(s: number): void {
    if (s === this.state) return;
    tcpSetStateTraced(this, s, () => this.changeState(s));
  }

  private changeState(s: number): void {
    sockSetStateEvent(this, this.state, s);
    const old = this.state;
    this.state = s;
    if (s === TCP.CLOSE) {
      this.unhash();
      if (old !== TCP.CLOSE) tcpDestroyEvent(this);
    }
    this.wake();
  }

  unhash(): void {
    this.ns.socks.remove(this.ns.socks.tcp, this);
  }

  /** The receive window to advertise: the free receive buffer (16 bits: no window scaling). */
  rcvWindow(): number {
    const w = Math.max(0, Math.min(0xffff, this.rcvbuf - this.rcvq.len));
    this.lastWnd = w;
    return w;
  }

  get unsent(): number {
    return this.sndq.len - ((this.sndNxt - this.sndUna) >>> 0) + (this.finSeq !== undefined && this.sndNxt !== this.sndUna ? 1 : 0);
  }

  /** tcp_write_xmit: send what the window allows, then a queued FIN. */
  push(): void {
    if (this.state !== TCP.ESTABLISHED && this.state !== TCP.CLOSE_WAIT && this.state !== TCP.FIN_WAIT1 && this.state !== TCP.LAST_ACK && this.state !== TCP.CLOSING) return;
    const mss = Math.min(this.mssPeer, this.mssOwn);
    for (;;) {
      const inFlight = (this.sndNxt - this.sndUna) >>> 0;
      const sentData = this.finSeq !== undefined ? inFlight - 1 : inFlight;
      const unsent = this.sndq.len - sentData;
      if (unsent <= 0) break;
      const room = this.sndWnd - inFlight;
      if (room <= 0) break;
      const n = Math.min(unsent, room, mss);
      const chunk = this.sndq.peek(n, sentData);
      const seq = this.sndNxt;
      this.sndNxt = (this.sndNxt + n) >>> 0;
      tcpTransmit(this, TH.ACK | TH.PSH, seq, chunk);
    }
    const inFlight = (this.sndNxt - this.sndUna) >>> 0;
    if (this.finQueued && this.finSeq === undefined && inFlight === this.sndq.len) {
      this.finSeq = this.sndNxt;
      this.sndNxt = (this.sndNxt + 1) >>> 0;
      tcpTransmit(this, TH.FIN | TH.ACK, this.finSeq);
    }
  }

  /** Send a pure ACK (tcp_send_ack). */
  ack(): void {
    tcpTransmit(this, TH.ACK, this.sndNxt);
  }

  poll(): number {
    let m = 0;
    if (this.state === TCP.LISTEN) return this.acceptq.length ? POLLIN | POLLRDNORM : 0;
    if (this.err) m |= POLLERR;
    if (this.shutdown === (RCV_SHUTDOWN | SEND_SHUTDOWN) || this.state === TCP.CLOSE) m |= POLLHUP;
    if (this.rcvq.len || this.finRcvd || this.shutdown & RCV_SHUTDOWN) m |= POLLIN | POLLRDNORM;
    if (this.finRcvd) m |= POLLRDHUP;
    if (this.state !== TCP.SYN_SENT && this.state !== TCP.SYN_RECV && !(this.shutdown & SEND_SHUTDOWN)) {
      if (this.sndq.len < this.sndbuf) m |= POLLOUT | POLLWRNORM;
    } else if (this.state === TCP.CLOSE) m |= POLLOUT | POLLWRNORM;
    return m;
  }

  // ---- user calls ----

  /** inet_listen: 0 or a negative errno. */
  listen(backlog: number): number {
    if (this.state !== TCP.CLOSE && this.state !== TCP.LISTEN) return -EINVAL;
    const max = Math.min(backlog < 0 ? this.ns.sysctl.somaxconn : backlog, this.ns.sysctl.somaxconn);
    this.backlog = max;
    if (this.state === TCP.LISTEN) return 0;
    if (!this.num) {
      const p = pickPort(this.ns, this, 'bind', 0);
      if (!p) return -98;
      this.num = p;
      this.ns.socks.tcp.push(this);
    }
    this.setState(TCP.LISTEN);
    return 0;
  }

  /** tcp_v4_connect: sends the SYN. 0 when the handshake completed at once, -EINPROGRESS while it runs, or an errno. */
  connect(daddr: number, dport: number): number {
    if (this.state === TCP.ESTABLISHED || this.state === TCP.CLOSE_WAIT) return -EISCONN;
    if (this.state === TCP.SYN_SENT) return -EALREADY;
    if (this.state !== TCP.CLOSE) return -EINVAL;
    const ns = this.ns;
    if (daddr === 0) daddr = 0x7f000001;
    const rt = routeOutput(ns, daddr, this.bindIfindex);
    if (typeof rt === 'number') return rt;
    if (rt.route.type === 'broadcast') return -101; // ENETUNREACH: a TCP connect to a broadcast route
    const saddr = this.saddr || rt.src;
    if (!saddr) return -EADDRNOTAVAIL;
    this.saddr = saddr;
    if (!this.rcvSaddr) this.rcvSaddr = saddr;
    this.daddr = daddr;
    this.dport = dport;
    if (!this.num) {
      const tcp = ns.socks.tcp as TcpSock[];
      const p = pickPort(ns, this, 'connect', saddr, (port) =>
        !tcp.some((o) => o.num === port && (o.portLocked || o.state === TCP.LISTEN || (o.daddr === daddr && o.dport === dport && o.saddr === saddr))));
      if (!p) {
        this.daddr = this.dport = 0;
        return -EADDRNOTAVAIL;
      }
      this.num = p;
      tcp.push(this);
    }
    this.mssOwn = rt.dev.mtu - 40;
    this.iss = ns.network.kernel.rng.stream(`tcp_isn:${ns.name}`).u32();
    this.inetId = ns.network.kernel.rng.stream(`tcp_isn:${ns.name}`).below(0x10000);
    this.sndUna = this.iss;
    this.sndNxt = (this.iss + 1) >>> 0;
    this.setState(TCP.SYN_SENT);
    tcpTransmit(this, TH.SYN, this.iss, undefined, this.mssOwn);
    if ((this.state as number) === TCP.ESTABLISHED) return 0;
    const e = this.takeError();
    if (e) return -e;
    return -EINPROGRESS;
  }

  /** tcp_sendmsg: queue what fits in the send buffer and push. Bytes taken, or a negative errno. */
  send(data: Uint8Array): number {
    const e = this.takeError();
    if (e) return -e;
    if (this.shutdown & SEND_SHUTDOWN) return -EPIPE;
    if (this.state !== TCP.ESTABLISHED && this.state !== TCP.CLOSE_WAIT) {
      return this.state === TCP.SYN_SENT || this.state === TCP.SYN_RECV ? -EAGAIN : -EPIPE;
    }
    const room = this.sndbuf - this.sndq.len;
    if (room <= 0) return -EAGAIN;
    const n = Math.min(room, data.length);
    this.sndq.push(data.subarray(0, n));
    this.push();
    return n;
  }

  /** tcp_recvmsg: up to `max` bytes; 0 at end of stream; -EAGAIN when nothing is there yet. */
  recv(max: number, peek: boolean): Uint8Array | number {
    if (this.state === TCP.LISTEN) return -ENOTCONN;
    if (this.rcvq.len) {
      const out = peek ? this.rcvq.peek(max) : this.rcvq.take(max);
      // Reading reopened a window that had closed below one segment: tell the peer (tcp_cleanup_rbuf).
      if (!peek) {
        tcpCleanupRbufTraced(this, out.length, () => {
          if (this.lastWnd < Math.min(this.mssOwn, this.rcvbuf / 2) && this.rcvbuf - this.rcvq.len >= Math.min(this.mssOwn, this.rcvbuf / 2) && this.state !== TCP.CLOSE) this.ack();
        });
      }
      return out;
    }
    const e = this.takeError();
    if (e) return -e;
    if (this.finRcvd || this.shutdown & RCV_SHUTDOWN || this.state === TCP.CLOSE) {
      return this.state === TCP.CLOSE && !this.finRcvd && !(this.shutdown & RCV_SHUTDOWN) && !this.everConnected ? -ENOTCONN : 0;
    }
    if (this.state === TCP.SYN_SENT || this.state === TCP.SYN_RECV || this.state === TCP.ESTABLISHED || this.state === TCP.FIN_WAIT1 || this.state === TCP.FIN_WAIT2) return -EAGAIN;
    return 0;
  }

  everConnected = false;

  /** inet_shutdown → tcp_shutdown. */
  shutdownCall(how: number): number {
    const mask = how + 1; // SHUT_RD 0 → RCV, SHUT_WR 1 → SEND, SHUT_RDWR 2 → both
    if (mask < 1 || mask > 3) return -EINVAL;
    if (this.state === TCP.CLOSE) return -ENOTCONN;
    if (this.state === TCP.LISTEN) {
      if (mask & RCV_SHUTDOWN) this.closeListener();
      return 0;
    }
    this.shutdown |= mask;
    if (mask & SEND_SHUTDOWN) this.sendFin();
    this.wake();
    return 0;
  }

  /** tcp_close_state + tcp_send_fin. */
  private sendFin(): void {
    if (this.finQueued) return;
    if (this.state === TCP.ESTABLISHED) this.setState(TCP.FIN_WAIT1);
    else if (this.state === TCP.CLOSE_WAIT) this.setState(TCP.LAST_ACK);
    else return;
    this.finQueued = true;
    this.push();
  }

  private closeListener(): void {
    for (const c of this.acceptq.splice(0)) c.abort();
    this.synq.clear();
    this.setState(TCP.CLOSE);
  }

  /** tcp_close: data unread → reset; else a FIN after the queued data. */
  close(): void {
    tcpCloseTraced(this, () => this.doClose());
  }

  private doClose(): void {
    this.orphan = true;
    this.shutdown = RCV_SHUTDOWN | SEND_SHUTDOWN;
    if (this.state === TCP.LISTEN) return this.closeListener();
    if (this.state === TCP.CLOSE) return this.unhash();
    if (this.state === TCP.SYN_SENT) return this.setState(TCP.CLOSE);
    if (this.rcvq.len) {
      this.rcvq.take(this.rcvq.len);
      this.setState(TCP.CLOSE);
      tcpTransmit(this, TH.RST | TH.ACK, this.sndNxt);
      return;
    }
    this.sendFin();
  }

  /** An accepted-queue child whose listener went: reset (inet_csk_listen_stop). */
  abort(): void {
    this.orphan = true;
    tcpTransmit(this, TH.RST | TH.ACK, this.sndNxt);
    this.setState(TCP.CLOSE);
  }

  /**
   * tcp_time_wait: a timewait socket takes the connection's place for 60 s and the socket
   * itself is done (tcp_done: the tracepoint shows the change to TCP_CLOSE, never TIME_WAIT).
   */
  enterTimeWait(): void {
    sockSetStateEvent(this, this.state, TCP.CLOSE);
    tcpDestroyEvent(this);
    this.state = TCP.TIME_WAIT;
    this.twDeadline = this.ns.network.kernel.clock.monotonicNs + this.ns.sysctl.tcpTimewaitNs;
    this.wake();
  }

  /** The timewait socket's time is up (inet_twsk_kill): it leaves the table without a state change to trace. */
  expired(now: bigint): boolean {
    if (this.state === TCP.TIME_WAIT && now >= this.twDeadline) {
      this.state = TCP.CLOSE;
      this.unhash();
      return true;
    }
    return false;
  }
}
