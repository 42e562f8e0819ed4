/**
 * Sockets as tracing tools see them: each socket mirrored in kernel memory as its
 * profile-BTF struct (tcp_sock, udp_sock, sock) with __sk_common's family, ports,
 * addresses and state and tcp_sock's sequence numbers rewritten from the model
 * before a program can read it, and the socket tracepoints fired through the
 * tracing layer: sock:inet_sock_set_state on every TCP state change (the record,
 * and (sk, oldstate, newstate) for raw/BTF tracepoints), tcp:tcp_destroy_sock
 * when a TCP socket is done.
 */
import { declareModelledFields, type KObj } from '../mm/kobj';
import { KernelTracepoints } from '../trace/fire';
import type { TaskStruct } from '../kernel/task_struct';
import type { Sock } from './sock';
import type { TcpSock } from './ipv4/tcp';

const BY = 'net/sock_trace.ts';
const COMMON = ['__sk_common.skc_family', '__sk_common.skc_state', '__sk_common.skc_num', '__sk_common.skc_dport', '__sk_common.skc_rcv_saddr', '__sk_common.skc_daddr', 'sk_type', 'sk_protocol'];
declareModelledFields('sock', COMMON, BY);
declareModelledFields('inet_sock', ['inet_sport', 'inet_saddr'], BY);
declareModelledFields('tcp_sock', ['snd_una', 'snd_nxt', 'rcv_nxt', 'write_seq', 'copied_seq'], BY);

/** Where `struct sock` sits inside each protocol's struct (all at offset 0). */
const PREFIX: Record<string, string> = { tcp_sock: 'inet_conn.icsk_inet.sk.', udp_sock: 'inet.sk.', raw_sock: 'inet.sk.', packet_sock: 'sk.' };
const INET: Record<string, string> = { tcp_sock: 'inet_conn.icsk_inet.', udp_sock: 'inet.', raw_sock: 'inet.' };

const objects = new WeakMap<Sock, KObj>();

const be16 = (v: number): Uint8Array => Uint8Array.from([(v >> 8) & 0xff, v & 0xff]);
const be32 = (v: number): Uint8Array => Uint8Array.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);

function structOf(sk: Sock): string {
  if (sk.family === 17) return 'packet_sock';
  return sk.type === 1 ? 'tcp_sock' : sk.type === 2 ? 'udp_sock' : 'raw_sock';
}

/** The socket's kernel object, rewritten from the model. */
export function syncSockObject(sk: Sock, state = sk.state): KObj {
  const k = sk.ns.network.kernel;
  let o = objects.get(sk);
  const struct = structOf(sk);
  if (!o) {
    o = k.world.taskObjects.objs.alloc(struct);
    objects.set(sk, o);
    sk.kaddr = o.addr;
  }
  const p = PREFIX[struct];
  o.set(`${p}__sk_common.skc_family`, sk.family);
  o.set(`${p}__sk_common.skc_state`, state);
  o.set(`${p}__sk_common.skc_num`, sk.num);
  o.set(`${p}__sk_common.skc_dport`, be16(sk.dport));
  o.set(`${p}__sk_common.skc_rcv_saddr`, be32(sk.rcvSaddr));
  o.set(`${p}__sk_common.skc_daddr`, be32(sk.daddr));
  o.set(`${p}sk_type`, sk.type);
  o.set(`${p}sk_protocol`, sk.protocol);
  const inet = INET[struct];
  if (inet) {
    o.set(`${inet}inet_sport`, be16(sk.num));
    o.set(`${inet}inet_saddr`, be32(sk.saddr));
  }
  if (struct === 'tcp_sock') {
    const t = sk as TcpSock;
    o.set('snd_una', t.sndUna);
    o.set('snd_nxt', t.sndNxt);
    o.set('write_seq', (t.sndUna + t.sndq.len) >>> 0);
    o.set('rcv_nxt', t.rcvNxt);
    o.set('copied_seq', (t.rcvNxt - t.rcvq.len) >>> 0);
  }
  return o;
}

function tracing(sk: Sock): { tp: KernelTracepoints; current: TaskStruct } | undefined {
  const k = sk.ns.network.kernel;
  const tp = k.world.events;
  if (!(tp instanceof KernelTracepoints)) return undefined;
  const cur = k.current as Partial<TaskStruct>;
  const current = typeof cur.pidStruct === 'object' ? (cur as TaskStruct) : k.world.swapper;
  return { tp, current };
}

/** trace_inet_sock_set_state (inet_sk_set_state / tcp_set_state), before the state changes. */
export function sockSetStateEvent(sk: Sock, oldstate: number, newstate: number): void {
  const t = tracing(sk);
  if (!t) return;
  t.tp.netEvent(t.current, 'sock', 'inet_sock_set_state', () => ({
    skaddr: syncSockObject(sk, oldstate).addr, oldstate, newstate, sport: sk.num, dport: sk.dport, family: sk.family, protocol: sk.protocol,
    saddr: be32(sk.saddr), daddr: be32(sk.daddr), saddr_v6: new Uint8Array(16), daddr_v6: new Uint8Array(16),
  }), () => [syncSockObject(sk, oldstate).addr, BigInt(oldstate), BigInt(newstate)]);
}

/** trace_tcp_destroy_sock */
export function tcpDestroyEvent(sk: Sock): void {
  const t = tracing(sk);
  if (!t) return;
  t.tp.netEvent(t.current, 'tcp', 'tcp_destroy_sock', () => ({
    skaddr: syncSockObject(sk).addr, sport: sk.num, dport: sk.dport, family: sk.family,
    saddr: be32(sk.saddr), daddr: be32(sk.daddr), saddr_v6: new Uint8Array(16), daddr_v6: new Uint8Array(16), sock_cookie: BigInt(sk.cookie),
  }), () => [syncSockObject(sk).addr]);
}
