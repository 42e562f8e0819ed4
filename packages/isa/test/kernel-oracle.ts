/**
 * Test support: load programs into the running kernel with log_level 2 through a tiny C
 * helper (fixtures/bpf_load_log.c, compiled into os.tmpdir()) and read back the verifier
 * log. `available()` says why not when gcc or bpf() is missing.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Insn, encodeProgram } from '../src';

export interface KernelLoad {
  ok: boolean;
  errno: number;
  mapId: number;
  log: string;
}

let binary: string | undefined;
let unavailable: string | undefined;
// eslint-disable-next-line @typescript-eslint/no-var-requires
const tape = require('../../../tools/oracle/tape');

/** Undefined when the kernel can answer here (live, or from its recorded tape), else the reason it cannot. */
export function unavailableReason(): string | undefined {
  const a = tape.availability(() => ({ ok: liveUnavailableReason() === undefined, reason: unavailable }));
  return a.ok ? undefined : a.reason;
}

function liveUnavailableReason(): string | undefined {
  if (binary !== undefined || unavailable !== undefined) return unavailable;
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-isa-'));
    const out = path.join(dir, 'bpf_load_log');
    execFileSync('gcc', ['-O1', '-o', out, path.join(__dirname, 'fixtures', 'bpf_load_log.c')], { stdio: 'pipe' });
    binary = out;
    const probe = runLoader(`6 ${Buffer.from(encodeProgram([new Insn(0xb7, 0, 0, 0, 0), new Insn(0x95, 0, 0, 0, 0)])).toString('hex')}\n`);
    if (!/^=== 0 /.test(probe)) unavailable = `the kernel refuses bpf(BPF_PROG_LOAD): ${probe.slice(0, 80)}`;
  } catch (e) {
    unavailable = `cannot build or run the bpf() helper: ${(e as Error).message.split('\n')[0]}`;
  }
  return unavailable;
}

function runLoader(input: string): string {
  if (binary === undefined) throw new Error('kernel oracle not built');
  return execFileSync(binary, [], { input, maxBuffer: 1 << 28 }).toString();
}

/** Load each program (prog_type, slots) and return the verdicts and logs, in order. */
export function loadPrograms(progs: ReadonlyArray<{ type: number; prog: readonly Insn[] }>): KernelLoad[] {
  const input = progs
    .map(({ type, prog }) => {
      const bytes = encodeProgram(prog);
      return `${type} ${Buffer.from(bytes).toString('hex')}`;
    })
    .join('\n');
  const out: string = tape.ask('exec.bpf_load_log', input, () => {
    if (liveUnavailableReason() !== undefined) throw new Error(`kernel oracle unavailable: ${unavailable}`);
    return runLoader(`${input}\n`);
  });
  const res: KernelLoad[] = [];
  const re = /^=== (-?\d+) (\d+) (\d+)\n([\s\S]*?)\n=== end$/gm;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    res.push({ ok: m[1] === '0', errno: Number(m[2]), mapId: Number(m[3]), log: m[4] });
  }
  return res;
}

/** The 6.18 "Live regs before insn:" listing: index -> instruction text `(xx) ...`. */
export function liveRegsListing(log: string): Map<number, string> {
  const out = new Map<number, string>();
  const start = log.indexOf('Live regs before insn:');
  if (start < 0) return out;
  for (const line of log.slice(start).split('\n').slice(1)) {
    const m = /^\s*(\d+): [.0-9]{10} (\([0-9a-f]{2}\) .*)$/.exec(line);
    if (!m) break;
    out.set(Number(m[1]), m[2]);
  }
  return out;
}

/** The instruction lines of the verification trace: index -> `(xx) ...` (first occurrence). */
export function traceInsns(log: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of log.split('\n')) {
    const m = /^(\d+): (\([0-9a-f]{2}\) [^;]*?)\s*(?:;.*)?$/.exec(line);
    if (m && !out.has(Number(m[1]))) out.set(Number(m[1]), m[2]);
  }
  return out;
}
