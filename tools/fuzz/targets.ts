/**
 * The in-process fuzz targets of `npm run fuzz -- --target NAME`. Each target makes one input
 * from a seeded Rng and feeds it to one reader; the input must be accepted or refused with a
 * typed error (a BpfsimError with a code). Anything else — a host exception, a disagreement
 * between engines — is a finding, printed by campaign-run.ts as a jest test.
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { BpfsimError } from '@bpfsim/uapi';
import { Insn, assemble, decodeProgram, disassemble, encodeProgram, type Flavour } from '@bpfsim/isa';
import { verify } from '@bpfsim/verifier';
import { AddressSpace, VmError, run } from '@bpfsim/vm';
import { linkLayerOf, parsePacket, readCapture } from '@bpfsim/packet';
import { decodeRecording, encodeRecording, parseScenarioText, parseStraceLog, summarizeStraceLog, RECORDING_MAGIC, RECORDING_FORMAT } from '@bpfsim/scenario';
import { generateCase } from './generator';
import { rewriteCtxLoads } from './vm-side';
import { mutateBytes, mutateText, bytesLiteral, stringLiteral } from './mutate';
import { Rng } from './rng';

const ROOT = path.resolve(__dirname, '..', '..');

/** What one case did: accepted, refused with a typed error, or a finding (`problem`). */
export type Outcome = { kind: 'ok'; tag?: string } | { kind: 'typed'; code: string } | { kind: 'finding'; problem: string };

export interface Target<I = unknown> {
  name: string;
  /** One line for --help. */
  about: string;
  /** Make the case's input (deterministic in r). */
  input(r: Rng): I;
  /**
   * Feed it; throw what the reader throws. Returns a problem string for a finding that is not an
   * exception, or `{ tag }` to count an accepted input by kind (a verifier verdict, an engine fault).
   */
  exec(input: I, file: string): string | { tag: string } | void;
  /** The input as a TypeScript expression, and the call under test on `input` (for the printed regression test). */
  literal(input: I): string;
  call: string;
  imports: string;
  /** A case slower than this is a hang (default 2000 ms; --hang-ms overrides). */
  hangMs?: number;
}

/** The outcome of one case: a thrown BpfsimError with a code is typed; any other throw is a finding. */
export function classify(t: Target, input: unknown, file: string): Outcome {
  try {
    const r = t.exec(input, file);
    if (typeof r === 'string') return { kind: 'finding', problem: r };
    return r ? { kind: 'ok', tag: r.tag } : { kind: 'ok' };
  } catch (e) {
    if (e instanceof BpfsimError && typeof e.code === 'string' && e.code !== '') return { kind: 'typed', code: e.code };
    return { kind: 'finding', problem: e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : `non-Error thrown: ${String(e)}` };
  }
}

/** A valid random program (the differential generator's, so every instruction form appears). */
function program(r: Rng): Insn[] {
  return generateCase(`p:${r.int(0, 2 ** 30)}`, { minUnits: 1, maxUnits: r.int(2, 16) }).insns;
}

function slots(bytes: Uint8Array): Insn[] {
  const out: Insn[] = [];
  for (let at = 0; at + 8 <= bytes.length; at += 8) out.push(Insn.fromBytes(bytes, at));
  return out;
}

const decoder: Target<Uint8Array> = {
  name: 'decoder',
  about: '@bpfsim/isa decodeProgram (then both disassemblers) on mutated and random instruction bytes',
  input(r) {
    if (r.chance(0.25)) return Uint8Array.from({ length: 8 * r.int(0, 6) }, () => r.int(0, 255));
    return mutateBytes(r, encodeProgram(program(r)));
  },
  exec(bytes, file) {
    const prog = decodeProgram(bytes, { file });
    disassemble(prog, { flavour: 'kernel' });
    disassemble(prog, { flavour: 'llvm' });
  },
  literal: bytesLiteral,
  call: "decodeProgram(input, { file: 'fuzz' })",
  imports: "import { decodeProgram } from '@bpfsim/isa';",
};

