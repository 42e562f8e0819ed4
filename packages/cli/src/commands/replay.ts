import * as path from 'path';
import type { Command } from '../command';
import {
  loadScenarioFile, replayLoaded, formatReport, firstDivergence, describeDivergence, plainTrace, encodePcap, tracePcaps, devicePcaps, type ReplayResult,
  type ReadPolicy,
} from '@bpfsim/scenario';
import { writeFileSafely, type SafeWriteOptions } from '../safe-write';
import { seedOption } from '../args';
import { readPolicy, withScenarioOptions } from '../scenario-options';
import { progressBar } from '../progress';
import { traceInChildProcess } from '../scenario-files';
import type { Io } from '../io';

/** Replay a scenario (YAML or recording), with a progress bar on a terminal. */
export function replayFile(
  file: string, seed: number | undefined, io: Io, policy?: ReadPolicy, vmEngine?: 'compiled' | 'interp',
): { result: ReplayResult; divergence?: string } {
  const loaded = loadScenarioFile(file, policy);
  const bar = progressBar(io, (loaded.scenario.events ?? []).length);
  let result: ReplayResult;
  try {
    result = replayLoaded(loaded, { seed: seed ?? loaded.recording?.seed, onProgress: bar?.update, vmEngine });
  } finally {
    bar?.stop();
  }
  if (!loaded.recording) return { result };
  const d = firstDivergence(loaded.recording.trace, plainTrace(result.trace));
  return { result, divergence: d && describeDivergence(d) };
}

/** Write an output file: through a temporary file renamed over it, never through a symlink (safe-write.ts). */
export function writeFileOrFail(file: string, data: Uint8Array | string, opts?: SafeWriteOptions): void {
  writeFileSafely(file, data, opts);
}

export const replayCommand: Command = {
  command: 'replay <scenario>',
  describe: 'Replay a scenario (YAML) or a recording (msgpack): timeline, then each expectation',
  builder: (y) =>
    withScenarioOptions(y)
      .positional('scenario', { type: 'string', describe: 'scenario .yaml or recording .msgpack' })
      .option('seed', { type: 'string', describe: "override the scenario's seed (0 to 4294967295)" })
      .option('json', { type: 'boolean', default: false, describe: 'print {file, seed, passed, expectations, trace} as JSON' })
      .option('trace', { type: 'string', describe: 'write the canonical msgpack trace to this file' })
      .option('pcap', { type: 'string', describe: 'write the packets of each program (<program>.in.pcap, <program>.out.pcap) and of each device (dev-<namespace>-<device>.pcap) into this directory' })
      .option('check-determinism', { type: 'boolean', default: false, describe: 'also replay twice in separate processes and compare the trace bytes' })
      .option('engine', { type: 'string', choices: ['compiled', 'interp'], describe: 'VM engine: compiled (default) or interp (the reference interpreter); same results' }),
  async run(args, io) {
    const seedArg = seedOption(args);
    const { result, divergence } = replayFile(String(args.scenario), seedArg, io, readPolicy(args), args.engine as 'compiled' | 'interp' | undefined);
    if (args.trace) writeFileOrFail(String(args.trace), result.traceBytes);
    if (args.pcap) {
      for (const [name, packets] of tracePcaps(result.trace)) writeFileOrFail(path.join(String(args.pcap), name), encodePcap(packets));
      for (const [name, bytes] of devicePcaps(result.world)) writeFileOrFail(path.join(String(args.pcap), name), bytes);
    }
    let nondeterminism: string | undefined;
    if (args['check-determinism']) {
      const seed = seedArg ?? result.seed;
      const a = traceInChildProcess(String(args.scenario), seed, args);
      const b = traceInChildProcess(String(args.scenario), seed, args);
      const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x).equals(Buffer.from(y));
      if (!same(a, b)) nondeterminism = 'two replays in separate processes gave different trace bytes';
      else if (!same(a, result.traceBytes)) nondeterminism = 'a replay in a separate process gave other trace bytes than this one';
    }
    const passed = result.passed && !divergence && !nondeterminism;
    if (args.json) {
      io.out(JSON.stringify({
        file: result.file, seed: result.seed, passed, divergence: divergence ?? null,
        ...(args['check-determinism'] ? { deterministic: !nondeterminism } : {}),
        expectations: result.expectations, trace: plainTrace(result.trace),
      }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
    } else {
      io.out(formatReport(result).join('\n'));
      if (divergence) io.out(`FAIL recording: ${divergence}`);
      else if (result.loaded.recording) io.out('PASS recording: the trace is identical to the recorded one');
      if (args['check-determinism'])
        io.out(nondeterminism ? `FAIL determinism: ${nondeterminism}` : 'PASS determinism: two replays in separate processes gave identical trace bytes');
    }
    return passed ? 0 : 1;
  },
};
