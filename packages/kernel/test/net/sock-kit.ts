/** Helpers for the socket tests: processes in their own net namespaces, addresses, syscalls with sockaddrs. */
import { CLONE, Kernel, type TaskStruct } from '../../src';
import { NetNs } from '../../src/net/netns';

export const AF_INET = 2, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_NONBLOCK = 0o4000;

export function newKernel(seed = 'sockets'): Kernel {
  return new Kernel({ seed, cpus: 2 });
}

/** fork from init and execve /bin/sh: a process with user memory. */
export function proc(k: Kernel, parent?: TaskStruct): TaskStruct {
  const r = k.syscall(parent ?? k.world.init, 'fork');
  if (!r.child) throw new Error(`fork: ${r.ret}`);
  const e = k.syscall(r.child, 'execve', ['/bin/sh', ['sh'], ['PATH=/bin']]);
  if (e.ret !== 0) throw new Error(`execve: ${e.ret}`);
  return r.child;
}

/** A process in a net namespace of its own (unshare(CLONE_NEWNET)), and that namespace. */
export function procInNewNet(k: Kernel): { p: TaskStruct; ns: NetNs } {
  const p = proc(k);
  const r = k.syscall(p, 'unshare', [CLONE.NEWNET]);
  if (r.ret !== 0) throw new Error(`unshare: ${r.ret}`);
  return { p, ns: p.nsproxy.net as NetNs };
}

export function sin(addr: string, port: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = AF_INET;
  b[2] = port >> 8;
  b[3] = port & 0xff;
  addr.split('.').forEach((o, i) => (b[4 + i] = Number(o)));
  return b;
}

export function parseSin(b: Uint8Array): { addr: string; port: number } {
  return { addr: [...b.subarray(4, 8)].join('.'), port: (b[2] << 8) | b[3] };
}

export const int = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
};

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A syscall that must succeed (ret >= 0, not blocked). */
export function ok(k: Kernel, t: TaskStruct, name: string, args: Parameters<Kernel['syscall']>[2] = []): ReturnType<Kernel['syscall']> {
  const r = k.syscall(t, name, args);
  if (r.blocked) throw new Error(`${name} blocked`);
  if (r.ret < 0) throw new Error(`${name} failed: ${r.ret}`);
  return r;
}

/** The result of the call `t` slept in, once it completed. */
export function completed(t: TaskStruct, name: string): number | undefined {
  const i = t.completed.findIndex((x) => x.name === name);
  if (i < 0) return undefined;
  return t.completed.splice(i, 1)[0].ret;
}

/** Two processes in two namespaces joined by veth0 (a, 10.0.0.1/24) ↔ veth1 (b, 10.0.0.2/24). */
export function twoHosts(seed = 'sockets') {
  const k = newKernel(seed);
  const A = procInNewNet(k);
  const B = procInNewNet(k);
  const [va, vb] = k.network.addVeth(A.ns, 'veth0', B.ns, 'veth1');
  va.addAddress('10.0.0.1/24');
  vb.addAddress('10.0.0.2/24');
  return { k, a: A.p, b: B.p, nsA: A.ns, nsB: B.ns, va, vb };
}
