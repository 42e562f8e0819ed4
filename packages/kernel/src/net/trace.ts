/**
 * What the packet path appends to the kernel trace. Records are plain data
 * (strings and numbers), as kernel/trace.ts demands; packets appear as the
 * one-line summaries of @bpfsim/packet plus their bytes in hex.
 */
import { parsePacket, summarize } from '@bpfsim/packet';
import type { Kernel } from '../kernel/kernel';
import type { TraceRecord } from '../kernel/trace';

export type NetTraceRecord =
  /** A packet seen at a device: rx from the wire/peer, tx to the driver, delivered to the stack, dropped. */
  | { kind: 'net'; t: string; ns: string; dev: string; ifindex: number; event: NetEvent; reason: string; len: number; summary: string; data: string }
  /** A tracepoint the packet path fires (xdp:xdp_exception, xdp:xdp_redirect_err). */
  | { kind: 'net_tracepoint'; t: string; name: string; progId: number; act: number; ifindex: number; toIfindex: number; err: number };

export type NetEvent = 'rx' | 'tx' | 'xdp' | 'tc_ingress' | 'tc_egress' | 'deliver' | 'drop' | 'redirect' | 'arp' | 'ip_rcv' | 'forward' | 'local_in' | 'local_out' | 'sock';

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** The packet's one-line summary; a parse that fails is named, never thrown. */
export function packetSummary(bytes: Uint8Array): string {
  try {
    return summarize(parsePacket(bytes));
  } catch (e) {
    return `unparsable (${(e as Error).message})`;
  }
}

// kernel/trace.ts's union does not list these kinds yet; the records obey its rules (plain data).
const emit = (kernel: Kernel, rec: NetTraceRecord): void => kernel.trace.emit(rec as unknown as TraceRecord);

/**
 * Summaries of recently traced packets by their hex: a packet is traced at every step of its
 * path (rx, xdp, deliver) and flows repeat, while parsing is most of a trace record's cost.
 * The summary is a function of the bytes alone, so the cache changes no record.
 */
const SUMMARY_CACHE_SIZE = 64;
const summaries = new Map<string, string>();
function cachedSummary(data: string, bytes: Uint8Array): string {
  let s = summaries.get(data);
  if (s === undefined) {
    s = packetSummary(bytes);
    if (summaries.size >= SUMMARY_CACHE_SIZE) summaries.delete(summaries.keys().next().value!);
    summaries.set(data, s);
  }
  return s;
}

export function tracePacket(kernel: Kernel, ns: string, dev: string, ifindex: number, event: NetEvent, reason: string, bytes: Uint8Array): void {
  const data = hexOf(bytes);
  emit(kernel, {
    kind: 'net', t: kernel.clock.monotonicNs.toString(), ns, dev, ifindex, event, reason, len: bytes.length, summary: cachedSummary(data, bytes), data,
  });
}

export function traceTracepoint(kernel: Kernel, name: string, f: { progId: number; act: number; ifindex: number; toIfindex?: number; err?: number }): void {
  emit(kernel, { kind: 'net_tracepoint', t: kernel.clock.monotonicNs.toString(), name, progId: f.progId, act: f.act, ifindex: f.ifindex, toIfindex: f.toIfindex ?? 0, err: f.err ?? 0 });
}
