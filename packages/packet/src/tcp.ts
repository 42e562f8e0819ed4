/** TCP (RFC 9293): flags, options (MSS, window scale, SACK, timestamps, NOP/EOL), checksum. */
import { checkField, put16, put32, u16, u32 } from './bytes';
import { checksumValid, inetChecksum, pseudoSum } from './checksum';
import { fail } from './errors';
import { IPPROTO } from './ethertype';
import type { DecodeContext, DecodeStep, EncodeContext } from './layer';

/** Flag bits of byte 13, in tcpdump's letters; '.' (and 'A') is ACK. */
export const TCP_FLAGS: ReadonlyArray<[string, number]> = [
  ['F', 0x01],
  ['S', 0x02],
  ['R', 0x04],
  ['P', 0x08],
  ['.', 0x10],
  ['U', 0x20],
  ['E', 0x40],
  ['W', 0x80],
];

export function tcpFlags(v: number | string | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return checkField(v, 8, 'flags', fail('tcp'));
  let n = 0;
  for (const ch of v) {
    const c = ch === 'A' ? '.' : ch === 'C' ? 'W' : ch;
    const bit = TCP_FLAGS.find(([l]) => l === c);
    if (!bit) throw fail('tcp')(`flags: unknown flag '${ch}' in '${v}' (F S R P A/. U E W/C)`);
    n |= bit[1];
  }
  return n;
}

/** tcpdump's rendering of a flags byte: "S", "S.", "P.", "none". */
export function tcpFlagsText(n: number): string {
  const s = TCP_FLAGS.filter(([, b]) => n & b)
    .map(([l]) => l)
    .join('');
  return s === '' ? 'none' : s;
}

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackok' }
  | { kind: 'sack'; blocks: ReadonlyArray<readonly [number, number]> }
  | { kind: 'ts'; val: number; ecr: number }
  /** Any other option, or bytes that do not parse as options (then `type` is absent). */
  | { kind: 'raw'; type?: number; data: Uint8Array | readonly number[] };

export interface TcpSpec {
  kind: 'tcp';
  /** Default 12345. */
  sport?: number;
  /** Default 80. */
  dport?: number;
  seq?: number;
  ack?: number;
  /** Letters (tcpdump's F S R P . U E W; 'A' for ACK, 'C' for CWR) or the byte. Default none. */
  flags?: number | string;
  /** The 4 bits before the flags (the top one is AccECN's AE). */
  reserved?: number;
  /** Default 65535. */
  win?: number;
  urp?: number;
  options?: readonly TcpOption[];
  /** Header length in 32-bit words; default from the options. */
  dataOffset?: number;
  /** Default: the correct checksum over the pseudo-header. */
  checksum?: number;
}

export function encodeTcpOptions(opts: readonly TcpOption[]): Uint8Array {
  const f = fail('tcp');
  const bytes: number[] = [];
  for (const o of opts) {
    switch (o.kind) {
      case 'eol':
        bytes.push(0);
        break;
      case 'nop':
        bytes.push(1);
        break;
      case 'mss':
        bytes.push(2, 4, checkField(o.value, 16, 'mss', f) >> 8, o.value & 0xff);
        break;
      case 'wscale':
        bytes.push(3, 3, checkField(o.value, 8, 'wscale', f));
        break;
      case 'sackok':
        bytes.push(4, 2);
        break;
      case 'sack': {
        bytes.push(5, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) {
          const b = new Uint8Array(8);
          put32(b, 0, checkField(l, 32, 'sack', f));
          put32(b, 4, checkField(r, 32, 'sack', f));
          bytes.push(...b);
        }
        break;
      }
      case 'ts': {
        const b = new Uint8Array(10);
        b[0] = 8;
        b[1] = 10;
        put32(b, 2, checkField(o.val, 32, 'ts val', f));
        put32(b, 6, checkField(o.ecr, 32, 'ts ecr', f));
        bytes.push(...b);
        break;
      }
      case 'raw':
        if (o.type !== undefined) bytes.push(checkField(o.type, 8, 'option type', f), 2 + o.data.length);
        bytes.push(...o.data);
        break;
    }
  }
  while (bytes.length % 4) bytes.push(0);
  if (bytes.length > 40) throw f(`options: ${bytes.length} bytes do not fit in a 60-byte header`);
  return Uint8Array.from(bytes);
}

