/**
 * Connection tracking as far as state matches need it (nf_conntrack_core.c,
 * nf_conntrack_proto_{tcp,udp,icmp,generic}.c): tuples per direction, the
 * packet's state (NEW / ESTABLISHED / RELATED / INVALID), the TCP state
 * machine (tcp_conntracks), timeouts on virtual time, and confirmation: a new
 * connection enters the table only when its first packet leaves the last hook
 * (INPUT or POSTROUTING) accepted. Expired entries are dropped when looked up.
 * Not modelled: TCP window tracking, helpers/expectations, NAT, zones,
 * fragment reassembly.
 */
import { CT_ESTABLISHED, CT_INVALID, CT_NEW, CT_RELATED } from './rule';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, l4Of, type NfPacket } from './nf_packet';

const SEC = 1_000_000_000n;

// TCP conntrack states (enum tcp_conntrack) and the transition table's two markers.
const sNO = 0, sSS = 1, sSR = 2, sES = 3, sFW = 4, sCW = 5, sLA = 6, sTW = 7, sCL = 8, sS2 = 9, sIV = 10, sIG = 11;
export const TCP_CT_NAMES = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'];

/** tcp_conntracks[dir][syn, synack, fin, ack, rst, none][old state] (nf_conntrack_proto_tcp.c). */
const TCP_CONNTRACKS: readonly (readonly (readonly number[])[])[] = [
  [ // ORIGINAL
    [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    [sIV, sIV, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [ // REPLY
    [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sS2],
    [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

/** tcp_timeouts by state (seconds), and the cap while a connection is not assured (TCP_CONNTRACK_UNACK). */
const TCP_TIMEOUTS = [0, 120, 60, 432000, 120, 60, 30, 120, 10, 120];
const TCP_UNACK_TIMEOUT = 300;
const UDP_UNREPLIED = 30, UDP_REPLIED = 120, ICMP_TIMEOUT = 30, GENERIC_TIMEOUT = 600;

// TCP flags as tcp_error's tcp_valid_flags table sees them (ECE, CWR and PSH masked off).
const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;
const TCP_VALID_FLAGS = new Set([SYN, SYN | URG, SYN | ACK, RST, RST | ACK, FIN | ACK, FIN | ACK | URG, ACK, ACK | URG]);

/** ICMP requests that may start a connection, and the reply type each expects (invmap). */
const ICMP_INVMAP: Record<number, number> = { 8: 0, 13: 14, 15: 16, 17: 18, 0: 8, 14: 13, 16: 15, 18: 17 };
const ICMP_NEW = new Set([8, 13, 15, 17]);
const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);

export interface Tuple {
  proto: number;
  src: number;
  dst: number;
  /** Ports; for ICMP: sport = id, dport = type << 8 | code. */
  sport: number;
  dport: number;
}

export interface Conn {
  orig: Tuple;
  reply: Tuple;
  seenReply: boolean;
  assured: boolean;
  tcpState: number;
  expiresNs: bigint;
  confirmed: boolean;
}

export interface CtVerdict {
  /** The xt_conntrack state bit the packet has. */
  state: number;
  conn?: Conn;
  dir?: 0 | 1;
}

const key = (t: Tuple): string => `${t.proto}/${t.src}:${t.sport}>${t.dst}:${t.dport}`;
const invert = (t: Tuple): Tuple => {
  if (t.proto === IPPROTO_ICMP) {
    const type = t.dport >> 8;
    return { proto: t.proto, src: t.dst, dst: t.src, sport: t.sport, dport: ((ICMP_INVMAP[type] ?? type) << 8) | (t.dport & 0xff) };
  }
  return { proto: t.proto, src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
};

function tupleOf(p: NfPacket): Tuple | null {
  if (p.proto === IPPROTO_TCP || p.proto === IPPROTO_UDP) {
    if (p.sport === undefined) return null;
    return { proto: p.proto, src: p.src, dst: p.dst, sport: p.sport, dport: p.dport! };
  }
  if (p.proto === IPPROTO_ICMP) {
    if (p.icmpId === undefined) return null;
    return { proto: p.proto, src: p.src, dst: p.dst, sport: p.icmpId, dport: (p.icmpType! << 8) | p.icmpCode! };
  }
  return { proto: p.proto, src: p.src, dst: p.dst, sport: 0, dport: 0 };
}

/** The tuple of the packet quoted inside an ICMP error (its first 8 transport bytes). */
function innerTuple(p: NfPacket): Tuple | null {
  const l4 = l4Of(p);
  const ip = l4.subarray(8);
  if (ip.length < 20 || ip[0] >> 4 !== 4) return null;
  const ihl = (ip[0] & 0xf) * 4;
  if (ihl < 20 || ip.length < ihl + 8) return null;
  const u32 = (at: number): number => ((ip[at] << 24) | (ip[at + 1] << 16) | (ip[at + 2] << 8) | ip[at + 3]) >>> 0;
  const proto = ip[9];
  const t = ip.subarray(ihl);
  const src = u32(12), dst = u32(16);
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) return { proto, src, dst, sport: (t[0] << 8) | t[1], dport: (t[2] << 8) | t[3] };
  if (proto === IPPROTO_ICMP) return { proto, src, dst, sport: (t[4] << 8) | t[5], dport: (t[0] << 8) | t[1] };
  return { proto, src, dst, sport: 0, dport: 0 };
}

export class Conntrack {
  private readonly table = new Map<string, { conn: Conn; dir: 0 | 1 }>();
  /** nf_conntrack_tcp_loose: pick up established connections from a mid-stream ACK. */
  tcpLoose = true;

  constructor(private readonly now: () => bigint) {}

  /** Live connections, in the order they were confirmed. */
  get connections(): Conn[] {
    const out: Conn[] = [];
    for (const { conn, dir } of this.table.values()) if (dir === 0 && conn.expiresNs > this.now()) out.push(conn);
    return out;
  }

  private find(t: Tuple): { conn: Conn; dir: 0 | 1 } | undefined {
    const h = this.table.get(key(t));
    if (h && h.conn.expiresNs <= this.now()) {
      this.table.delete(key(h.conn.orig));
      this.table.delete(key(h.conn.reply));
      return undefined;
    }
    return h;
  }

  /** nf_conntrack_in: the packet's state, the connection it belongs to (new ones unconfirmed). */
  in(p: NfPacket): CtVerdict {
    if (p.fragOff !== 0) return { state: CT_INVALID };
    if (p.proto === IPPROTO_ICMP && p.icmpType !== undefined && ICMP_ERRORS.has(p.icmpType)) {
      // nf_conntrack_icmpv4_error: RELATED to the connection the quoted packet belongs to, else invalid.
      // The connection is looked up by the inverted quoted tuple, and the error must go to the quoted packet's sender.
      const inner = innerTuple(p);
      const h = inner && this.find(invert(inner));
      if (!h || p.dst !== inner!.src) return { state: CT_INVALID };
      return { state: CT_RELATED, conn: h.conn, dir: h.dir };
    }
    // Types above NR_ICMP_TYPES (18) are a mystery: invalid.
    if (p.proto === IPPROTO_ICMP && p.icmpType !== undefined && p.icmpType > 18) return { state: CT_INVALID };
    if (p.proto === IPPROTO_TCP && p.tcpFlags !== undefined && !TCP_VALID_FLAGS.has(p.tcpFlags & ~(PSH | 0xc0))) return { state: CT_INVALID };
    const t = tupleOf(p);
    if (!t) return { state: CT_INVALID };
    const h = this.find(t);
    if (!h) return this.create(p, t);
    const { conn, dir } = h;
    if (!this.packet(conn, dir, p)) return { state: CT_INVALID };
    if (dir === 1) conn.seenReply = true;
    return { state: dir === 1 || conn.seenReply ? CT_ESTABLISHED : CT_NEW, conn, dir };
  }

  /** init_conntrack + the protocol's new(): a connection not yet in the table. */
  private create(p: NfPacket, t: Tuple): CtVerdict {
    let tcpState = 0;
    if (p.proto === IPPROTO_TCP) {
      tcpState = TCP_CONNTRACKS[0][tcpIndex(p.tcpFlags!)][sNO];
      if (tcpState >= sIV || (tcpState === sES && !this.tcpLoose)) return { state: CT_INVALID };
    } else if (p.proto === IPPROTO_ICMP && !ICMP_NEW.has(p.icmpType!)) {
      return { state: CT_INVALID };
    }
    const conn: Conn = { orig: t, reply: invert(t), seenReply: false, assured: false, tcpState, expiresNs: 0n, confirmed: false };
    this.refresh(conn);
    return { state: CT_NEW, conn, dir: 0 };
  }

  /** The protocol's packet(): false when the packet is invalid for the connection's state. */
  private packet(conn: Conn, dir: 0 | 1, p: NfPacket): boolean {
    if (p.proto === IPPROTO_TCP) {
      const next = TCP_CONNTRACKS[dir][tcpIndex(p.tcpFlags!)][conn.tcpState];
      if (next === sIV) return false;
      if (next !== sIG) {
        // A SYN reopening a closed/time-wait connection starts it over (nf_ct_kill + new).
        if (next === sSS && (conn.tcpState === sTW || conn.tcpState === sCL)) conn.seenReply = false;
        conn.tcpState = next;
        if (dir === 1 && next === sES) conn.assured = true;
      }
    } else if (dir === 1 || conn.seenReply) {
      conn.assured = true;
    }
    this.refresh(conn, dir === 1 || conn.seenReply);
    return true;
  }

  private refresh(conn: Conn, replied = conn.seenReply): void {
    let s: number;
    switch (conn.orig.proto) {
      case IPPROTO_TCP: {
        s = TCP_TIMEOUTS[conn.tcpState];
        if (!conn.assured && s > TCP_UNACK_TIMEOUT && conn.tcpState === sES) s = TCP_UNACK_TIMEOUT;
        break;
      }
      case IPPROTO_UDP: s = replied ? UDP_REPLIED : UDP_UNREPLIED; break;
      case IPPROTO_ICMP: s = ICMP_TIMEOUT; break;
      default: s = GENERIC_TIMEOUT;
    }
    conn.expiresNs = this.now() + BigInt(s) * SEC;
  }

  /** __nf_conntrack_confirm: the first packet got through; the connection enters the table. */
  confirm(conn: Conn): void {
    if (conn.confirmed) return;
    conn.confirmed = true;
    this.table.set(key(conn.orig), { conn, dir: 0 });
    this.table.set(key(conn.reply), { conn, dir: 1 });
  }
}

function tcpIndex(flags: number): number {
  if (flags & RST) return 4;
  if (flags & SYN) return flags & ACK ? 1 : 0;
  if (flags & FIN) return 2;
  if (flags & ACK) return 3;
  return 5;
}

export { CT_ESTABLISHED, CT_INVALID, CT_NEW, CT_RELATED };
