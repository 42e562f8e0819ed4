/**
 * tcp_v4_rcv and the state machine of net/ipv4/tcp_input.c / tcp_minisocks.c:
 * the socket lookup (an established or timewait socket by its 4-tuple, else a
 * listener: a bound address beats the wildcard), the socket filter (never trimming
 * the TCP header), the listener's half of the handshake (a request on SYN; the
 * child socket on the ACK that completes it, queued for accept; a full accept queue
 * drops the SYN), SYN_SENT, and the synchronized states: RST, ACK (window, FIN
 * acknowledged), in-order data (an out-of-order segment is dropped and a duplicate
 * ACK sent: no reassembly queue), FIN. No socket: a reset (tcp_v4_send_reset).
 */
import type { NetDevice } from '../netdevice';
import type { NetNs } from '../netns';
import { runSockFilter } from '../sk_filter';
import type { NetSkb } from '../skbuff';
import { RCV_SHUTDOWN, TCP } from '../sock';
import { rd16, rd32 } from './inaddr';
import { ipBuild, ipLocalOut, routeOutput } from './ip_output';
import { TcpSock, type TcpRequest } from './tcp';
import { TH, tcpSegment, tcpSendResetFor, tcpTransmit, type SegSpec } from './tcp_output';

const ECONNREFUSED = 111, ECONNRESET = 104, EPIPE = 32;
const lt = (a: number, b: number): boolean => ((a - b) | 0) < 0;

/** A received segment: the fields a sent one has (tcp_output's SegSpec), all present, and its data offset. */
interface Seg extends Required<Omit<SegSpec, 'mss'>> {
  mss: number | undefined;
  doff: number;
}

function parse(ip: Uint8Array): Seg | undefined {
  const ihl = (ip[0] & 0xf) * 4;
  const th = ip.subarray(ihl);
  if (th.length < 20) return undefined;
  const doff = (th[12] >> 4) * 4;
  if (doff < 20 || doff > th.length) return undefined;
  let mss: number | undefined;
  for (let i = 20; i < doff; ) {
    const kind = th[i];
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = th[i + 1];
    if (len < 2 || i + len > doff) break;
    if (kind === 2 && len === 4) mss = rd16(th, i + 2);
    i += len;
  }
  return {
    saddr: rd32(ip, 12), daddr: rd32(ip, 16), sport: rd16(th, 0), dport: rd16(th, 2), seq: rd32(th, 4), ack: rd32(th, 8),
    flags: th[13], window: rd16(th, 14), mss, payload: th.subarray(doff), doff,
  };
}

function lookupEstablished(ns: NetNs, s: Seg): TcpSock | undefined {
  const now = ns.network.kernel.clock.monotonicNs;
  for (const sk of ns.socks.tcp as TcpSock[]) {
    if (sk.state === TCP.LISTEN || sk.state === TCP.CLOSE) continue;
    if (sk.num === s.dport && sk.dport === s.sport && sk.daddr === s.saddr && sk.saddr === s.daddr) {
      if (sk.expired(now)) return undefined;
      return sk;
    }
  }
  return undefined;
}

function lookupListener(ns: NetNs, s: Seg, ifindex: number): TcpSock | undefined {
  let best: TcpSock | undefined;
  for (const sk of ns.socks.tcp as TcpSock[]) {
    if (sk.state !== TCP.LISTEN || sk.num !== s.dport) continue;
    if (sk.rcvSaddr && sk.rcvSaddr !== s.daddr) continue;
    if (sk.bindIfindex && sk.bindIfindex !== ifindex) continue;
    if (!best || (sk.rcvSaddr && !best.rcvSaddr)) best = sk;
  }
  return best;
}

export function tcpV4Rcv(ns: NetNs, ip: Uint8Array, dev: NetDevice, skb: NetSkb): void {
  const net = ns.network;
  net.charge(net.costs.sockDeliver);
  const s = parse(ip);
  if (!s) return ns.drop('tcp_hdr');
  let sk: TcpSock | undefined = lookupEstablished(ns, s);
  if (sk?.state === TCP.TIME_WAIT) {
    if (s.flags & TH.RST) return void sk.expired(sk.twDeadline);
    if (s.flags & TH.SYN && !(s.flags & TH.ACK) && lt(sk.rcvNxt, s.seq)) {
      // tcp_timewait_state_process: a new SYN beyond the old connection's sequence space reuses the pair.
      sk.expired(sk.twDeadline);
      sk = undefined;
    } else {
      if (s.flags & TH.FIN || s.payload.length) sk.ack();
      return;
    }
  }
  sk ??= lookupListener(ns, s, dev.ifindex);
  if (!sk) {
    tcpSendResetFor(ns, ip);
    return ns.drop('no_socket');
  }
  const nh = skb.nh ?? 14;
  const ihl = (ip[0] & 0xf) * 4;
  const keep = runSockFilter(sk, { frame: skb.data, mac: nh >= 14 ? nh - 14 : -1, nh, data: nh + ihl, ifindex: dev.ifindex, pktType: skb.pktType, mark: skb.mark }, s.doff);
  if (keep === 0) return ns.drop('socket_filter');
  if (keep < s.doff + s.payload.length) s.payload = s.payload.subarray(0, keep - s.doff);
  sk.segsIn++;
  if (sk.state === TCP.LISTEN) return listenRcv(ns, sk, s, ip, dev);
  if (sk.state === TCP.SYN_SENT) return synSentRcv(sk, s);
  established(sk, s);
}