export function decodeTcpOptions(b: Uint8Array): TcpOption[] {
  const out: TcpOption[] = [];
  let i = 0;
  while (i < b.length) {
    const t = b[i];
    if (t === 0 || t === 1) {
      out.push({ kind: t === 0 ? 'eol' : 'nop' });
      i++;
      continue;
    }
    const len = b[i + 1];
    if (i + 1 >= b.length || len < 2 || i + len > b.length) {
      out.push({ kind: 'raw', data: b.slice(i) });
      break;
    }
    const d = b.subarray(i + 2, i + len);
    if (t === 2 && len === 4) out.push({ kind: 'mss', value: u16(d, 0) });
    else if (t === 3 && len === 3) out.push({ kind: 'wscale', value: d[0] });
    else if (t === 4 && len === 2) out.push({ kind: 'sackok' });
    else if (t === 5 && (len - 2) % 8 === 0) {
      const blocks: Array<[number, number]> = [];
      for (let j = 0; j < d.length; j += 8) blocks.push([u32(d, j), u32(d, j + 4)]);
      out.push({ kind: 'sack', blocks });
    } else if (t === 8 && len === 10) out.push({ kind: 'ts', val: u32(d, 0), ecr: u32(d, 4) });
    else out.push({ kind: 'raw', type: t, data: d.slice() });
    i += len;
  }
  return out;
}

export function encodeTcp(s: TcpSpec, inner: Uint8Array, ctx: EncodeContext): Uint8Array {
  const f = fail('tcp');
  const opts = encodeTcpOptions(s.options ?? []);
  const hlen = 20 + opts.length;
  const out = new Uint8Array(hlen + inner.length);
  put16(out, 0, checkField(s.sport ?? 12345, 16, 'sport', f));
  put16(out, 2, checkField(s.dport ?? 80, 16, 'dport', f));
  put32(out, 4, checkField(s.seq ?? 0, 32, 'seq', f));
  put32(out, 8, checkField(s.ack ?? 0, 32, 'ack', f));
  out[12] = (checkField(s.dataOffset ?? hlen / 4, 4, 'dataOffset', f) << 4) | checkField(s.reserved ?? 0, 4, 'reserved', f);
  out[13] = tcpFlags(s.flags);
  put16(out, 14, checkField(s.win ?? 65535, 16, 'win', f));
  put16(out, 18, checkField(s.urp ?? 0, 16, 'urp', f));
  out.set(opts, 20);
  out.set(inner, hlen);
  if (s.checksum !== undefined) put16(out, 16, checkField(s.checksum, 16, 'checksum', f));
  else if (ctx.ph) put16(out, 16, inetChecksum(out, 0, out.length, pseudoSum(ctx.ph, IPPROTO.TCP, out.length)));
  return out;
}

export interface TcpParsed extends Required<Omit<TcpSpec, 'flags' | 'options'>> {
  flags: number;
  options: TcpOption[];
  /** Whether the checksum verifies; undefined when it cannot be checked (no IP, fragment, truncated). */
  checksumOk?: boolean;
}

export function decodeTcp(b: Uint8Array, off: number, end: number, ctx: DecodeContext): DecodeStep<TcpParsed> {
  if (end - off < 20) return { stop: `TCP header needs 20 bytes, ${end - off} present` };
  const dataOffset = b[off + 12] >> 4;
  const hlen = dataOffset * 4;
  if (dataOffset < 5) return { stop: `TCP data offset ${hlen} < 20` };
  if (end - off < hlen) return { stop: `TCP header with options needs ${hlen} bytes, ${end - off} present` };
  const layer: TcpParsed = {
    kind: 'tcp',
    sport: u16(b, off),
    dport: u16(b, off + 2),
    seq: u32(b, off + 4),
    ack: u32(b, off + 8),
    dataOffset,
    reserved: b[off + 12] & 0xf,
    flags: b[off + 13],
    win: u16(b, off + 14),
    checksum: u16(b, off + 16),
    urp: u16(b, off + 18),
    options: decodeTcpOptions(b.subarray(off + 20, off + hlen)),
  };
  if (ctx.ph && !ctx.fragment) layer.checksumOk = checksumValid(b, off, end, pseudoSum(ctx.ph, IPPROTO.TCP, end - off));
  return { layer, hdrLen: hlen, end, next: null };
}