function asmTarget(name: string, flavour: Flavour, dialect: 'kernel' | 'auto' | 'ubpf', about: string): Target<string> {
  return {
    name,
    about,
    input(r) {
      const opts = { flavour, withIndex: flavour !== 'ubpf' && r.chance(0.2), imm: r.chance(0.5) ? ('hex' as const) : ('dec' as const) };
      // uBPF has no syntax for some forms (load-acquire, ...): keep the instructions it can print.
      const text = program(r).flatMap((insn, i, all) => {
        try {
          return [disassemble(all.slice(i, i + (insn.code === 0x18 ? 2 : 1)), opts)];
        } catch {
          return [];
        }
      }).filter((_, i, all) => all[i] !== '').join('\n');
      return mutateText(r, text);
    },
    exec(text, file) {
      assemble(text, { file, dialect });
    },
    literal: stringLiteral,
    call: `assemble(input, { file: 'fuzz', dialect: '${dialect}' })`,
    imports: "import { assemble } from '@bpfsim/isa';",
  };
}

const XDP = 6;

const verifier: Target<{ bytes: Uint8Array; logLevel: 0 | 1 | 2 }> = {
  name: 'verifier',
  about: 'verify() on generated and mutated XDP programs: a verdict, never an exception',
  // A mutated loop can run the verifier to its 1,000,000-instruction limit (E2BIG, as the kernel):
  // about 4 s at log level 0 and 9 s at level 1 (a 70 MB log) on a loaded 2-core host.
  hangMs: 30000,
  input(r) {
    const bytes = encodeProgram(program(r));
    return { bytes: r.chance(0.2) ? bytes : mutateBytes(r, bytes), logLevel: r.int(0, 2) as 0 | 1 | 2 };
  },
  exec({ bytes, logLevel }) {
    const res = verify(slots(bytes), { progType: XDP, logLevel });
    if (typeof res.accepted !== 'boolean' || (!res.accepted && !res.errno)) return `verdict without an errno: ${JSON.stringify(res.error)}`;
    return { tag: res.accepted ? 'accepted' : `rejected ${res.errno}` };
  },
  literal: ({ bytes, logLevel }) => `{ bytes: ${bytesLiteral(bytes)}, logLevel: ${logLevel} as const }`,
  call: 'verify(slotsOf(input.bytes), { progType: 6, logLevel: input.logLevel })',
  imports: "import { verify } from '@bpfsim/verifier';\nimport { Insn } from '@bpfsim/isa';\nconst slotsOf = (b: Uint8Array) => Array.from({ length: b.length >> 3 }, (_, i) => Insn.fromBytes(b, i * 8));",
};

type EngineResult = { ok: true; r0: bigint; packet: string } | { ok: false; error: string };

/** Run as tools/fuzz/vm-side.ts does (packet and xdp_md mapped, ctx loads rewritten), on one engine. */
function runEngine(bytes: Uint8Array, packet: Uint8Array, engine: 'interp' | 'compiled'): EngineResult {
  const mem = new AddressSpace();
  const pkt = packet.slice();
  const p = mem.map('packet', pkt, { name: 'xdp packet' });
  const ctx = mem.map('ctx', new Uint8Array(24), { name: 'xdp_md', writable: false });
  try {
    const prog = rewriteCtxLoads(slots(bytes), p.base, p.base + BigInt(pkt.length));
    const res = run(prog, { args: [ctx.base], memory: mem, maxInsns: 200_000, engine });
    return { ok: true, r0: res.r0, packet: Buffer.from(pkt).toString('hex') };
  } catch (e) {
    if (e instanceof VmError) return { ok: false, error: e.code };
    throw e;
  }
}

