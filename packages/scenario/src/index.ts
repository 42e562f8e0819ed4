/**
 * @bpfsim/scenario: the scenario format (YAML and msgpack recordings),
 * replay, recording, expectations and canonical traces.
 */
export { ScenarioError, formatPlace, type Place } from './errors';
export { SCHEMA_VERSION, RETVAL_NAMES, type Scenario, type ScenarioEvent, type Expectation, type ProgramDecl, type OverrideSpec } from './format';
export { loadScenarioFile, parseScenarioText, type LoadedScenario } from './load';
export { replay, replayLoaded, type ReplayOptions, type ReplayResult, type TraceEntry } from './replay';
export { formatReport, describeEntry, timelineNames, type TimelineNames } from './report';
export { makeRecording, plainTrace, firstDivergence, describeDivergence, type Divergence } from './record';
export { encodeRecording, decodeRecording, isRecording, RECORDING_MAGIC, RECORDING_FORMAT, type Recording } from './recording';
export { encodeCanonical, decodeCanonical } from './canonical';
export { BPFSIM_VERSION } from './version';
export type { ExpectationResult } from './expectations';
export { progTypeValue, type Verdict, type World } from './world';
export { ProcWorld, syscallLine, errnoNumber, constValue, type SyscallRecord } from './proc-world';
export type { FileSpec, ProcessSpec, ProcEventBody, ProcExpectation } from './proc-format';
export { encodePcap, decodePcap, tracePcaps, type PcapPacket } from './pcap';
export { devicePcaps, netOf, type NetWorld } from './net-world';
export type { NetworkSpec, NetEventBody, NetExpectation } from './net-format';
export { DEFAULT_LIMITS, VALUE_BYTES_MAX, REGEX_SOURCE_MAX, DURATION_MAX, type ScenarioLimits, type ReadPolicy } from './limits';
export { FileRefused, readRegularFile, resolveContained, readContained } from './files';
export { quote, clip, escapeControls, safeMessage } from './quote';
export { compileUserRegex } from './regex';
export { nestingDepth } from './depth';
export { parseStraceLog, summarizeStraceLog, StraceParseError, strBytes, type StraceLog, type StraceSummary, type StraceEvent, type StraceCall, type StraceSignal, type StraceExit, type StraceValue, type StraceField, type StraceResult } from './import/strace';
export { replayStraceLog, type ReplayReport as StraceReplayReport, type ReplayOptions as StraceReplayOptions } from './import/strace';
