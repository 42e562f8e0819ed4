/**
 * toHaveSentPacket(matcher) / toHaveDropped(matcher): what the packet path did,
 * read from the kernel's `net` trace records — a frame a device transmitted
 * (`tx`, XDP_TX and redirects included), or a packet dropped anywhere on the
 * path (XDP, tc, netfilter, the stack), with the reason. Subjects: a device
 * (NetDevice: its own records), a scenario result, a kernel or a Kernel.
 * A matcher is text (contained in the packet's one-line summary), a RegExp, a
 * Uint8Array (the exact frame), or an object of those per field: { summary,
 * bytes, device, ns, reason }.
 */
import type { MatcherContext } from 'expect';
import { NetDevice, type TraceRecord } from '@bpfsim/kernel';
import type { ReplayResult } from '@bpfsim/scenario';
import { recordsOf, subjectError, type MatchResult } from './common';

export type PacketMatch = string | RegExp | Uint8Array | {
  summary?: string | RegExp;
  bytes?: Uint8Array | string;
  device?: string;
  ns?: string;
  /** For drops: xdp_drop, tc_ingress, netfilter_input, ... (text contained, or a RegExp). */
  reason?: string | RegExp;
};

interface NetRecord { kind: 'net'; t: string; ns: string; dev: string; event: string; reason: string; summary: string; data: string }

const isReplay = (v: unknown): v is ReplayResult => !!v && typeof v === 'object' && Array.isArray((v as ReplayResult).trace) && (v as ReplayResult).traceBytes instanceof Uint8Array;

/** The net records a subject stands for, and how to name it. */
function netRecords(received: unknown): { recs: NetRecord[]; what: string } | undefined {
  const only = (recs: readonly unknown[]): NetRecord[] => recs.filter((r) => (r as { kind?: string }).kind === 'net') as NetRecord[];
  if (received instanceof NetDevice) {
    const recs = only(received.ns.network.kernel.trace.records).filter((r) => r.ns === received.ns.name && r.dev === received.name);
    return { recs, what: `device ${received.ns.name}/${received.name}` };
  }
  if (isReplay(received)) return { recs: only(received.world.kernel.trace.records as readonly TraceRecord[]), what: `scenario ${received.file}` };
  const r = recordsOf(received);
  return r && { recs: only(r.records), what: r.what };
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const textHit = (m: string | RegExp, s: string): boolean => (typeof m === 'string' ? s.includes(m) : m.test(s));

function hits(m: PacketMatch, r: NetRecord): boolean {
  if (typeof m === 'string' || m instanceof RegExp) return textHit(m, r.summary);
  if (m instanceof Uint8Array) return r.data === hexOf(m);
  if (m.summary !== undefined && !textHit(m.summary, r.summary)) return false;
  if (m.bytes !== undefined && r.data !== (typeof m.bytes === 'string' ? m.bytes.replace(/[\s:]/g, '').toLowerCase() : hexOf(m.bytes))) return false;
  if (m.device !== undefined && r.dev !== m.device) return false;
  if (m.ns !== undefined && r.ns !== m.ns) return false;
  if (m.reason !== undefined && !textHit(m.reason, r.reason)) return false;
  return true;
}

const describeMatch = (m: PacketMatch): string =>
  typeof m === 'string' ? JSON.stringify(m) : m instanceof RegExp ? String(m) : m instanceof Uint8Array ? `the frame ${hexOf(m)}`
    : `{ ${Object.entries(m).map(([k, v]) => `${k}: ${v instanceof Uint8Array ? hexOf(v) : typeof v === 'string' ? JSON.stringify(v) : String(v)}`).join(', ')} }`;

const line = (r: NetRecord): string => `${r.ns}/${r.dev}${r.reason ? ` [${r.reason}]` : ''}: ${r.summary}`;

function packetMatcher(ctx: MatcherContext, name: string, event: 'tx' | 'drop', verb: string, received: unknown, m: PacketMatch): MatchResult {
  const head = () => ctx.utils.matcherHint(name, undefined, describeMatch(m), { isNot: ctx.isNot });
  const src = netRecords(received);
  if (!src) return { pass: false, message: () => `${head()}\n\n${subjectError(received, 'a device (NetDevice), a scenario result (bpfsim.scenario(file)) or a kernel')}` };
  if (m === undefined || m === null) return { pass: false, message: () => `${head()}\n\ngive a packet matcher: text, a RegExp, the frame's bytes or { summary, bytes, device, ns, reason }` };
  const seen = src.recs.filter((r) => r.event === event);
  const hit = seen.find((r) => hits(m, r));
  const shown = (list: NetRecord[]) => list.slice(0, 10).map((r) => `  ${line(r)}`).join('\n') + (list.length > 10 ? `\n  ... and ${list.length - 10} more` : '');
  return {
    pass: hit !== undefined,
    message: () => hit
      ? `${head()}\n\n${src.what} ${verb} ${describeMatch(m)}: ${line(hit)}`
      : `${head()}\n\n${src.what} ${verb} no packet matching ${describeMatch(m)}; ` +
        (seen.length ? `it ${verb} ${seen.length}:\n${shown(seen)}` : `it ${verb} none`),
  };
}

export function toHaveSentPacket(this: MatcherContext, received: unknown, m: PacketMatch): MatchResult {
  return packetMatcher(this, 'toHaveSentPacket', 'tx', 'sent', received, m);
}

export function toHaveDropped(this: MatcherContext, received: unknown, m: PacketMatch): MatchResult {
  return packetMatcher(this, 'toHaveDropped', 'drop', 'dropped', received, m);
}
