/**
 * Programs prepared once per Program array (tail-call targets, run() of the
 * same array again). An entry is reused only while the array still holds the
 * very same Insn objects, so a mutated array is decoded afresh.
 */
import type { Program } from '@bpfsim/isa';
import { PreparedProgram } from './prepare';

const cache = new WeakMap<Program, PreparedProgram>();

export function preparedFor(prog: Program | PreparedProgram, name?: string): PreparedProgram {
  if (prog instanceof PreparedProgram) return prog;
  const hit = cache.get(prog);
  if (hit !== undefined && hit.name === name && sameSlots(hit.insns, prog)) return hit;
  const fresh = new PreparedProgram(prog.slice(), name);
  cache.set(prog, fresh);
  return fresh;
}

function sameSlots(a: Program, b: Program): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
