/**
 * `bpfsim maps <obj.o>`: load an object into a fresh simulated kernel, test-run
 * one of its programs (unless --no-run) and print every map's contents.
 */
import { Kernel, snapshotMap, testRunProgram, type MapSnapshot } from '@bpfsim/kernel';
import type { Command } from '../command';
import { CliExit } from '../io';
import { InputError, parseHexArg, readFileBytes } from '../program-file';
import { RUN_REPEAT_MAX } from './run';
import { clip } from '@bpfsim/scenario';

const PERCPU = new Set(['percpu_hash', 'percpu_array', 'lru_percpu_hash', 'percpu_cgroup_storage']);

/** A value as hex; per-CPU values split into their 8-byte-aligned per-CPU slots. */
function formatValue(m: MapSnapshot, value: string, cpus: number): string {
  if (!PERCPU.has(m.type)) return value;
  const slot = Math.ceil(m.valueSize / 8) * 8 * 2;
  const parts: string[] = [];
  for (let c = 0; c < cpus; c++) parts.push(`cpu${c} ${value.slice(c * slot, c * slot + m.valueSize * 2)}`);
  return parts.join('  ');
}

export function formatMaps(maps: readonly MapSnapshot[], cpus: number): string {
  const lines: string[] = [];
  for (const m of maps) {
    lines.push(`${m.name} (${m.type}, key ${m.keySize} B, value ${m.valueSize} B, max ${m.maxEntries})`);
    if (m.records) {
      lines.push(m.records.length ? m.records.map((r, i) => `  record ${i}: ${r}`).join('\n') : '  (no records)');
    } else if (!m.entries) {
      lines.push('  (contents not readable from user space)');
    } else if (m.entries.length === 0) {
      lines.push('  (empty)');
    } else {
      for (const e of m.entries) lines.push(`  ${e.key || '-'}: ${formatValue(m, e.value, cpus)}`);
    }
  }
  return lines.join('\n');
}

export const mapsCommand: Command = {
  command: 'maps <object>',
  describe: 'Test-run a program of an object file in a fresh simulated kernel, then print its maps',
  builder: (y) =>
    y
      .positional('object', { type: 'string', describe: 'a clang-built eBPF object (.bpf.o)' })
      .option('prog', { type: 'string', describe: 'program to run (default: the first in the object)' })
      .option('packet', { type: 'string', describe: 'data_in as hex bytes' })
      .option('packet-file', { type: 'string', describe: 'data_in read from a file' })
      .option('ctx', { type: 'string', describe: 'ctx_in as hex bytes (for types without a packet, the whole context)' })
      .option('repeat', { type: 'number', default: 1, describe: 'runs (BPF_PROG_TEST_RUN repeat)' })
      .option('seed', { type: 'string', default: 'bpfsim', describe: 'kernel seed' })
      .option('cpus', { type: 'number', default: 4, describe: 'simulated CPUs' })
      .option('map', { type: 'string', array: true, describe: 'show only these maps (repeatable)' })
      .option('run', { type: 'boolean', default: true, describe: 'run a program first (--no-run: show the maps as loaded)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON: { retval, maps: [...] }' }),
  async run(args, io) {
    const file = String(args.object);
    const object = readFileBytes(file);
    const packet = args['packet-file'] !== undefined ? readFileBytes(String(args['packet-file']))
      : args.packet !== undefined ? parseHexArg(String(args.packet), '--packet') : undefined;
    const ctxIn = args.ctx !== undefined ? parseHexArg(String(args.ctx), '--ctx') : undefined;
    const cpus = Number(args.cpus);
    const repeat = Number(args.repeat);
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 4096) throw new InputError(`--cpus: expected 1..4096, got ${clip(String(args.cpus), 40)}`);
    if (!Number.isInteger(repeat) || repeat < 0 || repeat > RUN_REPEAT_MAX)
      throw new InputError(`--repeat: expected a whole number from 0 to ${RUN_REPEAT_MAX}, got ${clip(String(args.repeat), 40)}`);
    let maps: MapSnapshot[];
    let retval: number | undefined;
    if (args.run === false) {
      const kernel = new Kernel({ seed: String(args.seed), cpus });
      maps = [...kernel.loadObject(object, { file }).maps.values()].map(snapshotMap);
    } else {
      const r = testRunProgram({
        object, file, progName: args.prog !== undefined ? String(args.prog) : undefined,
        dataIn: packet ?? (ctxIn ? undefined : new Uint8Array(64)), ctxIn, repeat, seed: String(args.seed), cpus,
      });
      maps = r.maps;
      retval = r.retval;
      if (!args.json) io.out(`${r.progName}: retval ${r.retval} (${r.insns} insns, cpu ${r.cpu})`);
    }
    const only = args.map as string[] | undefined;
    if (only) {
      const missing = only.filter((n) => !maps.some((m) => m.name === n));
      if (missing.length) throw new CliExit(2, `${file}: no map named ${missing.join(', ')} (maps: ${maps.map((m) => m.name).join(', ')})`);
      maps = maps.filter((m) => only.includes(m.name));
    }
    if (args.json) io.out(JSON.stringify({ retval, maps }, null, 2));
    else io.out(formatMaps(maps, cpus));
    return 0;
  },
};
