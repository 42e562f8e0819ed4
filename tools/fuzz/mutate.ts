/** Generic seeded mutators for text and byte inputs (the structure-aware ones live beside their targets). */
import { Rng } from './rng';

/** Values at the edges of the fields parsers check: 16/32/64-bit limits, signs, radixes. */
export const EDGE_NUMBERS = [
  '0', '-1', '1', '127', '128', '255', '256', '32767', '32768', '-32769', '65535', '65536',
  '2147483647', '2147483648', '-2147483648', '-2147483649', '4294967295', '4294967296',
  '0x7fffffff', '0x80000000', '0xffffffff', '0x100000000', '9223372036854775807', '9223372036854775808',
  '18446744073709551615', '18446744073709551616', '-9223372036854775809', '1e308', 'NaN', '-0', '0x', '00', '1'.repeat(60),
];

const TOKENS = [
  ...EDGE_NUMBERS, ' ', '\t', '\n', '\r\n', '', '(', ')', '[', ']', '{', '}', '*', '+', '-', '=', ',', ':', ';', '#', '"', "'", '\\',
  '\0', '\x1b[31m', 'é', '\u{1F600}', '&', '|', '<<', '>>', 'r11', 'w10', 'r10', 'goto', 'if', 'll', 'exit', 'call', 'pc',
  '__proto__', 'constructor', 'toString', '*&', '!', '?', '~', '%',
];

export function pickToken(r: Rng): string {
  return r.pick(TOKENS);
}

/** 1..4 edits: insert a token, delete or duplicate a range, swap two lines, replace a number with an edge value, truncate. */
export function mutateText(r: Rng, text: string): string {
  let t = text;
  const edits = r.int(1, 4);
  for (let k = 0; k < edits; k++) {
    const at = r.int(0, t.length);
    switch (r.int(0, 6)) {
      case 0: t = t.slice(0, at) + pickToken(r) + t.slice(at); break;
      case 1: t = t.slice(0, at) + t.slice(Math.min(t.length, at + r.int(1, 8))); break;
      case 2: { const len = r.int(1, 16); t = t.slice(0, at) + t.slice(at, at + len) + t.slice(at); break; }
      case 3: {
        const lines = t.split('\n');
        if (lines.length > 1) {
          const a = r.int(0, lines.length - 1);
          const b = r.int(0, lines.length - 1);
          [lines[a], lines[b]] = [lines[b], lines[a]];
          t = lines.join('\n');
        }
        break;
      }
      case 4: {
        const nums = [...t.matchAll(/-?(?:0x[0-9a-fA-F]+|\d+)/g)];
        if (nums.length) {
          const m = r.pick(nums);
          t = t.slice(0, m.index) + r.pick(EDGE_NUMBERS) + t.slice((m.index ?? 0) + m[0].length);
        }
        break;
      }
      case 5: t = t.slice(0, at); break;
      default: t = t.slice(0, at) + String.fromCharCode(r.int(0, 127)) + t.slice(at + 1);
    }
  }
  return t;
}

const EDGE_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];
const EDGE_U32 = [0, 0xffffffff, 0x7fffffff, 0x80000000, 1, 0xfffffffe, 0x10000, 0xffff];

/** 1..4 edits: bit flips, edge bytes and u32 words, range deletion/duplication, truncation. */
export function mutateBytes(r: Rng, bytes: Uint8Array): Uint8Array {
  let b = Uint8Array.from(bytes);
  const edits = r.int(1, 4);
  for (let k = 0; k < edits; k++) {
    const at = b.length ? r.int(0, b.length - 1) : 0;
    switch (r.int(0, 5)) {
      case 0: if (b.length) b[at] ^= 1 << r.int(0, 7); break;
      case 1: if (b.length) b[at] = r.pick(EDGE_BYTES); break;
      case 2:
        if (b.length >= 4) {
          const o = r.int(0, b.length - 4);
          new DataView(b.buffer, b.byteOffset, b.length).setUint32(o, r.pick(EDGE_U32), r.chance(0.5));
        }
        break;
      case 3: b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + r.int(1, 16)))]); break;
      case 4: { const len = r.int(1, 32); b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at, at + len), ...b.subarray(at)]); break; }
      default: b = b.subarray(0, at).slice();
    }
  }
  return b;
}

/** A JS literal for a string (JSON escapes are valid TypeScript). */
export function stringLiteral(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A `Buffer.from('<base64>', 'base64')` literal for bytes. */
export function bytesLiteral(b: Uint8Array): string {
  return `new Uint8Array(Buffer.from('${Buffer.from(b).toString('base64')}', 'base64'))`;
}
