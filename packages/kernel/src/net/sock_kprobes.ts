/**
 * The socket layer's modelled kernel functions (trace/kprobe-funcs.ts: inet_bind, inet_listen,
 * tcp_v4_connect, inet_csk_accept, tcp_sendmsg, tcp_cleanup_rbuf, tcp_close, tcp_set_state):
 * each wraps the part of the model that the Linux function does, its arguments given as kernel
 * objects (the socket's mirror of sock_trace.ts, a struct socket pointing at it, the sockaddr_in),
 * so kprobe, kretprobe and fentry/fexit programs on them run where Linux would run them.
 */
import { kcall } from '../trace/kprobe-fs';
import type { KObj } from '../mm/kobj';
import type { Sock } from './sock';
import { syncSockObject } from './sock_trace';

const SS_UNCONNECTED = 1, SS_CONNECTED = 3;

function kp(sk: Sock) {
  return sk.ns.network.kernel.kprobes;
}

/** A struct socket for `sk` (temporary: freed when the syscall returns). */
function socketObj(sk: Sock): KObj {
  const k = kp(sk);
  const o = k.temp(k.taskObjects.objs.alloc('socket'));
  o.set('type', sk.type);
  o.set('state', sk.daddr ? SS_CONNECTED : SS_UNCONNECTED);
  o.set('sk', syncSockObject(sk));
  return o;
}

function sockaddrObj(sk: Sock, addr: number, port: number): KObj {
  const k = kp(sk);
  const o = k.temp(k.taskObjects.objs.alloc('sockaddr_in'));
  o.set('sin_family', 2);
  o.set('sin_port', Uint8Array.of(port >> 8, port & 0xff));
  o.set('sin_addr', Uint8Array.of(addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff));
  return o;
}

const active = (sk: Sock, fn: string): boolean => kp(sk).active(fn);

export function inetBindTraced(sk: Sock, addr: number, port: number, len: number, body: () => number): number {
  if (!active(sk, 'inet_bind')) return body();
  return kcall(kp(sk), 'inet_bind', () => [socketObj(sk), sockaddrObj(sk, addr, port), len], body);
}

export function inetListenTraced(sk: Sock, backlog: number, body: () => number): number {
  if (!active(sk, 'inet_listen')) return body();
  return kcall(kp(sk), 'inet_listen', () => [socketObj(sk), backlog], body);
}

export function tcpV4ConnectTraced(sk: Sock, addr: number, port: number, body: () => number): number {
  if (!active(sk, 'tcp_v4_connect')) return body();
  return kcall(kp(sk), 'tcp_v4_connect', () => [syncSockObject(sk), sockaddrObj(sk, addr, port), 16], body);
}

/** inet_csk_accept(sk, arg): the child's struct sock on return (NULL when none is taken). */
export function inetCskAcceptTraced<S extends Sock>(l: Sock, body: () => S | undefined): S | undefined {
  if (!active(l, 'inet_csk_accept')) return body();
  return kcall(kp(l), 'inet_csk_accept', () => [syncSockObject(l), 0n], body, { ret: (c) => (c ? syncSockObject(c).addr : 0n) });
}

export function tcpSendmsgTraced(sk: Sock, size: number, body: () => number): number {
  if (!active(sk, 'tcp_sendmsg')) return body();
  return kcall(kp(sk), 'tcp_sendmsg', () => [syncSockObject(sk), 0n, size], body);
}

export function tcpCleanupRbufTraced(sk: Sock, copied: number, body: () => void): void {
  if (!active(sk, 'tcp_cleanup_rbuf')) return body();
  kcall(kp(sk), 'tcp_cleanup_rbuf', () => [syncSockObject(sk), copied], body, { ret: () => 0n });
}

export function tcpCloseTraced(sk: Sock, body: () => void): void {
  if (!active(sk, 'tcp_close')) return body();
  kcall(kp(sk), 'tcp_close', () => [syncSockObject(sk), 0n], body, { ret: () => 0n });
}

export function tcpSetStateTraced(sk: Sock, state: number, body: () => void): void {
  if (!active(sk, 'tcp_set_state')) return body();
  kcall(kp(sk), 'tcp_set_state', () => [syncSockObject(sk), state], body, { ret: () => 0n });
}
