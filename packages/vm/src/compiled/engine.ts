/**
 * The compiled engine's entry: the same contract as the interpreter's exec()
 * (run frame `base` from slot pc until it exits), dispatching to each
 * program's compiled function and following tail calls and returns into
 * other programs. Anything the compiled code does not enter (a slot that is
 * not a block start, a program it does not compile, the last instructions
 * before the budget runs out) is handed to the interpreter, which gives the
 * same results by definition.
 */
import { exec } from '../interpreter';
import type { Machine } from '../machine';
import type { PreparedProgram } from '../prepare';
import { compileProgram, type CompiledProgram } from './compile';

/** Default of RunOptions.compileAfter. */
export const COMPILE_AFTER = 1_000_000;

/** Per prepared program: instructions run so far on the interpreter tier, then its code (null: interpreter only). */
interface Tier {
  heat: number;
  code: CompiledProgram | null | undefined;
}
/** Prepared programs are themselves cached per Program array, so this lives as long as the program. */
const tiers = new WeakMap<PreparedProgram, Tier>();

/** The program's code once it is hot enough, else undefined (run it on the interpreter and count). */
function codeOf(p: PreparedProgram, compileAfter: number): Tier {
  let t = tiers.get(p);
  if (t === undefined) tiers.set(p, (t = { heat: 0, code: undefined }));
  if (t.code === undefined && t.heat >= compileAfter) t.code = compileProgram(p) ?? null;
  return t;
}

/** How often each engine ran a stretch of code (tests check that the compiled code really ran). */
export const engineStats = { compiled: 0, interpreted: 0 };

export function execCompiled(m: Machine, base: number, startPc: number): void {
  const compileAfter = m.opts.compileAfter ?? COMPILE_AFTER;
  let pc = startPc;
  for (;;) {
    const t = codeOf(m.frameProg[m.depth], compileAfter);
    const c = t.code;
    if (c === undefined) {
      // Cold: the interpreter runs the frame to its exit; what it ran heats the program.
      const before = m.remaining;
      engineStats.interpreted++;
      try {
        exec(m, base, pc);
      } finally {
        t.heat += before - m.remaining;
      }
      return;
    }
    const k = c === null || !(pc >= 0 && pc < c.chunkOf.length) ? -1 : c.chunkOf[pc];
    if (k < 0) {
      engineStats.interpreted++;
      exec(m, base, pc);
      return;
    }
    engineStats.compiled++;
    pc = c!.chunks[k](m, base, pc);
    if (pc === -1) return;
    if (pc < -1) {
      engineStats.interpreted++;
      exec(m, base, -2 - pc);
      return;
    }
  }
}