const engines: Target<{ bytes: Uint8Array; packet: Uint8Array }> = {
  name: 'engines',
  about: 'the interpreter and the compiled engine on generated and mutated programs: same result or same fault',
  // A mutated loop runs both engines to the 200,000-instruction limit: up to 1 s alone, 2 s under load.
  hangMs: 5000,
  input(r) {
    const c = generateCase(`e:${r.int(0, 2 ** 30)}`, { minUnits: 1, maxUnits: r.int(2, 24) });
    const bytes = encodeProgram(c.insns);
    // Mutate only after the prologue (its ctx loads are rewritten by position).
    let mutated = bytes;
    if (r.chance(0.5)) {
      const head = bytes.subarray(0, 32);
      mutated = Uint8Array.from([...head, ...mutateBytes(r, bytes.subarray(32))]);
      mutated = mutated.subarray(0, mutated.length - (mutated.length % 8));
    }
    return { bytes: mutated, packet: c.packet };
  },
  exec({ bytes, packet }) {
    const a = runEngine(bytes, packet, 'interp');
    const b = runEngine(bytes, packet, 'compiled');
    const show = (x: EngineResult): string => (x.ok ? `r0=${x.r0} packet=${x.packet.slice(0, 64)}…` : `fault ${x.error}`);
    const same = a.ok && b.ok ? a.r0 === b.r0 && a.packet === b.packet : !a.ok && !b.ok && a.error === b.error;
    if (!same) return `engines disagree: interp ${show(a)}; compiled ${show(b)}`;
    return { tag: a.ok ? 'ran' : `fault ${a.error}` };
  },
  literal: ({ bytes, packet }) => `{ bytes: ${bytesLiteral(bytes)}, packet: ${bytesLiteral(packet)} }`,
  call: "[runEngine(input.bytes, input.packet, 'interp'), runEngine(input.bytes, input.packet, 'compiled')] // (tools/fuzz/targets.ts): must be equal",
  imports: "import { runEngine } from '../targets';",
};

function readSeeds(dir: string, test: (f: string) => boolean): { file: string; bytes: Buffer }[] {
  const out: { file: string; bytes: Buffer }[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && test(e.name)) out.push({ file: p, bytes: fs.readFileSync(p) });
    }
  };
  walk(dir);
  return out;
}

const lazy: Record<string, { file: string; bytes: Buffer }[]> = {};
function seeds(key: string, dir: string, test: (f: string) => boolean): { file: string; bytes: Buffer }[] {
  return (lazy[key] ??= readSeeds(path.join(ROOT, dir), test));
}

const scenarioYaml: Target<{ dir: string; text: string }> = {
  name: 'scenario-yaml',
  about: 'parseScenarioText on mutated scenarios/**/*.yaml',
  input(r) {
    const s = r.pick(seeds('yaml', 'scenarios', (f) => /\.ya?ml$/.test(f)));
    return { dir: path.relative(ROOT, path.dirname(s.file)), text: mutateText(r, s.bytes.toString('utf8')) };
  },
  exec({ dir, text }) {
    parseScenarioText(text, path.join(ROOT, dir, 'fuzz.yaml'));
  },
  literal: ({ dir, text }) => `{ dir: ${stringLiteral(dir)}, text: ${stringLiteral(text)} }`,
  call: "parseScenarioText(input.text, path.join(ROOT, input.dir, 'fuzz.yaml'))",
  imports: "import * as path from 'path';\nimport { parseScenarioText } from '@bpfsim/scenario';\nconst ROOT = path.resolve(__dirname, '..', '..', '..');",
};

/** Recordings to mutate: each scenario's document wrapped as a recording with a small trace. */
function recordingSeeds(): Uint8Array[] {
  return seeds('yaml', 'scenarios', (f) => /\.ya?ml$/.test(f)).map((s, i) => encodeRecording({
    magic: RECORDING_MAGIC, format: RECORDING_FORMAT, bpfsimVersion: '0.0.0', seed: i,
    scenario: YAML.parse(s.bytes.toString('utf8'), { logLevel: 'error' }) as Record<string, unknown>,
    objects: { 'a.bpf.o': '00'.repeat(32) },
    trace: [{ kind: 'run', prog: 'p', retval: 2, nested: [[1, 2, { x: -1 }]] }, { kind: 'map', key: new Uint8Array([1, 2]) }],
  }));
}
let recSeeds: Uint8Array[] | undefined;