const reqKey = (s: Seg): string => `${s.saddr}:${s.sport}:${s.daddr}`;

function listenRcv(ns: NetNs, l: TcpSock, s: Seg, ip: Uint8Array, dev: NetDevice): void {
  if (s.flags & TH.RST) {
    l.synq.delete(reqKey(s));
    return;
  }
  const req = l.synq.get(reqKey(s));
  if (s.flags & TH.ACK && !(s.flags & TH.SYN)) {
    if (!req || s.ack !== ((req.iss + 1) >>> 0)) {
      tcpSendResetFor(ns, ip);
      return;
    }
    l.synq.delete(reqKey(s));
    // tcp_check_req → the child: inet_csk_clone_lock (TCP_SYN_RECV), then ESTABLISHED.
    if (l.acceptq.length > l.backlog) return ns.drop('tcp_listen_overflow');
    const c = new TcpSock(ns);
    c.saddr = c.rcvSaddr = req.laddr;
    c.num = req.lport;
    c.daddr = req.raddr;
    c.dport = req.rport;
    c.iss = req.iss;
    c.irs = req.irs;
    c.sndUna = c.sndNxt = (req.iss + 1) >>> 0;
    c.rcvNxt = (req.irs + 1) >>> 0;
    c.sndWnd = s.window;
    c.mssPeer = req.mss;
    c.mssOwn = routeMss(ns, req.raddr);
    c.rcvbuf = l.rcvbuf;
    c.sndbuf = l.sndbuf;
    c.filter = l.filter;
    c.reuseaddr = l.reuseaddr;
    c.parent = l;
    c.everConnected = true;
    c.inetId = ns.network.kernel.rng.stream(`tcp_isn:${ns.name}`).below(0x10000);
    ns.socks.tcp.push(c);
    c.setState(TCP.SYN_RECV);
    c.setState(TCP.ESTABLISHED);
    l.acceptq.push(c);
    l.wake();
    if (s.payload.length || s.flags & TH.FIN) established(c, s);
    return;
  }
  if (!(s.flags & TH.SYN)) return ns.drop('tcp_flags');
  if (req) {
    // A retransmitted SYN: the SYN-ACK again.
    sendSynAck(ns, req, routeMss(ns, req.raddr));
    return;
  }
  // inet_csk_reqsk_queue_is_full / sk_acceptq_is_full: no syncookies in the model, the SYN is dropped.
  if (l.acceptq.length > l.backlog || l.synq.size >= Math.max(l.backlog, 1)) return ns.drop('tcp_listen_overflow');
  const r: TcpRequest = {
    laddr: s.daddr, lport: s.dport, raddr: s.saddr, rport: s.sport,
    iss: ns.network.kernel.rng.stream(`tcp_isn:${ns.name}`).u32(), irs: s.seq, mss: s.mss ?? 536, window: s.window,
  };
  l.synq.set(reqKey(s), r);
  void dev;
  sendSynAck(ns, r, routeMss(ns, r.raddr));
}

function routeMss(ns: NetNs, daddr: number): number {
  const rt = routeOutput(ns, daddr);
  return typeof rt === 'number' ? 536 : rt.dev.mtu - 40;
}

function sendSynAck(ns: NetNs, r: TcpRequest, mss: number): void {
  const seg = tcpSegment({ saddr: r.laddr, daddr: r.raddr, sport: r.lport, dport: r.rport, seq: r.iss, ack: (r.irs + 1) >>> 0, flags: TH.SYN | TH.ACK, window: 0xffff, mss });
  ipLocalOut(ns, ipBuild(ns, { saddr: r.laddr, daddr: r.raddr, proto: 6 }, seg));
}

function synSentRcv(sk: TcpSock, s: Seg): void {
  if (s.flags & TH.ACK && s.ack !== sk.sndNxt) {
    if (!(s.flags & TH.RST)) tcpTransmit(sk, TH.RST, s.ack);
    return;
  }
  if (s.flags & TH.RST) {
    if (!(s.flags & TH.ACK)) return;
    sk.err = ECONNREFUSED;
    sk.setState(TCP.CLOSE);
    return;
  }
  if (!(s.flags & TH.SYN) || !(s.flags & TH.ACK)) return;
  sk.irs = s.seq;
  sk.rcvNxt = (s.seq + 1) >>> 0;
  sk.sndUna = s.ack;
  sk.sndWnd = s.window;
  sk.mssPeer = s.mss ?? 536;
  sk.everConnected = true;
  sk.setState(TCP.ESTABLISHED);
  const before = sk.segsOut;
  sk.push();
  if (sk.segsOut === before) sk.ack();
}

