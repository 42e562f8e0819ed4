/**
 * Sock map helpers (net/core/sock_map.c): sk_skb and sk_msg programs redirect to the socket under a
 * key; sock_ops programs insert their own socket. bpf_sk_release drops the reference a sock map
 * lookup takes (the verifier demands it). A redirect with flags other than BPF_F_INGRESS,
 * to an empty key, or to a socket that may not be a target (sock_map_redirect_allowed) is SK_DROP;
 * otherwise the redirect is recorded and the helper returns SK_PASS.
 *
 * bpfsim's kernel has no sockets yet: no map holds one, so redirects drop as the kernel's do for an
 * empty slot, and bpf_sock_map_update / bpf_sock_hash_update have no socket to insert (the
 * kernel's answer for a socket that cannot enter a sock map: -EOPNOTSUPP).
 */
import { Errno } from '@bpfsim/uapi';
import { hex } from '../../kernel/trace';
import type { HelperCall } from '@bpfsim/vm';
import { isSockMap, type BpfMap } from '../maps/map';
import { mapAt } from './mem';
import { recordRedirect } from './packet';
import { neg, type HelperArea, type RunEnv } from './types';

const SK_DROP = 0n;
const SK_PASS = 1n;
const BPF_F_INGRESS = 1n;

function redirect(env: RunEnv, helper: string, map: BpfMap, key: Uint8Array, keyText: string, flags: bigint): bigint {
  if (flags & ~BPF_F_INGRESS) return SK_DROP;
  const sk = isSockMap(map) ? map.sockAt(key) : undefined;
  if (!sk || !sk.redirectOk) return SK_DROP;
  recordRedirect(env, helper, `${map.name || `map#${map.id}`}[${keyText}]`, flags);
  return SK_PASS;
}

/** A u32 key passed by value (sockmap index). */
function indexKey(key: bigint): Uint8Array {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, Number(key & 0xffffffffn), true);
  return k;
}

function byValue(helper: string) {
  return (env: RunEnv, call: HelperCall, _ctx: bigint, m: bigint, key: bigint, flags: bigint): bigint =>
    redirect(env, helper, mapAt(call.mem, m), indexKey(key), String(key & 0xffffffffn), flags);
}

function byPointer(helper: string) {
  return (env: RunEnv, call: HelperCall, _ctx: bigint, m: bigint, k: bigint, flags: bigint): bigint => {
    const map = mapAt(call.mem, m);
    const key = call.mem.read(k, map.keySize);
    return redirect(env, helper, map, key, hex(key), flags);
  };
}

/** No sock_ops run has a socket to insert. */
const noSocket = (): bigint => neg(Errno.EOPNOTSUPP);

export const sockmapHelpers: HelperArea = {
  bpf_sk_redirect_map: byValue('bpf_sk_redirect_map'),
  bpf_msg_redirect_map: byValue('bpf_msg_redirect_map'),
  bpf_sk_redirect_hash: byPointer('bpf_sk_redirect_hash'),
  bpf_msg_redirect_hash: byPointer('bpf_msg_redirect_hash'),
  bpf_sock_map_update: noSocket,
  bpf_sock_hash_update: noSocket,
  // The reference is the socket's refcount; bpfsim's stand-in sockets have none to drop.
  bpf_sk_release: () => 0n,
};
