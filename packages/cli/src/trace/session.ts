/**
 * One `bpfsim trace` run: what a libbpf tool does (open the object, set its globals, load,
 * attach every program by SEC() name, open its ring and perf buffers) inside a simulated kernel
 * driven by recorded activity — an strace log replayed call by call, or a scenario file — and
 * what its user space receives: buffer records, trace_pipe lines, then every map's contents.
 * User space polls its buffers after each syscall of the activity (and once at the end).
 */
import * as fs from 'fs';
import { BpfMapType } from '@bpfsim/uapi';
import type { BpfObject } from '@bpfsim/loader';
import { BufferReader, parseObject, tracepointFormat, vmlinuxBtf, type BufferEvent, type Kernel, type LoadedObject, type TraceRecord } from '@bpfsim/kernel';
import { loadScenarioFile, parseStraceLog, replayLoaded, replayStraceLog } from '@bpfsim/scenario';
import { InputError } from '../program-file';
import { dataVariables, setGlobals } from './globals';
import { RecordDecoder, decodeTyped, type Decoded } from './decode';

export interface TraceRunOptions {
  object: Uint8Array;
  file: string;
  /** An strace log (`strace -f -ttt -v -s 4096`), or a scenario (.yaml/.yml). */
  activity: string;
  set?: readonly string[];
  recordType?: string;
  /** Attach only these programs (all are loaded, as libbpf loads them). */
  progs?: readonly string[];
  perfPages?: number;
  pollIntervalNs?: bigint;
  seed?: string;
  /** perf_event programs: samples per virtual second on every CPU (a profiler's -F; default 49). */
  sampleFreq?: number;
}

export interface TraceLine {
  time: bigint;
  cpu: number;
  source: string;
  record: Decoded | { line: string; pid: number; comm: string; msg: string } | { lost: number } | { text: string };
}

export interface TraceRunResult {
  lines: TraceLine[];
  maps: Record<string, unknown>;
  /** Samples the kernel refused because a buffer was full, per "ringbuf:<map>" / "perf:<map>". */
  lost: Record<string, number>;
  attached: { prog: string; section: string }[];
  activity: { kind: 'strace'; matched: number; mismatched: number; unsupported: number } | { kind: 'scenario'; events: number; passed: boolean };
  notes: string[];
}

/** SEC() prefixes bpfsim attaches as libbpf's bpf_program__attach does (the program's hook is its section). */
const TRACEPOINTS = ['tracepoint/', 'tp/', 'raw_tracepoint/', 'raw_tp/', 'tp_btf/'];
/** Attached through the kernel's kprobe model (trace/kprobes.ts), which refuses functions it does not model. */
const KPROBES = ['kprobe/', 'kretprobe/', 'kprobe.multi/', 'kretprobe.multi/', 'ksyscall/', 'kretsyscall/', 'fentry/', 'fentry.s/', 'fexit/', 'fexit.s/', 'fmod_ret/', 'fmod_ret.s/'];
/** User-space probes on the user functions a scenario declares (trace/uprobe.ts). */
const UPROBES = ['uprobe/', 'uprobe.s/', 'uretprobe/', 'uretprobe.s/'];
/** perf_event: a cpu-clock sampler on every CPU; iter/: read like a file when the activity ends. */
const SAMPLED = ['perf_event'];
const ITERATORS = ['iter/'];
const ATTACHABLE = [...TRACEPOINTS, ...KPROBES, ...UPROBES, ...SAMPLED, ...ITERATORS];
const NOT_YET = ['usdt', 'uprobe.multi', 'uretprobe.multi', 'iter.s/', 'lsm/', 'lsm.s/'];

/** The tracepoint a tracepoint/tp section names must exist in the profile (libbpf: -ENOENT from tracefs). */
function checkSection(file: string, prog: string, section: string): void {
  const pending = NOT_YET.find((p) => section.startsWith(p));
  const prefix = pending ? undefined : ATTACHABLE.find((p) => section.startsWith(p));
  if (!prefix) {
    throw new InputError(pending
      ? `${file}: program ${prog}: SEC("${section}") is not modelled yet by bpfsim trace (it attaches ${ATTACHABLE.join(', ')}); leave it out with --prog`
      : `${file}: program ${prog}: SEC("${section}") has no auto-attach bpfsim trace knows (it attaches ${ATTACHABLE.join(', ')})`);
  }
  const rest = section.slice(prefix.length);
  if (prefix === 'tracepoint/' || prefix === 'tp/') {
    const [sys, event] = rest.split('/');
    if (!sys || !event) throw new InputError(`${file}: program ${prog}: SEC("${section}"): expected ${prefix}<system>/<event>`);
    try {
      tracepointFormat(`${sys}:${event}`);
    } catch {
      throw new InputError(`${file}: program ${prog}: SEC("${section}"): Linux 6.18 has no tracepoint ${sys}:${event} (see bpfsim tracepoints)`);
    }
  } else if (!rest && !SAMPLED.includes(prefix)) throw new InputError(`${file}: program ${prog}: SEC("${section}"): no target named`);
}

