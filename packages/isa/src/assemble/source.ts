/** Source positions and label resolution shared by both assembler dialects. */
import { AsmError } from '../errors';
import { Insn } from '../insn';

/** A slot under construction whose offset (or imm) still names a label. */
export interface Pending {
  slot: number;
  label: string;
  field: 'off' | 'imm';
  line: number;
  col: number;
}

export class Assembly {
  readonly slots: Insn[] = [];
  readonly labels = new Map<string, number>();
  readonly pending: Pending[] = [];
  constructor(readonly file: string) {}

  error(msg: string, line: number, col: number): never {
    throw new AsmError(msg, this.file, line, col);
  }

  defineLabel(name: string, line: number, col: number): void {
    if (this.labels.has(name)) this.error(`label "${name}" is defined twice`, line, col);
    this.labels.set(name, this.slots.length);
  }

  emit(...insns: Insn[]): void {
    this.slots.push(...insns);
  }

  /** Resolve label references into relative offsets; an unknown label is an error at its use. */
  finish(): Insn[] {
    for (const p of this.pending) {
      const at = this.labels.get(p.label);
      if (at === undefined) this.error(`Invalid label: ${p.label} (no such label)`, p.line, p.col);
      const rel = at - p.slot - 1;
      if (p.field === 'off' && (rel < -32768 || rel > 32767)) {
        this.error(`label ${p.label} is ${rel} instructions away, beyond a 16-bit jump offset`, p.line, p.col);
      }
      this.slots[p.slot] = this.slots[p.slot].with(p.field === 'off' ? { off: rel } : { imm: rel });
    }
    return this.slots;
  }
}

/** Parse a decimal or 0x-hex integer with an optional sign; undefined when malformed. */
export function parseInteger(text: string): bigint | undefined {
  const m = /^([-+]?)(0x[0-9a-fA-F]+|\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const v = BigInt(m[2]);
  return m[1] === '-' ? -v : v;
}