/** The synchronized states (tcp_rcv_established / tcp_rcv_state_process after the handshake). */
function established(sk: TcpSock, s: Seg): void {
  let payload = s.payload;
  let seq = s.seq;
  const fin = (s.flags & TH.FIN) !== 0;
  // Old bytes we already have are cut off; a segment wholly old, or beyond what we expect, is answered by a duplicate ACK.
  if (lt(seq, sk.rcvNxt)) {
    const old = (sk.rcvNxt - seq) >>> 0;
    if (old >= payload.length + (fin ? 1 : 0) && !(s.flags & TH.RST)) {
      if (payload.length || fin) sk.ack();
      if (!(s.flags & TH.ACK)) return;
      payload = new Uint8Array(0);
    } else {
      payload = payload.subarray(Math.min(old, payload.length));
    }
    seq = sk.rcvNxt;
  } else if (seq !== sk.rcvNxt) {
    if (!(s.flags & TH.RST)) sk.ack();
    return sk.ns.drop('tcp_ofo_not_modelled');
  }
  if (s.flags & TH.RST) {
    // tcp_reset
    sk.err = sk.state === TCP.CLOSE_WAIT ? EPIPE : ECONNRESET;
    if (sk.state === TCP.SYN_RECV || sk.state === TCP.LAST_ACK || sk.state === TCP.CLOSING) sk.err = sk.state === TCP.LAST_ACK ? 0 : sk.err;
    sk.setState(TCP.CLOSE);
    return;
  }
  if (s.flags & TH.SYN) {
    sk.ack(); // a challenge ACK (tcp_send_challenge_ack)
    return;
  }
  if (!(s.flags & TH.ACK)) return;
  // The ACK.
  const inFlight = (sk.sndNxt - sk.sndUna) >>> 0;
  const acked = (s.ack - sk.sndUna) >>> 0;
  if (acked > inFlight && acked < 0x80000000) {
    sk.ack();
    return;
  }
  let writeSpace = false;
  if (acked > 0 && acked <= inFlight) {
    const finAcked = sk.finSeq !== undefined && s.ack === sk.sndNxt;
    sk.sndq.drop(Math.min(sk.sndq.len, acked - (finAcked ? 1 : 0)));
    sk.sndUna = s.ack;
    writeSpace = true;
  }
  if (sk.sndWnd !== s.window) {
    sk.sndWnd = s.window;
    writeSpace = true;
  }
  // sk_write_space, once the acknowledgement and the window are both taken in: a waiting sender goes on.
  if (writeSpace) sk.wake();
  const finAcked = sk.finSeq !== undefined && sk.sndUna === sk.sndNxt;
  if (finAcked) {
    if (sk.state === TCP.FIN_WAIT1) sk.setState(TCP.FIN_WAIT2);
    else if (sk.state === TCP.CLOSING) return sk.enterTimeWait();
    else if (sk.state === TCP.LAST_ACK) return sk.setState(TCP.CLOSE);
  }
  let needAck = false;
  if (payload.length) {
    if (sk.shutdown & RCV_SHUTDOWN && sk.orphan) {
      // Data for a socket the user closed: reset (tcp_rcv_state_process returns 1 → tcp_v4_send_reset).
      tcpTransmit(sk, TH.RST, s.ack);
      sk.err = ECONNRESET;
      sk.setState(TCP.CLOSE);
      return;
    }
    if (sk.state === TCP.ESTABLISHED || sk.state === TCP.FIN_WAIT1 || sk.state === TCP.FIN_WAIT2) {
      if (sk.rcvq.len + payload.length > sk.rcvbuf) {
        sk.ns.drop('tcp_rcvbuff');
        sk.ack();
        return;
      }
      sk.rcvq.push(payload);
      sk.rcvNxt = (sk.rcvNxt + payload.length) >>> 0;
      needAck = true;
      sk.wake();
    }
  }
  if (fin && ((seq + payload.length) >>> 0) === sk.rcvNxt && !sk.finRcvd) {
    sk.rcvNxt = (sk.rcvNxt + 1) >>> 0;
    sk.finRcvd = true;
    needAck = true;
    if (sk.state === TCP.ESTABLISHED) sk.setState(TCP.CLOSE_WAIT);
    else if (sk.state === TCP.FIN_WAIT1) sk.setState(TCP.CLOSING);
    else if (sk.state === TCP.FIN_WAIT2) {
      sk.ack();
      return sk.enterTimeWait();
    }
    sk.wake();
  }
  const before = sk.segsOut;
  sk.push();
  if (needAck && sk.segsOut === before) sk.ack();
}

/** tcp_v4_err: a hard ICMP error ends a connection still being set up; later ones are soft (not reported). */
export function tcpErr(ns: NetNs, inner: Uint8Array, errno: number, hard: boolean): void {
  const ihl = (inner[0] & 0xf) * 4;
  const seg = { saddr: rd32(inner, 16), daddr: rd32(inner, 12), sport: rd16(inner, ihl + 2), dport: rd16(inner, ihl) } as Seg;
  const sk = lookupEstablished(ns, seg);
  if (!sk || !hard) return;
  if (sk.state === TCP.SYN_SENT || sk.state === TCP.SYN_RECV) {
    sk.err = errno;
    sk.setState(TCP.CLOSE);
  }
}
