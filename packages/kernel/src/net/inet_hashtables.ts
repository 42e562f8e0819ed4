/**
 * The socket tables of one namespace (net/ipv4/inet_hashtables.c, udp.c's
 * udp_table, raw's and af_packet's lists), bind conflicts, and ephemeral ports.
 *
 * Ephemeral ports come from net.ipv4.ip_local_port_range ([low, high]) through the
 * namespace's seeded stream "ephemeral_port:<ns>", with the parity rules of Linux 6.18:
 * - connect() (__inet_hash_connect): a random even offset from low, scanning by 2, then the odd ports;
 * - bind(port 0) on TCP (inet_csk_find_open_port): a random odd offset, scanning by 2, then the even ones;
 * - UDP (udp_lib_get_port): a random first port, scanning up and wrapping.
 * The first free port in that order is taken. The kernel derives its offsets from keyed
 * hashes and get_random_u32, so its numbers differ; the parity and the range match.
 */
import type { Sock } from './sock';
import { TCP } from './sock';

export class SockTables {
  /** Every bound or connected UDP socket, in bind order. */
  readonly udp: Sock[] = [];
  /** Every bound, listening, connected or TIME_WAIT TCP socket, in the order hashed. */
  readonly tcp: Sock[] = [];
  readonly raw: Sock[] = [];
  readonly packet: Sock[] = [];

  remove(list: Sock[], sk: Sock): void {
    const i = list.indexOf(sk);
    if (i >= 0) list.splice(i, 1);
  }
}

/** Do `a` (already bound) and `b` (binding to a's port) clash? inet_bind_conflict / udp_lib_lport_inuse, simplified. */
export function bindConflict(a: Sock, b: { rcvSaddr: number; reuseaddr: boolean; reuseport: boolean; bindIfindex: number }, proto: 'tcp' | 'udp'): boolean {
  if (a.rcvSaddr && b.rcvSaddr && a.rcvSaddr !== b.rcvSaddr) return false;
  if (a.bindIfindex && b.bindIfindex && a.bindIfindex !== b.bindIfindex) return false;
  if (a.reuseport && b.reuseport) return false;
  if (proto === 'udp') return !(a.reuseaddr && b.reuseaddr);
  // TCP: SO_REUSEADDR on both lets a port be shared unless one is listening; TIME_WAIT yields to SO_REUSEADDR.
  if (a.state === TCP.TIME_WAIT) return !b.reuseaddr;
  return !(a.reuseaddr && b.reuseaddr && a.state !== TCP.LISTEN);
}

export type PortRule = 'connect' | 'bind' | 'udp';

/** The candidate ports in the order the rule scans them (see the file comment). */
export function* ephemeralOrder(low: number, high: number, pick: (n: number) => number, rule: PortRule): Generator<number> {
  const remaining = high - low + 1;
  if (remaining <= 0) return;
  if (rule === 'udp') {
    const first = pick(remaining);
    for (let i = 0; i < remaining; i++) yield low + ((first + i) % remaining);
    return;
  }
  let offset = pick(remaining);
  offset = rule === 'connect' ? offset & ~1 : offset | 1;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < remaining; i += 2) yield low + ((offset + i) % remaining);
    offset ^= 1;
  }
}
