/** Picking programs out of an ELF object for `disasm`, `verify` and `run` (--prog / --section). */
import { loadObject, type BpfObject, type ProgramSpec } from '@bpfsim/loader';
import { InputError } from './program-file';

export interface ProgramChoice {
  /** A function name (--prog). */
  prog?: string;
  /** A section name (--section): every program in it. */
  section?: string;
}

export function parseElf(bytes: Uint8Array, file: string): BpfObject {
  return loadObject(bytes, { file });
}

/** The object's programs that the choice names (all of them when it names none); an empty match is an error. */
export function selectPrograms(obj: BpfObject, choice: ProgramChoice): ProgramSpec[] {
  let progs = obj.programs;
  if (choice.prog !== undefined) progs = progs.filter((p) => p.name === choice.prog);
  if (choice.section !== undefined) progs = progs.filter((p) => p.section === choice.section);
  if (progs.length === 0) {
    const have = obj.programs.map((p) => `${p.name} (${p.section})`).join(', ') || 'none';
    const what = [choice.prog !== undefined ? `program '${choice.prog}'` : '', choice.section !== undefined ? `section '${choice.section}'` : '']
      .filter(Boolean).join(' in ');
    throw new InputError(`${obj.file}: no ${what || 'programs'} (programs: ${have})`);
  }
  return progs;
}
