/**
 * Packet events: `packet` sends one frame (or every frame of a capture file)
 * into a device, `flow` sends `count` frames at `rate` per virtual second.
 * A flow's frame i is due at start + i·10⁹/rate ns; when the path is still
 * busy with the previous one (the clock is past the slot), it goes as soon as
 * the CPU is free, so the flow's busy time is the modelled cost of the path and
 * its outcome says what one simulated CPU sustains. Only the first `trace`
 * frames of a flow keep their kernel records in the trace; the outcome counts
 * the rest (drops by reason, deliveries).
 */
import { BpfsimError } from '@bpfsim/uapi';
import { packetFromExpr, readCapture } from '@bpfsim/packet';
import { hex, packetSummary } from '@bpfsim/kernel';
import { ScenarioError, type Place } from './errors';
import type { EventContext, EventResult } from './events';
import { FileRefused, readContained } from './files';
import type { FlowEvent, NetEventBody, PacketEvent, PacketSource } from './net-format';
import { devNamed, netOf } from './net-world';
import { resolveBytes } from './values';

const NS_PER_S = 1_000_000_000n;
const DEFAULT_TRACED = 2;

function place(c: EventContext, ...rest: (string | number)[]): Place {
  return { file: c.file, path: ['events', c.index, ...rest] };
}

/** The frames a packet source gives: one (bytes, build) or every packet of a capture file. */
function framesOf(src: PacketSource, c: EventContext, kind: string): Uint8Array[] {
  const given = [src.bytes, src.build, src.pcap].filter((x) => x !== undefined).length;
  if (given !== 1) throw new ScenarioError(place(c, kind), "give the packet as exactly one of 'bytes', 'build' (a packet expression) or 'pcap' (a capture file)");
  if (src.bytes !== undefined) {
    const b = resolveBytes(src.bytes);
    if (typeof b === 'string') throw new ScenarioError(place(c, kind, 'bytes'), b);
    return [b];
  }
  if (src.build !== undefined) {
    try {
      return [packetFromExpr(src.build, 'build')];
    } catch (e) {
      if (e instanceof BpfsimError || e instanceof Error) throw new ScenarioError(place(c, kind, 'build'), e.message);
      throw e;
    }
  }
  const { loaded } = netOf(c.world);
  let bytes: Uint8Array;
  try {
    bytes = readContained(src.pcap!, loaded.dir, loaded.allowPaths, loaded.limits.maxDataBytes);
  } catch (e) {
    if (e instanceof FileRefused) throw new ScenarioError(place(c, kind, 'pcap'), e.message);
    throw e;
  }
  try {
    const cap = readCapture(bytes, { file: src.pcap });
    const bad = cap.interfaces.findIndex((i) => i.linkType !== 1);
    if (bad >= 0) throw new ScenarioError(place(c, kind, 'pcap'), `${src.pcap}: interface ${bad} has link type ${cap.interfaces[bad].linkType}; devices take Ethernet (1)`);
    if (cap.packets.length === 0) throw new ScenarioError(place(c, kind, 'pcap'), `${src.pcap} holds no packets`);
    return cap.packets.map((p) => p.data);
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    if (e instanceof Error) throw new ScenarioError(place(c, kind, 'pcap'), e.message);
    throw e;
  }
}

function send(c: EventContext, kind: string, ev: PacketEvent | FlowEvent, frame: Uint8Array): void {
  const dev = devNamed(netOf(c.world).network, ev.ns, ev.device, place(c, kind, 'device'));
  try {
    if (ev.from === 'host') dev.transmit(frame);
    else dev.receive(frame);
  } catch (e) {
    if (e instanceof BpfsimError) throw new ScenarioError(place(c, kind), e.message);
    throw e;
  }
}

export function runNetEvent(e: NetEventBody, c: EventContext): EventResult {
  if (e.kind === 'packet') {
    const p = e.packet;
    const frames = framesOf(p, c, 'packet');
    for (const f of frames) send(c, 'packet', p, f);
    return {
      outcome: { kind: 'packet', ns: p.ns ?? 'init', device: p.device, from: p.from ?? 'wire', packets: frames.length, summary: packetSummary(frames[0]), data: hex(frames[0]) },
      failures: [],
    };
  }
  return runFlow(e.flow, c);
}

interface NetRec { kind: string; event?: string; reason?: string }

function runFlow(f: FlowEvent, c: EventContext): EventResult {
  const k = c.world.kernel;
  const frames = framesOf(f, c, 'flow');
  const keep = f.trace ?? DEFAULT_TRACED;
  const start = k.clock.monotonicNs;
  let busy = 0n;
  const drops = new Map<string, number>();
  let delivered = 0;
  for (let i = 0; i < f.count; i++) {
    const due = start + (BigInt(i) * NS_PER_S) / BigInt(f.rate);
    if (k.clock.monotonicNs < due) k.clock.advanceTo(due);
    const t0 = k.clock.monotonicNs;
    const mark = k.trace.records.length;
    send(c, 'flow', f, frames[i % frames.length]);
    busy += k.clock.monotonicNs - t0;
    const recs = k.trace.records as unknown as NetRec[];
    for (let j = mark; j < recs.length; j++) {
      const r = recs[j];
      if (r.kind !== 'net') continue;
      if (r.event === 'drop') drops.set(r.reason ?? '', (drops.get(r.reason ?? '') ?? 0) + 1);
      else if (r.event === 'deliver') delivered++;
    }
    // Only the first frames' records stay: a flood's records would be most of the trace.
    if (i >= keep) k.trace.records.length = mark;
  }
  const count = BigInt(f.count);
  const perPacket = busy / count;
  return {
    outcome: {
      kind: 'flow', ns: f.ns ?? 'init', device: f.device, from: f.from ?? 'wire', count: f.count, rate: f.rate, traced: Math.min(keep, f.count),
      summary: packetSummary(frames[0]),
      busy_ns: String(busy), ns_per_packet: String(perPacket),
      // What one simulated CPU sustains on this path: 10⁹ ns divided by the cost of one packet.
      pps_one_cpu: busy === 0n ? 'unbounded' : String((NS_PER_S * count) / busy),
      delivered,
      drops: [...drops.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([r, n]) => `${r}=${n}`).join(','),
      end: String(k.clock.monotonicNs),
    },
    failures: [],
  };
}

/** The timeline line of a packet or flow event (report.ts). */
export function describeNetOutcome(o: Record<string, unknown>): string {
  const where = `${String(o.ns)}/${String(o.device)}${o.from === 'host' ? ' (sent by the host)' : ''}`;
  if (o.kind === 'packet') return `packet into ${where}: ${String(o.summary)}${o.packets === 1 ? '' : ` (+${Number(o.packets) - 1} more)`}`;
  return `flow into ${where}: ${String(o.count)} × ${String(o.summary)} at ${String(o.rate)}/s: ${String(o.ns_per_packet)} ns/packet (${String(o.pps_one_cpu)} packets/s on one CPU)` +
    `${o.drops ? `, dropped ${String(o.drops)}` : ''}${o.delivered ? `, delivered ${String(o.delivered)}` : ''}`;
}
