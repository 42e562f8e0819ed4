import type { Command } from '../command';
import { conformanceCommand } from './conformance';
import { runCommand } from './run';
import { disasmCommand } from './disasm';
import { asmCommand } from './asm';
import { replayCommand } from './replay';
import { recordCommand } from './record';
import { testCommand } from './test';
import { exploreCommand, exploreWorkerCommand } from './explore';
import { mapsCommand } from './maps';
import { inspectCommand } from './inspect';
import { verifyCommand } from './verify';
import { tracepointsCommand } from './tracepoints';
import { kprobesCommand } from './kprobes';
import { btfCommand } from './btf';
import { learnCommand } from './learn';
import { traceCommand } from './trace';

/** Every subcommand, in the order `--help` lists them. Add one line per command module. */
export const commands: Command[] = [
  replayCommand,
  testCommand,
  recordCommand,
  exploreCommand,
  exploreWorkerCommand,
  runCommand,
  mapsCommand,
  conformanceCommand,
  disasmCommand,
  asmCommand,
  inspectCommand,
  verifyCommand,
  tracepointsCommand,
  kprobesCommand,
  traceCommand,
  btfCommand,
  learnCommand,
];