export function runTrace(opts: TraceRunOptions): TraceRunResult {
  const out: TraceRunResult = { lines: [], maps: {}, lost: {}, attached: [], activity: { kind: 'scenario', events: 0, passed: true }, notes: [] };
  let obj: BpfObject | undefined;
  let loaded: LoadedObject | undefined;
  let reader: BufferReader | undefined;
  let decoder: RecordDecoder | undefined;
  let kernel: Kernel | undefined;
  let pipeAt = 0;
  let traceAt = 0;
  let setupError: unknown;
  const iterLinks: { prog: string; link: number }[] = [];

  const take = (events: BufferEvent[]): void => {
    for (const e of events) {
      const source = `${e.source}:${e.map}`;
      if (e.kind === 'lost') out.lines.push({ time: e.timeNs, cpu: e.cpu, source, record: { lost: e.count } });
      else out.lines.push({ time: e.timeNs, cpu: e.cpu, source, record: decoder!.decode(e.data, e.source) });
    }
  };
  const poll = (force = false): void => {
    if (!kernel || !reader) return;
    // Each bpf_trace_printk adds one trace_pipe line and one trace record, in the same order.
    const recs = kernel.trace.records;
    const pipe = kernel.bpf.tracePipe;
    for (; traceAt < recs.length; traceAt++) {
      const r = recs[traceAt] as TraceRecord;
      if (r.kind !== 'trace_pipe') continue;
      out.lines.push({ time: BigInt(r.t), cpu: r.cpu, source: 'trace_pipe', record: { line: pipe[pipeAt++] ?? '', pid: r.pid, comm: r.comm, msg: r.text } });
    }
    take(reader.poll(force));
  };

  /** The tool starts: runs once the activity's world is up, before its first event. */
  const start = (k: Kernel): void => {
    try {
      kernel = k;
      void k.world;
      obj = parseObject(opts.object, opts.file, { kconfig: k.kconfig, btf: vmlinuxBtf() });
      setGlobals(obj, opts.set ?? []);
      decoder = new RecordDecoder(obj, opts.recordType);
      const names = obj.programs.map((p) => p.name);
      for (const p of opts.progs ?? []) {
        if (!names.includes(p)) throw new InputError(`--prog ${p}: ${opts.file} has no program '${p}' (it has: ${names.join(', ')})`);
      }
      const chosen = obj.programs.filter((p) => !opts.progs?.length || opts.progs.includes(p.name));
      for (const p of chosen) checkSection(opts.file, p.name, p.section);
      loaded = k.loadObject(obj, { file: opts.file });
      traceAt = k.trace.records.length;
      pipeAt = k.bpf.tracePipe.length;
      reader = new BufferReader(k, [...loaded.maps.values()].map((h) => h.map), { perfPages: opts.perfPages, pollIntervalNs: opts.pollIntervalNs });
      for (const p of chosen) {
        try {
          const h = loaded.program(p.name);
          if (p.section === 'perf_event') {
            // profile's user space: a cpu-clock perf event per CPU at the sampling frequency, the program set on each
            for (let cpu = 0; cpu < k.sched.cpus; cpu++) {
              const fd = k.bpf.perfSamplerOpen({ cpu, freq: opts.sampleFreq ?? 49 });
              if (fd < 0) throw new InputError(`--sample-freq ${opts.sampleFreq}: perf_event_open refused it (errno ${-fd})`);
              const r = k.bpf.perfEventSetBpf(fd, h.fd);
              if (r < 0) throw new Error(`PERF_EVENT_IOC_SET_BPF: errno ${-r}`);
            }
          } else if (p.section.startsWith('iter/')) iterLinks.push({ prog: p.name, link: h.attach(p.section) });
          else h.attach(p.section);
        } catch (e) {
          // The kprobe model names the function and the nearest modelled ones; say which program asked.
          const msg = e instanceof Error ? e.message : String(e);
          throw new InputError(`${opts.file}: program ${p.name}: attach SEC("${p.section}"): ${msg}`);
        }
        out.attached.push({ prog: p.name, section: p.section });
      }
      // User space's poll points: after each syscall of the activity.
      const syscall = k.syscall.bind(k);
      k.syscall = (...a: Parameters<Kernel['syscall']>) => {
        const r = syscall(...a);
        poll();
        return r;
      };
    } catch (e) {
      setupError = e;
      throw e;
    }
  };

  try {
    if (/\.ya?ml$/i.test(opts.activity)) {
      const scenario = loadScenarioFile(opts.activity);
      const seed = opts.seed !== undefined && /^\d{1,10}$/.test(opts.seed) ? Number(opts.seed) : undefined;
      if (opts.seed !== undefined && seed === undefined) throw new InputError(`--seed ${opts.seed}: a scenario's seed is a whole number`);
      const r = replayLoaded(scenario, { seed, onWorld: (w) => start(w.kernel) });
      out.activity = { kind: 'scenario', events: r.trace.filter((t) => t.ev >= 0).length, passed: r.passed };
    } else {
      let text: string;
      try {
        text = fs.readFileSync(opts.activity, 'utf8');
      } catch {
        throw new InputError(`--activity ${opts.activity}: cannot read`);
      }
      const log = parseStraceLog(text, opts.activity);
      const metaFile = opts.activity.replace(/\.log$/, '') + '.json';
      let cwd: string | undefined;
      if (metaFile !== opts.activity && fs.existsSync(metaFile)) {
        try {
          cwd = (JSON.parse(fs.readFileSync(metaFile, 'utf8')) as { cwd?: string }).cwd;
        } catch {
          // a sidecar that is not the recorder's metadata: replay from /
        }
      }
      const r = replayStraceLog(log, { cwd, seed: opts.seed, onReady: start });
      out.activity = { kind: 'strace', matched: r.matched, mismatched: r.mismatched, unsupported: r.unsupported };
    }
  } catch (e) {
    throw setupError ?? e;
  }
  if (!kernel || !loaded || !reader || !obj) throw new InputError(`--activity ${opts.activity}: the activity never started`);
  poll(true);
  // Iterators are read once the activity is over, as `cat` of a pinned iterator would be.
  for (const it of iterLinks) {
    const fd = kernel.bpfSyscall('ITER_CREATE', { linkFd: it.link }).ret;
    const text = fd < 0 ? fd : kernel.bpf.iterRead(fd, 1 << 30);
    if (typeof text === 'number') throw new InputError(`${opts.file}: program ${it.prog}: reading the iterator failed (errno ${-text})`);
    out.lines.push({ time: kernel.clock.monotonicNs, cpu: 0, source: `iter:${it.prog}`, record: { text: Buffer.from(text).toString('latin1') } });
    kernel.bpf.close(fd);
  }
  out.lost = reader.lostCounts();
  for (const [key, names] of decoder!.ambiguous) out.notes.push(`records of ${key.replace(':', ' size ')} bytes match several structs (${names.join(', ')}): give --record-type`);
  out.maps = mapContents(loaded, obj);
  return out;
}

