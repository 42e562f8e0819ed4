/**
 * What SOCKMAP and SOCKHASH share (net/core/sock_map.c): the create checks,
 * the syscall update that takes a socket fd, the syscall lookup that returns
 * the socket's cookie, and program lookups that return the socket itself.
 *
 * bpfsim's kernel has no sockets yet, so `resolveFd(fd, 'socket')` finds none
 * and every syscall update fails as Linux fails it for a non-socket fd:
 * EBADF for a closed fd, ENOTSOCK for any other file (map, program, link,
 * perf event), EINVAL for an fd above S32_MAX. The storage below is complete
 * for the day sockets exist (tests drive it with stand-in sockets and compare
 * with real kernel sockets); what sockets would add is listed on SockRef.
 */
import { Errno } from '@bpfsim/uapi';
import type { BpfMap, ErrnoResult, KernelObjectRef, MapAttr, MapContext } from './map';
import { BPF_EXIST, MapFlag } from './flags';
import { MapBase, le32 } from './base';

/** SOCK_CREATE_FLAG_MASK */
export const SOCK_CREATE_FLAG_MASK = MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY;
const S32_MAX = 0x7fffffff;

/**
 * A socket as the sock maps see it (what resolveFd(fd, 'socket') returns).
 * Nothing in bpfsim's kernel creates one yet.
 */
export interface SockRef extends KernelObjectRef {
  /** sock_gen_cookie(): what a user-space lookup of a value_size 8 map returns. */
  readonly cookie: bigint;
  /**
   * 0 when the socket may enter a sock map (sock_map_sk_is_suitable and
   * sock_map_sk_state_allowed: e.g. a TCP socket that is listening or
   * established), else the errno the kernel gives (-EOPNOTSUPP).
   */
  readonly sockmapErr: ErrnoResult;
  /** sock_map_redirect_allowed(): a redirect may target it (TCP: not listening; others: established). */
  readonly redirectOk: boolean;
  /** Address of its struct sock in the kernel's address space: what a program's lookup returns (0n: none). */
  readonly addr: bigint;
}

/** SOCKMAP and SOCKHASH: the socket behind a key, for bpf_sk_redirect_map/hash and bpf_msg_redirect_map/hash. */
export interface SockMap extends BpfMap {
  sockAt(key: Uint8Array): SockRef | undefined;
}

/** sock_map_alloc() / sock_hash_alloc() checks common to both (CAP_NET_ADMIN: bpfsim runs as root). */
export function sockMapCheck(attr: MapAttr): ErrnoResult {
  const vs = attr.valueSize;
  if (attr.maxEntries === 0 || (vs !== 4 && vs !== 8) || (attr.flags ?? 0) & ~SOCK_CREATE_FLAG_MASK) return -Errno.EINVAL;
  return 0;
}

export abstract class SockMapBase extends MapBase implements SockMap {
  private readonly resolveFd: MapContext['resolveFd'];

  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
    this.resolveFd = ctx.resolveFd;
  }

  /** The socket stored under `key`, or undefined (also for a key out of range). */
  abstract sockAt(key: Uint8Array): SockRef | undefined;
  /** sock_map_update_common() / sock_hash_update_common() once the socket is known. */
  protected abstract store(key: Uint8Array, sock: SockRef, flags: number): ErrnoResult;

  /** sock_map_update_elem_sys(): the value is a socket fd (u32 or u64 by value_size). */
  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    if (!key) return -Errno.EINVAL;
    const ufd = this.valueSize === 8 ? le32(value) + le32(value, 4) * 2 ** 32 : le32(value);
    if (ufd > S32_MAX) return -Errno.EINVAL;
    // sockfd_lookup(): a file that is not a socket is ENOTSOCK.
    const r = this.resolveFd ? this.resolveFd(ufd, 'socket') : -Errno.EBADF;
    if (typeof r === 'number') return r === -Errno.EINVAL ? -Errno.ENOTSOCK : r;
    const sock = r as SockRef;
    if (sock.sockmapErr) return sock.sockmapErr;
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    return this.store(key, sock, flags);
  }

  /** sock_map_lookup_sys(): the socket's cookie; a 4-byte value cannot hold it (ENOSPC). */
  protected override sysLookup(key: Uint8Array | null): Uint8Array | ErrnoResult {
    if (this.valueSize !== 8) return -Errno.ENOSPC;
    if (!key) return -Errno.EINVAL;
    const sock = this.sockAt(key);
    if (!sock) return -Errno.ENOENT;
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, sock.cookie), true);
    return out;
  }

  /** bpf_map_lookup_elem from a program: the struct sock (the verifier makes it an acquired PTR_TO_SOCKET_OR_NULL). */
  override lookupAddr(key: Uint8Array): bigint {
    return this.sockAt(key)?.addr ?? 0n;
  }

  /**
   * bpf_map_update_elem from a program passes a struct sock pointer, not value
   * bytes. No program can hold a socket while bpfsim has none, so this is
   * unreachable; it answers what the kernel answers for a pointer that is not
   * a full socket.
   */
  override updateFromProg(): ErrnoResult {
    return -Errno.EINVAL;
  }

  override deleteFromProg(key: Uint8Array): ErrnoResult {
    return this.sysDelete(key);
  }
}
