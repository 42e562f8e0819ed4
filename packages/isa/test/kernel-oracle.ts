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

/** Undefined when the oracle works here, else the reason it does not. */
export function unavailableReason(): string | undefined {
  if (binary !== undefined || unavailable !== undefined) return unavailable;
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-isa-'));
    const out = path.join(dir, 'bpf_load_log');
    execFileSync('gcc', ['-O1', '-o', out, path.join(__dirname, 'fixtures', 'bpf_load_log.c')], { stdio: 'pipe' });
    binary = out;
    const [probe] = loadPrograms([{ type: 6, prog: [new Insn(0xb7, 0, 0, 0, 0), new Insn(0x95, 0, 0, 0, 0)] }]);
    if (!probe.ok) unavailable = `the kernel refuses bpf(BPF_PROG_LOAD) (errno ${probe.errno})`;
  } catch (e) {
    unavailable = `cannot build or run the bpf() helper: ${(e as Error).message.split('\n')[0]}`;
  }
  return unavailable;
}

/** Load each program (prog_type, slots) and return the verdicts and logs, in order. */
export function loadPrograms(progs: ReadonlyArray<{ type: number; prog: readonly Insn[] }>): KernelLoad[] {
  if (binary === undefined) throw new Error('kernel oracle not built');
  const input = progs
    .map(({ type, prog }) => {
      const bytes = encodeProgram(prog);
      return `${type} ${Buffer.from(bytes).toString('hex')}`;
    })
    .join('\n');
  const out = execFileSync(binary, [], { input: `${input}\n`, maxBuffer: 1 << 28 }).toString();
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
