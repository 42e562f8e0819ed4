/** Test support: llvm-objdump-19 and clang-19 on the fly, in a temporary directory. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeProgram, type Insn } from '../src';

function which(names: string[]): string | undefined {
  for (const n of names) {
    try {
      execFileSync(n, ['--version'], { stdio: 'pipe' });
      return n;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

/** LLVM 19 tools: llvm-objdump 14 prints BPF differently (decimal, no v4 instructions). */
export const OBJDUMP = which(['llvm-objdump-19']);
export const MC = which(['llvm-mc-19']);
export const OBJCOPY = which(['llvm-objcopy-19']);
export const CLANG = which(['clang-19']);

export const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-isa-llvm-'));

/** Instruction text lines of `llvm-objdump -d` for one section: [slot index, hex bytes, text]. */
export function objdump(obj: string, section: string, extra: string[] = [], keepTargets = false): Array<[number, string, string]> {
  const out = execFileSync(OBJDUMP!, ['-d', '--mcpu=v4', `--section=${section}`, ...extra, obj]).toString();
  const rows: Array<[number, string, string]> = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+):\t([0-9a-f ]+?)\t(.*)$/.exec(line);
    if (m) rows.push([Number(m[1]), m[2], keepTargets ? m[3] : m[3].replace(/\s*<[^<>]*>$/, '')]);
  }
  return rows;
}

/** An object whose .text holds exactly `prog` (assembled `exit` base, section contents replaced). */
export function objectWith(dir: string, prog: readonly Insn[], name = 'p'): string {
  const base = path.join(dir, 'base.o');
  if (!fs.existsSync(base)) {
    fs.writeFileSync(path.join(dir, 'base.s'), 'exit\n');
    execFileSync(MC!, ['-triple', 'bpfel', '-filetype=obj', path.join(dir, 'base.s'), '-o', base]);
  }
  const bin = path.join(dir, `${name}.bin`);
  fs.writeFileSync(bin, encodeProgram(prog));
  const obj = path.join(dir, `${name}.o`);
  execFileSync(OBJCOPY!, [`--update-section=.text=${bin}`, base, obj]);
  return obj;
}

/** The raw bytes of one section (llvm-objcopy -O binary --only-section). */
export function sectionBytes(dir: string, obj: string, section: string): Uint8Array {
  const out = path.join(dir, `${path.basename(obj)}.${section.replace(/\W/g, '_')}.bin`);
  execFileSync(OBJCOPY!, ['-O', 'binary', `--only-section=${section}`, obj, out]);
  return new Uint8Array(fs.readFileSync(out));
}