const PERCPU = new Set<number>([BpfMapType.PERCPU_HASH, BpfMapType.PERCPU_ARRAY, BpfMapType.LRU_PERCPU_HASH]);

/** Every map as user space reads it after the run: entries decoded through BTF (per-CPU maps: one value per CPU). */
function mapContents(loaded: LoadedObject, obj: BpfObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, h] of loaded.maps) {
    const m = h.map;
    const spec = obj.maps.find((s) => s.name === name);
    if (name.startsWith('.')) {
      if (!name.startsWith('.kconfig')) out[name] = globalValues(obj, name, m.lookup(new Uint8Array(4)));
      continue;
    }
    if (m.type === BpfMapType.RINGBUF || m.type === BpfMapType.PERF_EVENT_ARRAY || m.keySize === 0) continue;
    if (m.type === BpfMapType.PROG_ARRAY || m.type === BpfMapType.ARRAY_OF_MAPS || m.type === BpfMapType.HASH_OF_MAPS) continue;
    const entries: { key: Decoded; value: Decoded | Decoded[] }[] = [];
    let key: Uint8Array | null = null;
    for (let n = 0; n < 1_000_000; n++) {
      const next = m.getNextKey(key);
      if (typeof next === 'number') break;
      const v = m.lookup(next);
      if (typeof v !== 'number') {
        const value = PERCPU.has(m.type)
          ? Array.from({ length: v.length / (Math.ceil(m.valueSize / 8) * 8) }, (_, c) => decodeTyped(obj, spec?.btfValueTypeId, v.slice(c * Math.ceil(m.valueSize / 8) * 8, c * Math.ceil(m.valueSize / 8) * 8 + m.valueSize)))
          : decodeTyped(obj, spec?.btfValueTypeId, v);
        entries.push({ key: decodeTyped(obj, spec?.btfKeyTypeId, next), value });
      }
      key = next;
    }
    out[name] = entries;
  }
  return out;
}

/** A global data section as its variables: { name: value }. */
function globalValues(obj: BpfObject, section: string, image: Uint8Array | number): Record<string, Decoded> {
  const out: Record<string, Decoded> = {};
  if (typeof image === 'number') return out;
  for (const v of dataVariables(obj).values()) {
    if (v.section !== section) continue;
    out[v.name] = decodeTyped(obj, v.type, image.subarray(v.offset, v.offset + v.size));
  }
  return out;
}
