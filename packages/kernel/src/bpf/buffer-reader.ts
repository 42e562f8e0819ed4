/**
 * User space's side of the BPF output buffers, as libbpf consumes them:
 * - ring buffers (ring_buffer__poll): every committed record in position order, discarded ones
 *   skipped; when the consumer falls behind and the ring fills, bpf_ringbuf_reserve returns NULL
 *   and bpf_ringbuf_output -EAGAIN (the map counts them: reported here as `dropped`).
 * - perf buffers (perf_buffer__new + perf_buffer__poll): one BPF output perf event per CPU in the
 *   PERF_EVENT_ARRAY, each with a ring of `perfPages` data pages. A sample takes
 *   sizeof(perf_event_header) + round_up(4 + size, 8) bytes and its raw size reads back padded to
 *   that (what the sample callback's `size` says). When a ring has no room, perf_output_begin
 *   fails: bpf_perf_event_output returns -ENOSPC and the ring's lost count grows; the next sample
 *   that fits is preceded by a PERF_RECORD_LOST (24 bytes) carrying the count, which libbpf hands
 *   to the lost callback. CIRC_SPACE keeps one byte free, so a ring never fills to the last byte.
 * The consumer runs when polled: every poll point by default (it never falls behind), or at most
 * once per `pollIntervalNs` of virtual time (a busy reader that falls behind).
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { Kernel } from '../kernel/kernel';
import type { BpfMap, ErrnoResult, PerfEventRef, PerfSampleSink } from './maps/map';

const PAGE_SIZE = 4096;
/** struct perf_event_header */
const PERF_HEADER = 8;
/** PERF_RECORD_LOST: header, u64 id, u64 lost (libbpf's events have no sample_id_all). */
const LOST_RECORD = 24;
/** libbpf-tools' PERF_BUFFER_PAGES. */
export const DEFAULT_PERF_PAGES = 16;

export type BufferSource = 'ringbuf' | 'perf';

export interface BufferSample {
  kind: 'sample';
  source: BufferSource;
  map: string;
  cpu: number;
  /** When the program produced it (CLOCK_MONOTONIC ns). */
  timeNs: bigint;
  data: Uint8Array;
}

/** perf: a PERF_RECORD_LOST as the lost callback sees it; ringbuf: records the kernel refused while the ring was full. */
export interface BufferLoss {
  kind: 'lost';
  source: BufferSource;
  map: string;
  cpu: number;
  timeNs: bigint;
  count: number;
}

export type BufferEvent = BufferSample | BufferLoss;

export interface BufferReaderOptions {
  /** Data pages of each CPU's perf ring (perf_buffer__new's page_cnt: a power of 2). */
  perfPages?: number;
  /** The consumer runs at most once per this many ns of virtual time (0: at every poll). */
  pollIntervalNs?: bigint;
}

const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

type RingEntry = { kind: 'sample'; data: Uint8Array; timeNs: bigint } | { kind: 'lost'; count: number; timeNs: bigint };

/** The mmapped ring of one CPU's BPF output perf event. */
export class PerfRing implements PerfSampleSink {
  readonly dataSize: number;
  private used = 0;
  private lost = 0;
  /** Samples refused since the ring was created (all PERF_RECORD_LOST counts plus the pending one). */
  lostTotal = 0;
  private readonly entries: RingEntry[] = [];

  constructor(pages: number, private readonly now: () => bigint) {
    this.dataSize = pages * PAGE_SIZE;
  }

  write(data: Uint8Array): ErrnoResult {
    const sample = PERF_HEADER + roundUp8(4 + data.length);
    const need = sample + (this.lost ? LOST_RECORD : 0);
    if (this.dataSize - this.used - 1 < need) {
      this.lost++;
      this.lostTotal++;
      return -Errno.ENOSPC;
    }
    const timeNs = this.now();
    if (this.lost) {
      this.entries.push({ kind: 'lost', count: this.lost, timeNs });
      this.used += LOST_RECORD;
      this.lost = 0;
    }
    // The raw data reads back padded so that u32 size + data is a multiple of 8.
    const padded = new Uint8Array(roundUp8(4 + data.length) - 4);
    padded.set(data);
    this.entries.push({ kind: 'sample', data: padded, timeNs });
    this.used += sample;
    return 0;
  }

  /** Everything written since the last read (the consumer moves data_tail to data_head). */
  read(): RingEntry[] {
    const out = this.entries.splice(0);
    this.used = 0;
    return out;
  }
}

interface PerfReader {
  map: BpfMap;
  rings: { cpu: number; ring: PerfRing }[];
}

interface RingReader {
  map: BpfMap & { consume(): Uint8Array[]; dropped: number };
  dropped: number;
  /** Committed records the kernel trace saw, not yet consumed: their time and CPU. */
  seen: { hex: string; timeNs: bigint; cpu: number }[];
}

const mapName = (m: BpfMap): string => m.name || `map#${m.id}`;