const recording: Target<Uint8Array> = {
  name: 'recording',
  about: 'decodeRecording (canonical msgpack) on mutated recordings',
  input(r) {
    return mutateBytes(r, r.pick((recSeeds ??= recordingSeeds())));
  },
  exec(bytes, file) {
    decodeRecording(bytes, file);
  },
  literal: bytesLiteral,
  call: "decodeRecording(input, 'fuzz.bpfrec')",
  imports: "import { decodeRecording } from '@bpfsim/scenario';",
};

const strace: Target<string> = {
  name: 'strace',
  about: 'parseStraceLog + summarizeStraceLog on mutated slices of the strace fixtures',
  input(r) {
    const lines = r.pick(seeds('strace', 'packages/scenario/test/fixtures/strace', (f) => f.endsWith('.log'))).bytes.toString('utf8').split('\n');
    const from = r.int(0, Math.max(0, lines.length - 1));
    return mutateText(r, lines.slice(from, from + r.int(1, 24)).join('\n'));
  },
  exec(text, file) {
    summarizeStraceLog(parseStraceLog(text, file));
  },
  literal: stringLiteral,
  call: "summarizeStraceLog(parseStraceLog(input, 'fuzz.log'))",
  imports: "import { parseStraceLog, summarizeStraceLog } from '@bpfsim/scenario';",
};

const pcap: Target<Uint8Array> = {
  name: 'pcap',
  about: 'readCapture (pcap, pcapng) and parsePacket on every packet, on mutated captures',
  input(r) {
    return mutateBytes(r, r.pick(seeds('pcap', 'packages/packet/test/fixtures', (f) => /\.pcap(ng)?$/.test(f))).bytes);
  },
  exec(bytes, file) {
    const cap = readCapture(bytes, { file });
    for (const p of cap.packets.slice(0, 64)) {
      const link = linkLayerOf(cap.interfaces[p.interfaceId]?.linkType ?? 1) ?? undefined;
      parsePacket(p.data, link ? { link } : {});
    }
  },
  literal: bytesLiteral,
  call: "readCapture(input, { file: 'fuzz.pcap' })",
  imports: "import { readCapture } from '@bpfsim/packet';",
};

const packet: Target<Uint8Array> = {
  name: 'packet',
  about: 'parsePacket on mutated packets from the capture fixtures and random bytes',
  input(r) {
    if (r.chance(0.2)) return Uint8Array.from({ length: r.int(0, 80) }, () => r.int(0, 255));
    const cap = readCapture(r.pick(seeds('pcap', 'packages/packet/test/fixtures', (f) => /\.pcap(ng)?$/.test(f))).bytes);
    return mutateBytes(r, r.pick(cap.packets).data);
  },
  exec(bytes) {
    parsePacket(bytes);
  },
  literal: bytesLiteral,
  call: 'parsePacket(input)',
  imports: "import { parsePacket } from '@bpfsim/packet';",
};

export const TARGETS: readonly Target<any>[] = [
  decoder,
  asmTarget('asm-kernel', 'kernel', 'kernel', 'assemble() of mutated kernel-syntax (verifier log) text'),
  asmTarget('asm-llvm', 'llvm', 'auto', 'assemble() of mutated LLVM-syntax text (dialect auto)'),
  asmTarget('asm-ubpf', 'ubpf', 'ubpf', 'assemble() of mutated uBPF-syntax text'),
  verifier,
  engines,
  scenarioYaml,
  recording,
  strace,
  pcap,
  packet,
];

export { runEngine };
