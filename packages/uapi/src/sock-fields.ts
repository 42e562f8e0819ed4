/**
 * What a program may load through a socket pointer: struct bpf_sock (PTR_TO_SOCKET), its
 * sock_common subset (PTR_TO_SOCK_COMMON) and struct bpf_tcp_sock (PTR_TO_TCP_SOCK), as the 6.18
 * kernel's bpf_sock_is_valid_access, bpf_sock_common_is_valid_access and
 * bpf_tcp_sock_is_valid_access allow it (measured access by access against the running kernel).
 * Loads only: every store through these pointers is refused. Layouts from /tmp/vmlinux.h.
 */
import type { CtxField, CtxSizes } from './prog-types/types';

type Spec = [name: string, off: number, size: number, read: CtxSizes];

const fields = (specs: readonly Spec[], extra: readonly CtxField[] = []): readonly CtxField[] =>
  Object.freeze([...specs.map(([name, off, size, read]) => Object.freeze<CtxField>({ name, off, size, read, write: null })), ...extra]);

/** A `case offsetof(...)` field: 1, 2 or 4 bytes at its first byte only. */
const START: CtxSizes = [1, 2, 4];

/** sizeof(struct bpf_sock). */
export const BPF_SOCK_SIZE = 80;
/** sizeof(struct bpf_tcp_sock). */
export const BPF_TCP_SOCK_SIZE = 112;

/** struct bpf_sock read rules shared by sockets and sock_common (the fields a request/timewait sock has too). */
const COMMON: Spec[] = [
  ['bound_dev_if', 0, 4, 'exact'],
  ['family', 4, 4, START],
  ['src_ip4', 24, 4, 'narrow'],
  ['src_ip6', 28, 16, 'narrow'],
  ['src_port', 44, 4, START],
  // __be16 dst_port, then 2 bytes of padding: 1/2-byte loads inside the port, or the legacy 4-byte load.
  ['dst_port', 48, 2, 'narrow'],
  ['dst_port', 48, 4, [4]],
  ['dst_ip4', 52, 4, 'narrow'],
  ['dst_ip6', 56, 16, 'narrow'],
  ['state', 72, 4, START],
  ['rx_queue_mapping', 76, 4, START],
];

/** PTR_TO_SOCK_COMMON: bpf_sock without type, protocol, mark, priority (not in sock_common). */
export const SOCK_COMMON_FIELDS: readonly CtxField[] = fields(COMMON);

/** PTR_TO_SOCKET: the whole struct bpf_sock. */
export const BPF_SOCK_FIELDS: readonly CtxField[] = fields([
  ...COMMON,
  ['type', 8, 4, START],
  ['protocol', 12, 4, START],
  ['mark', 16, 4, 'exact'],
  ['priority', 20, 4, 'exact'],
]);

const TCP_U32 = ['snd_cwnd', 'srtt_us', 'rtt_min', 'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache',
  'ecn_flags', 'rate_delivered', 'rate_interval_us', 'packets_out', 'retrans_out', 'total_retrans', 'segs_in',
  'data_segs_in', 'segs_out', 'data_segs_out', 'lost_out', 'sacked_out'];

/** PTR_TO_TCP_SOCK: whole-field loads only. */
export const TCP_SOCK_FIELDS: readonly CtxField[] = fields([
  ...TCP_U32.map((n, i): Spec => [n, i * 4, 4, 'exact']),
  ['bytes_received', 80, 8, 'exact'],
  ['bytes_acked', 88, 8, 'exact'],
  ['dsack_dups', 96, 4, 'exact'],
  ['delivered', 100, 4, 'exact'],
  ['delivered_ce', 104, 4, 'exact'],
  ['icsk_retransmits', 108, 4, 'exact'],
], [
  // The upper halves of the u64 counters pass bpf_tcp_sock_is_valid_access (4-byte aligned u32 loads)
  // but bpf_tcp_sock_convert_ctx_access has nothing for them: the kernel fails with EFAULT.
  { name: 'bytes_received', off: 84, size: 4, read: 'exact', write: null, convertFails: true },
  { name: 'bytes_acked', off: 92, size: 4, read: 'exact', write: null, convertFails: true },
]);
