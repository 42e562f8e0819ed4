/**
 * Checked numeric options: yargs turns `--seed abc` into NaN and `1e308` into
 * a float; every number an option gives is checked for being a whole number
 * in range before use, with a usage error (exit 2) naming the option.
 */
import { clip } from '@bpfsim/scenario';
import { CliExit, EXIT } from './io';

export function intOption(args: Record<string, unknown>, name: string, min: number, max: number, what = ''): number | undefined {
  const raw = args[name];
  if (raw === undefined) return undefined;
  const text = Array.isArray(raw) ? String(raw[raw.length - 1]) : String(raw);
  const n = typeof raw === 'number' ? raw : /^\s*-?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const shown = Array.isArray(raw) ? text : typeof raw === 'number' && Number.isNaN(raw) ? 'not a number' : clip(text, 40);
    throw new CliExit(EXIT.usage, `--${name} takes a whole number from ${min} to ${max}${what ? ` (${what})` : ''}, not ${shown}`);
  }
  return n;
}

/** --seed of replay/record: a scenario seed is a u32. */
export const seedOption = (args: Record<string, unknown>): number | undefined => intOption(args, 'seed', 0, 2 ** 32 - 1, 'a scenario seed');
