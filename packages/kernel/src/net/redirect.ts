/**
 * Where a program asked the packet to go. The helpers (bpf/helpers/packet.ts,
 * redirect-peer.ts) leave the request in kernel.bpf.lastRedirect, as the
 * kernel's helpers leave it in the per-CPU bpf_redirect_info; the path reads
 * it once the program returned XDP_REDIRECT or TC_ACT_REDIRECT.
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { Kernel } from '../kernel/kernel';
import type { BpfMap } from '../bpf/maps/map';
import type { BpfProg } from '../bpf/prog';

export const BPF_F_INGRESS = 1;
export const BPF_F_BROADCAST = 8, BPF_F_EXCLUDE_INGRESS = 16;

export type RedirectRequest =
  | { kind: 'ifindex'; ifindex: number; flags: number }
  | { kind: 'peer'; ifindex: number; flags: number }
  | { kind: 'map'; map: BpfMap; key: number; flags: number };

/** Clear the request slot before a run (bpf_redirect_info is per run in effect). */
export function clearRedirect(kernel: Kernel): void {
  kernel.bpf.lastRedirect = undefined;
}

/** The request the last run left; undefined when it made none. */
export function takeRedirect(kernel: Kernel, prog: BpfProg): RedirectRequest | undefined {
  const r = kernel.bpf.lastRedirect;
  kernel.bpf.lastRedirect = undefined;
  if (!r) return undefined;
  const flags = Number(r.flags & 0xffffffffn);
  const ifm = /^ifindex:(\d+)$/.exec(r.target);
  if (r.helper === 'bpf_redirect' && ifm) return { kind: 'ifindex', ifindex: Number(ifm[1]), flags };
  if (r.helper === 'bpf_redirect_peer' && ifm) return { kind: 'peer', ifindex: Number(ifm[1]), flags };
  const mm = /^(.*)\[(\d+)\]$/.exec(r.target);
  if (r.helper === 'bpf_redirect_map' && mm) {
    const label = (m: BpfMap): string => m.name || `map#${m.id}`;
    // The map is one the program (or a tail-call target) uses; the helper named it by name or id.
    const byId = /^map#(\d+)$/.exec(mm[1]);
    const map = byId ? kernel.bpf.mapById(Number(byId[1])) : prog.maps.find((m) => label(m) === mm[1]);
    if (map) return { kind: 'map', map, key: Number(mm[2]), flags };
  }
  throw new BpfsimError('EREDIRECT', `program ${prog.label}: cannot follow redirect ${r.helper} to ${r.target}`);
}
