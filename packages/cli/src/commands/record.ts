import type { Command } from '../command';
import { encodeRecording, makeRecording } from '@bpfsim/scenario';
import { replayFile, writeFileOrFail } from './replay';
import { seedOption } from '../args';
import { readPolicy, withScenarioOptions } from '../scenario-options';

export const recordCommand: Command = {
  command: 'record <scenario>',
  describe: 'Replay a scenario and record its inputs and every output (msgpack) for later comparison',
  builder: (y) =>
    withScenarioOptions(y)
      .positional('scenario', { type: 'string' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'recording file to write (.msgpack)' })
      .option('seed', { type: 'string', describe: "override the scenario's seed (0 to 4294967295)" }),
  async run(args, io) {
    const out = String(args.output);
    const { result } = replayFile(String(args.scenario), seedOption(args), io, readPolicy(args));
    // Written to a temporary file and renamed: an interrupted record leaves the previous recording whole.
    writeFileOrFail(out, encodeRecording(makeRecording(result, out)));
    io.out(`${out}: recorded ${result.trace.length} trace entries (seed ${result.seed}); expectations ${result.passed ? 'passed' : 'FAILED'}`);
    return result.passed ? 0 : 1;
  },
};