/**
 * Opens the output buffers of a set of maps as a tool's user space would, and polls them.
 * Perf event arrays get a BPF output event per CPU (slot = CPU), as perf_buffer__new fills them.
 */
export class BufferReader {
  private readonly perf: PerfReader[] = [];
  private readonly rings: RingReader[] = [];
  private readonly interval: bigint;
  private lastPoll: bigint | undefined;
  private traceAt = 0;

  constructor(private readonly kernel: Kernel, maps: readonly BpfMap[], opts: BufferReaderOptions = {}) {
    const pages = opts.perfPages ?? DEFAULT_PERF_PAGES;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0) throw new RangeError(`perf buffer: page count must be a power of 2, got ${pages}`);
    this.interval = opts.pollIntervalNs ?? 0n;
    if (this.interval < 0n) throw new RangeError(`poll interval must be >= 0 ns, got ${this.interval}`);
    this.traceAt = kernel.trace.records.length;
    for (const map of maps) {
      if (map.type === BpfMapType.RINGBUF) {
        const rb = map as RingReader['map'];
        this.rings.push({ map: rb, dropped: rb.dropped, seen: [] });
      } else if (map.type === BpfMapType.PERF_EVENT_ARRAY) {
        this.perf.push({ map, rings: this.openPerf(map, pages) });
      }
    }
  }

  private openPerf(map: BpfMap, pages: number): PerfReader['rings'] {
    const k = this.kernel;
    const rings: PerfReader['rings'] = [];
    const cpus = Math.min(k.sched.cpus, map.maxEntries);
    for (let cpu = 0; cpu < cpus; cpu++) {
      const fd = k.bpf.perfEventOpen(cpu);
      if (fd < 0) throw new RangeError(`perf_event_open on cpu ${cpu}: errno ${-fd}`);
      const ev = k.bpf.fdObject(fd)!.obj as PerfEventRef;
      const ring = new PerfRing(pages, () => k.clock.monotonicNs);
      ev.ring = ring;
      const key = new Uint8Array(4);
      const value = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, cpu, true);
      new DataView(value.buffer).setUint32(0, fd, true);
      const r = map.update(key, value, 0);
      if (r < 0) throw new RangeError(`perf buffer ${mapName(map)}: slot ${cpu}: errno ${-r}`);
      rings.push({ cpu, ring });
    }
    return rings;
  }

  /** Samples refused so far (-ENOSPC for perf, NULL/-EAGAIN for ring buffers), per "source:map". */
  lostCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.rings) out[`ringbuf:${mapName(r.map)}`] = r.map.dropped;
    for (const p of this.perf) out[`perf:${mapName(p.map)}`] = p.rings.reduce((n, x) => n + x.ring.lostTotal, 0);
    return out;
  }

  /**
   * A poll point: if the consumer is due (always, without an interval), everything the buffers
   * hold, ring buffers first then perf buffers CPU by CPU, each in the order it was written.
   * `force` is the final drain when the tool exits.
   */
  poll(force = false): BufferEvent[] {
    const now = this.kernel.clock.monotonicNs;
    if (!force && this.interval > 0n && this.lastPoll !== undefined && now - this.lastPoll < this.interval) return [];
    this.lastPoll = now;
    this.noteCommits();
    const out: BufferEvent[] = [];
    for (const r of this.rings) {
      const name = mapName(r.map);
      if (r.map.dropped > r.dropped) {
        out.push({ kind: 'lost', source: 'ringbuf', map: name, cpu: 0, timeNs: now, count: r.map.dropped - r.dropped });
        r.dropped = r.map.dropped;
      }
      for (const data of r.map.consume()) {
        const h = Buffer.from(data).toString('hex');
        const i = r.seen.findIndex((s) => s.hex === h);
        const at = i >= 0 ? r.seen.splice(i, 1)[0] : { timeNs: now, cpu: 0 };
        out.push({ kind: 'sample', source: 'ringbuf', map: name, cpu: at.cpu, timeNs: at.timeNs, data });
      }
    }
    for (const p of this.perf) {
      const name = mapName(p.map);
      for (const { cpu, ring } of p.rings) {
        for (const e of ring.read()) {
          if (e.kind === 'lost') out.push({ kind: 'lost', source: 'perf', map: name, cpu, timeNs: e.timeNs, count: e.count });
          else out.push({ kind: 'sample', source: 'perf', map: name, cpu, timeNs: e.timeNs, data: e.data });
        }
      }
    }
    return out;
  }

  /** Ring buffer records carry no time: take each committed record's time and CPU from the kernel trace. */
  private noteCommits(): void {
    const recs = this.kernel.trace.records;
    if (this.traceAt > recs.length) this.traceAt = 0;
    for (; this.traceAt < recs.length; this.traceAt++) {
      const r = recs[this.traceAt];
      if (r.kind !== 'ringbuf') continue;
      const rb = this.rings.find((x) => mapName(x.map) === r.map);
      rb?.seen.push({ hex: r.data, timeNs: BigInt(r.t), cpu: r.cpu });
    }
  }
}
