import type { Command } from '../command';
import { encodeRecording, makeRecording } from '@bpfsim/scenario';
import { replayFile, writeFileOrFail } from './replay';

export const recordCommand: Command = {
  command: 'record <scenario>',
  describe: 'Replay a scenario and record its inputs and every output (msgpack) for later comparison',
  builder: (y) =>
    y
      .positional('scenario', { type: 'string' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'recording file to write (.msgpack)' })
      .option('seed', { type: 'number', describe: "override the scenario's seed" }),
  async run(args, io) {
    const out = String(args.output);
    const { result } = replayFile(String(args.scenario), args.seed as number | undefined, io);
    writeFileOrFail(out, encodeRecording(makeRecording(result, out)));
    io.out(`${out}: recorded ${result.trace.length} trace entries (seed ${result.seed}); expectations ${result.passed ? 'passed' : 'FAILED'}`);
    return result.passed ? 0 : 1;
  },
};
