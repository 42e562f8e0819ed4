/**
 * Loads programs with callbacks into the running kernel: the kernel refuses BPF_PSEUDO_FUNC without
 * BTF func_info ("missing btf func_info"), which tools/oracle cannot pass, so this builds btf-load.c
 * (a few BTF types and one static FUNC per subprogram) and runs it per program.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { encodeProgram, Insn } from '@bpfsim/isa';
import type { GenMap } from './verifier-gen';

export interface BtfLoadResult { errno: number; log: string; lastErrorLine: string }

let built: { bin?: string; reason?: string } | undefined;
const dir = (): string => mkdtempSync(join(tmpdir(), 'bpfsim-btf-load-'));
// eslint-disable-next-line @typescript-eslint/no-var-requires
const tape = require('../../../../tools/oracle/tape');

/** Can programs be loaded with BTF here (live, or from the recorded tape)? `ok: false` with the reason when not. */
export function btfLoaderAvailable(): { ok: boolean; reason?: string } {
  return tape.availability(liveAvailable);
}

/** Build the loader once; `ok: false` with the reason when there is no C compiler or no bpf(). */
function liveAvailable(): { ok: boolean; reason?: string } {
  if (!built) {
    try {
      const d = dir();
      const bin = join(d, 'btf-load');
      execFileSync(process.env.CC ?? 'cc', ['-O1', '-o', bin, join(__dirname, 'btf-load.c')], { stdio: 'pipe' });
      built = { bin };
      // a trivial program (r0 = 0; exit) must load
      const out = runLoader(6, encodeProgram([new Insn(0xb7, 0, 0, 0, 0), new Insn(0x95, 0, 0, 0, 0)]), []);
      if (!out.startsWith('0\n')) built = { reason: `btf-load cannot load a program: ${out.slice(0, 120)}` };
    } catch (e) {
      built = { reason: `cannot build btf-load.c: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  return built.bin ? { ok: true } : { ok: false, reason: built.reason };
}

let work: string | undefined;
function runLoader(progType: number, prog: Uint8Array, maps: readonly string[]): string {
  if (!built?.bin) throw new Error('btf-load is not built');
  work ??= dir();
  const file = join(work, 'prog.bin');
  writeFileSync(file, prog);
  return execFileSync(built.bin, [String(progType), file, ...maps], { maxBuffer: 64 << 20 }).toString();
}

/** Load `insns` (map lddw imm = index into `maps`, created fresh) with BTF; the kernel's errno and log. */
export function btfLoad(progType: number, insns: readonly Insn[], maps: readonly GenMap[]): BtfLoadResult {
  const prog = encodeProgram([...insns]);
  const mapArgs = maps.map((m) => `${m.type}:${m.keySize}:${m.valueSize}:${m.maxEntries}:${m.name}`);
  const out: string = tape.ask('exec.btf-load', { progType, prog, maps: mapArgs }, () => {
    const a = liveAvailable();
    if (!a.ok) throw new Error(`btf-load unavailable: ${a.reason}`);
    return runLoader(progType, prog, mapArgs);
  });
  const nl = out.indexOf('\n');
  const errno = Number(out.slice(0, nl));
  if (!Number.isInteger(errno)) throw new Error(`btf-load: ${out.slice(0, 200)}`);
  const log = out.slice(nl + 1);
  const lines = log.trimEnd().split('\n').filter((l) => l && !/^(processed \d+ insns|verification time|stack depth)/.test(l));
  return { errno, log, lastErrorLine: errno ? lines[lines.length - 1] ?? '' : '' };
}

export const hasPseudoFunc = (insns: readonly Insn[]): boolean => insns.some((x) => x.code === 0x18 && x.src === 4);
