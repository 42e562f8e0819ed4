/** Reading strace logs (`strace -f -ttt -v -s 4096 -o <log> -- <command>`) into typed events. */
export { parseStraceLog } from './join';
export type { StraceLog } from './join';
export { summarizeStraceLog } from './summary';
export type { StraceSummary } from './summary';
export { StraceParseError } from './errors';
export type { StraceEvent, StraceCall, StraceSignal, StraceExit, StraceSuperseded, StraceResult } from './events';
export { strBytes } from './ast';
export type * from './ast';
export { inferWorld } from './world';
export type { InitialWorld, SeedFile, RecordedStat } from './world';
export { replayStraceLog, summarize } from './replay';
export type { ReplayReport, CallOutcome, ReplayOptions, Verdict } from './replay';
