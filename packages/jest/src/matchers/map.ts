/**
 * toHaveMapEntry(key, value?): a map holds `key` (and its value matches).
 * Numbers and bigints are integers of the key/value size; a Uint8Array or a
 * hex string is raw bytes; anything else (objects, arrays, asymmetric
 * matchers) is compared with the value decoded through the map's BTF.
 * Per-CPU maps: an integer is compared with the sum over CPUs, an array with
 * the per-CPU values.
 */
import type { MatcherContext } from 'expect';
import { BpfsimMap } from '../api/object';
import { hexOf, intBytes, leUint, perCpuSlots, show, toBytes } from '../values';
import { subjectError, type MatchResult } from './common';

type Entry = { key: unknown; value: unknown; keyBytes: Uint8Array; valueBytes: Uint8Array };

const isRaw = (v: unknown): v is Uint8Array | string => v instanceof Uint8Array || typeof v === 'string';
const isInt = (v: unknown): v is number | bigint => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));

/** Integer view of a value: the sum over CPUs for per-CPU maps; signed when `signedLike` is negative. */
function intOf(map: BpfsimMap, bytes: Uint8Array, signedLike: number | bigint): bigint {
  const slots = map.perCpu ? perCpuSlots(bytes, map.valueSize) : [bytes];
  return slots.reduce((s, b) => s + (BigInt(signedLike) < 0n ? BigInt.asIntN(b.length * 8, leUint(b)) : leUint(b)), 0n);
}

function findEntry(this: MatcherContext, map: BpfsimMap, key: unknown): Entry | undefined {
  if (isInt(key) || isRaw(key)) {
    const keyBytes = toBytes(key, map.keySize, `map ${map.name}: key`);
    const valueBytes = map.handle.lookup(keyBytes);
    return valueBytes && { key: map.decodeKey(keyBytes), value: map.decodeValue(valueBytes), keyBytes, valueBytes };
  }
  return map.entries().find((e) => this.equals(e.key, key));
}

function valueMatches(this: MatcherContext, map: BpfsimMap, e: Entry, value: unknown): boolean {
  if (isInt(value)) return intOf(map, e.valueBytes, value) === BigInt(value);
  if (isRaw(value)) {
    const want = toBytes(value, map.valueSize, `map ${map.name}: value`);
    const have = map.perCpu ? intBytes(BigInt.asUintN(map.valueSize * 8, intOf(map, e.valueBytes, 0)), map.valueSize, 'sum') : e.valueBytes;
    return Buffer.from(want).equals(Buffer.from(have));
  }
  return this.equals(e.value, value);
}

export function toHaveMapEntry(this: MatcherContext, received: unknown, key: unknown, ...rest: unknown[]): MatchResult {
  const withValue = rest.length > 0;
  const value = rest[0];
  const head = () => this.utils.matcherHint('toHaveMapEntry', 'map', withValue ? 'key, value' : 'key', { isNot: this.isNot });
  if (!(received instanceof BpfsimMap)) return { pass: false, message: () => `${head()}\n\n${subjectError(received, "a map of a loaded object (obj.map('name'))")}` };
  const map = received;
  const entry = findEntry.call(this, map, key);
  const keyText = show(key);
  if (!entry) {
    return {
      pass: false,
      message: () => {
        const all = map.entries();
        const keys = all.slice(0, 10).map((e) => `    ${show(e.key)}  = ${show(e.value)}`);
        return `${head()}\n\nmap ${map.name} has no entry ${keyText}${map.perCpu ? ' (per-CPU)' : ''}\n`
          + (all.length ? `its ${all.length} entr${all.length === 1 ? 'y' : 'ies'}${all.length > 10 ? ' (first 10)' : ''}:\n${keys.join('\n')}` : `map ${map.name} is empty`);
      },
    };
  }
  if (!withValue) return { pass: true, message: () => `${head()}\n\nmap ${map.name} has an entry ${keyText} = ${show(entry.value)}` };
  const pass = valueMatches.call(this, map, entry, value);
  const actual = isInt(value) ? intOf(map, entry.valueBytes, value) : entry.value;
  return {
    pass,
    message: () => {
      const lines = [head(), '', `map ${map.name}[${keyText}]${isInt(value) && map.perCpu ? ' (sum over CPUs)' : ''}`];
      if (pass) lines.push(`is ${show(actual)}`);
      else {
        lines.push(this.utils.printDiffOrStringify(value, actual, 'Expected', 'Received', this.expand !== false));
        lines.push(`value bytes: ${hexOf(entry.valueBytes)}${map.perCpu ? ' (all CPUs)' : ''}`);
        if (map.perCpu) lines.push(`per CPU: ${show(map.decodeValue(entry.valueBytes))}`);
      }
      return lines.join('\n');
    },
  };
}
