/**
 * `bpfsim trace <obj.o> --activity <strace log | scenario.yaml>`: run a libbpf tracing tool
 * unmodified on recorded activity and print what its user space would receive (trace/session.ts).
 */
import type { Command } from '../command';
import { InputError, readFileBytes } from '../program-file';
import { runTrace, type TraceLine } from '../trace/session';
import { formatValue, toJson } from '../trace/decode';
import { clip } from '@bpfsim/scenario';

function timeText(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}

function textLine(l: TraceLine): string {
  const r = l.record as Record<string, unknown>;
  if (l.source === 'trace_pipe') return String(r.line);
  if (l.source.startsWith('iter:')) return `${l.source}:\n${String(r.text).replace(/\n$/, '')}`;
  if ('lost' in r && Object.keys(r).length === 1) return `${timeText(l.time)} cpu ${l.cpu} ${l.source} LOST ${String(r.lost)} samples`;
  return `${timeText(l.time)} cpu ${l.cpu} ${l.source} ${formatValue(l.record)}`;
}

export const traceCommand: Command = {
  command: 'trace <object>',
  describe: 'Run a tracing tool (a libbpf object) on recorded activity; print its buffer records, trace_pipe lines and maps',
  builder: (y) =>
    y
      .positional('object', { type: 'string', describe: 'a clang-built eBPF object (.bpf.o)' })
      .option('activity', { type: 'string', demandOption: true, describe: 'an strace log (strace -f -ttt -v -s 4096), or a scenario .yaml' })
      .option('set', { type: 'string', array: true, describe: "NAME=VALUE: a .rodata/.data/.bss variable, as skel->rodata->NAME = VALUE (repeatable)" })
      .option('record-type', { type: 'string', describe: 'the struct ring/perf buffer records are (default: the one struct of the record size)' })
      .option('prog', { type: 'string', array: true, describe: 'attach only these programs (repeatable; all are loaded)' })
      .option('perf-pages', { type: 'number', default: 16, describe: "data pages of each CPU's perf buffer (perf_buffer__new page_cnt)" })
      .option('poll-interval', { type: 'string', describe: 'ns of virtual time between user-space polls (default: after every syscall)' })
      .option('seed', { type: 'string', describe: 'kernel seed' })
      .option('sample-freq', { type: 'number', default: 49, describe: 'perf_event programs: samples per virtual second on each CPU (as profile -F)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON line per record, then {"maps": {...}}' }),
  async run(args, io) {
    const file = String(args.object);
    const object = readFileBytes(file);
    let pollIntervalNs: bigint | undefined;
    if (args['poll-interval'] !== undefined) {
      const t = String(args['poll-interval']);
      if (!/^\d{1,15}$/.test(t)) throw new InputError(`--poll-interval: expected a whole number of ns, got ${clip(t, 40)}`);
      pollIntervalNs = BigInt(t);
    }
    const pages = Number(args['perf-pages']);
    if (!Number.isInteger(pages) || pages < 1 || pages > 65536 || (pages & (pages - 1)) !== 0)
      throw new InputError(`--perf-pages: expected a power of 2 from 1 to 65536, got ${clip(String(args['perf-pages']), 40)}`);
    const freq = Number(args['sample-freq']);
    if (!Number.isInteger(freq) || freq < 1 || freq > 100_000)
      throw new InputError(`--sample-freq: expected a whole number from 1 to 100000, got ${clip(String(args['sample-freq']), 40)}`);
    const r = runTrace({
      object, file, activity: String(args.activity),
      set: (args.set as string[] | undefined) ?? [],
      recordType: args['record-type'] !== undefined ? String(args['record-type']) : undefined,
      progs: (args.prog as string[] | undefined) ?? [],
      perfPages: pages, pollIntervalNs,
      seed: args.seed !== undefined ? String(args.seed) : undefined,
      sampleFreq: freq,
    });
    for (const n of r.notes) io.err(`bpfsim trace: ${n}`);
    if (args.json) {
      const lines = r.lines.map((l) => toJson({ time: l.time, cpu: l.cpu, source: l.source, record: l.record }));
      lines.push(toJson({ maps: r.maps, lost: r.lost }));
      io.out(lines.join('\n'));
      return 0;
    }
    const text: string[] = [];
    text.push(`attached: ${r.attached.map((a) => `${a.prog} (${a.section})`).join(', ') || 'nothing'}`);
    text.push(r.activity.kind === 'strace'
      ? `activity: ${args.activity}: ${r.activity.matched + r.activity.mismatched + r.activity.unsupported} calls replayed (${r.activity.matched} as recorded, ${r.activity.mismatched} differ, ${r.activity.unsupported} not modelled)`
      : `activity: ${args.activity}: ${r.activity.events} events`);
    for (const l of r.lines) text.push(textLine(l));
    for (const [src, n] of Object.entries(r.lost)) if (n) text.push(`${src}: ${n} samples lost (buffer full)`);
    for (const [name, v] of Object.entries(r.maps)) {
      if (Array.isArray(v)) {
        text.push(`map ${name}: ${v.length ? '' : '(empty)'}`);
        for (const e of v as { key: unknown; value: unknown }[]) text.push(`  ${formatValue(e.key)} => ${formatValue(e.value)}`);
      } else text.push(`map ${name}: ${formatValue(v)}`);
    }
    io.out(text.join('\n'));
    return 0;
  },
};
