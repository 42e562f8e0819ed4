/**
 * Packets written as text, for scenario files:
 *   eth(dst=02:00:00:00:00:02)/ipv4(src=10.0.0.1,dst=10.0.0.2)/udp(dport=53)/payload("abc")
 *
 * Grammar (whitespace allowed between tokens):
 *   packet := layer ("/" layer)*
 *   layer  := name "(" [arg ("," arg)*] ")"
 *   arg    := field "=" value | value            (a bare value only for payload)
 *   value  := atom | "string" | "[" [value ("," value)*] "]"
 *   atom   := a run of characters other than space ( ) , = [ ] / "  e.g. 10, 0x1f, S, 10.0.0.1, fe80::1
 * Layer names are the builder's methods; fields are the builder's option names. Every error is a
 * PacketExprError naming the 1-based column.
 */
import { buildPacket } from './builder';
import { PacketBuildError, PacketExprError } from './errors';
import type { Layer } from './layer';
import type { TcpOption } from './tcp';

type Value = { t: 'atom'; s: string; col: number } | { t: 'str'; s: string; col: number } | { t: 'list'; items: Value[]; col: number };

type FieldType = 'num' | 'text' | 'textnum' | 'bytes' | 'tcpopts' | 'boolnum';

const FIELDS: Record<string, { kind: Layer['kind']; fields: Record<string, FieldType> }> = {
  eth: { kind: 'eth', fields: { src: 'text', dst: 'text', type: 'num' } },
  sll: { kind: 'sll', fields: { pkttype: 'num', hatype: 'num', addr: 'text', addrLen: 'num', protocol: 'num' } },
  sll2: { kind: 'sll2', fields: { protocol: 'num', reserved: 'num', ifindex: 'num', hatype: 'num', pkttype: 'num', addrLen: 'num', addr: 'text' } },
  vlan: { kind: 'vlan', fields: { vid: 'num', pcp: 'num', dei: 'num', tpid: 'num', type: 'num' } },
  arp: { kind: 'arp', fields: { op: 'textnum', sha: 'text', spa: 'text', tha: 'text', tpa: 'text', htype: 'num', ptype: 'num', hlen: 'num', plen: 'num' } },
  ipv4: {
    kind: 'ipv4',
    fields: { src: 'text', dst: 'text', tos: 'num', id: 'num', flags: 'textnum', fragOffset: 'num', ttl: 'num', proto: 'num', options: 'bytes', ihl: 'num', totalLength: 'num', checksum: 'num', version: 'num' },
  },
  ipv6: { kind: 'ipv6', fields: { src: 'text', dst: 'text', tc: 'num', flow: 'num', hlim: 'num', nh: 'num', plen: 'num', version: 'num' } },
  hop: { kind: 'ipv6-hop', fields: { nh: 'num', options: 'bytes', hlen: 'num' } },
  dstopts: { kind: 'ipv6-dst', fields: { nh: 'num', options: 'bytes', hlen: 'num' } },
  route: { kind: 'ipv6-route', fields: { nh: 'num', routingType: 'num', segmentsLeft: 'num', data: 'bytes', hlen: 'num' } },
  frag: { kind: 'ipv6-frag', fields: { nh: 'num', offset: 'num', m: 'num', id: 'num', reserved: 'num', res2: 'num' } },
  tcp: {
    kind: 'tcp',
    fields: { sport: 'num', dport: 'num', seq: 'num', ack: 'num', flags: 'textnum', reserved: 'num', win: 'num', urp: 'num', options: 'tcpopts', dataOffset: 'num', checksum: 'num' },
  },
  udp: { kind: 'udp', fields: { sport: 'num', dport: 'num', length: 'num', checksum: 'num' } },
  icmp: { kind: 'icmp', fields: { type: 'textnum', code: 'num', id: 'num', seq: 'num', rest: 'num', checksum: 'num' } },
  icmpv6: { kind: 'icmpv6', fields: { type: 'textnum', code: 'num', id: 'num', seq: 'num', rest: 'num', checksum: 'num' } },
  gre: { kind: 'gre', fields: { protocol: 'num', checksum: 'boolnum', reserved1: 'num', key: 'num', seq: 'num', reserved0: 'num', version: 'num' } },
  vxlan: { kind: 'vxlan', fields: { vni: 'num', flags: 'num', reserved: 'num', reserved2: 'num' } },
};

const DELIM = new Set([' ', '\t', '\n', '\r', '(', ')', ',', '=', '[', ']', '/', '"']);

class Reader {
  i = 0;
  constructor(
    readonly src: string,
    readonly name: string,
  ) {}
  err(msg: string, at = this.i): PacketExprError {
    return new PacketExprError(msg, at + 1, this.name);
  }
  ws(): void {
    while (this.i < this.src.length && /\s/.test(this.src[this.i])) this.i++;
  }
  peek(): string | undefined {
    this.ws();
    return this.src[this.i];
  }
  expect(c: string): void {
    if (this.peek() !== c) throw this.err(`expected '${c}', found ${this.src[this.i] === undefined ? 'end of input' : `'${this.src[this.i]}'`}`);
    this.i++;
  }
  atom(): { s: string; col: number } {
    this.ws();
    const start = this.i;
    while (this.i < this.src.length && !DELIM.has(this.src[this.i])) this.i++;
    if (this.i === start) throw this.err(this.i < this.src.length ? `unexpected '${this.src[this.i]}'` : 'unexpected end of input');
    return { s: this.src.slice(start, this.i), col: start };
  }
  string(): Value {
    const col = this.i;
    this.i++; // opening quote
    let s = '';
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) throw this.err('unterminated string', col);
      this.i++;
      if (c === '"') return { t: 'str', s, col };
      if (c !== '\\') {
        s += c;
        continue;
      }
      const e = this.src[this.i++];
      if (e === 'n') s += '\n';
      else if (e === 't') s += '\t';
      else if (e === 'r') s += '\r';
      else if (e === '0') s += '\0';
      else if (e === '"' || e === '\\') s += e;
      else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(this.src.slice(this.i, this.i + 2))) {
        s += String.fromCharCode(parseInt(this.src.slice(this.i, this.i + 2), 16));
        this.i += 2;
      } else throw this.err(`unknown escape '\\${e ?? ''}' (\\n \\t \\r \\0 \\" \\\\ \\xHH)`, this.i - 2);
    }
  }
  value(): Value {
    const c = this.peek();
    if (c === '"') return this.string();
    if (c === '[') {
      const col = this.i;
      this.i++;
      const items: Value[] = [];
      if (this.peek() === ']') {
        this.i++;
        return { t: 'list', items, col };
      }
      for (;;) {
        items.push(this.value());
        if (this.peek() === ',') this.i++;
        else break;
      }
      this.expect(']');
      return { t: 'list', items, col };
    }
    const a = this.atom();
    return { t: 'atom', s: a.s, col: a.col };
  }
}

function num(r: Reader, v: Value, what: string): number {
  if (v.t === 'atom' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v.s)) {
    const n = Number(v.s);
    if (Number.isSafeInteger(n)) return n;
  }
  throw r.err(`${what}: expected a number (decimal or 0x hex), found ${v.t === 'atom' ? `'${v.s}'` : v.t === 'str' ? 'a string' : 'a list'}`, v.col);
}

/** Bytes: "text" (UTF-8), 0x hex, or a list of byte numbers. */
function bytes(r: Reader, v: Value, what: string): Uint8Array {
  if (v.t === 'str') return new TextEncoder().encode(v.s);
  if (v.t === 'list') {
    return Uint8Array.from(
      v.items.map((x) => {
        const n = num(r, x, what);
        if (n > 255) throw r.err(`${what}: ${n} is not a byte`, x.col);
        return n;
      }),
    );
  }
  const m = /^0x((?:[0-9a-fA-F]{2})*)$/.exec(v.s);
  if (!m) throw r.err(`${what}: expected "text", 0x followed by hex byte pairs, or [bytes], found '${v.s}'`, v.col);
  return Uint8Array.from(m[1].match(/../g) ?? [], (h) => parseInt(h, 16));
}

function tcpOptions(r: Reader, v: Value): TcpOption[] {
  if (v.t !== 'list') throw r.err('options: expected a list like [mss:1460,sackok,ts:1:0,nop,wscale:7,sack:1-2,eol]', v.col);
  return v.items.map((it) => {
    if (it.t !== 'atom') throw r.err('options: expected an option name', it.col);
    const [name, ...args] = it.s.split(':');
    const n = (i: number): number => num(r, { t: 'atom', s: args[i] ?? '', col: it.col }, `option ${name}`);
    const want = (k: number): void => {
      if (args.length !== k) throw r.err(`option ${name}: expected ${k} value(s) after ':'`, it.col);
    };
    switch (name) {
      case 'eol':
      case 'nop':
      case 'sackok':
        want(0);
        return { kind: name };
      case 'mss':
      case 'wscale':
        want(1);
        return { kind: name, value: n(0) };
      case 'ts':
        want(2);
        return { kind: 'ts', val: n(0), ecr: n(1) };
      case 'sack':
        return {
          kind: 'sack',
          blocks: args.map((b) => {
            const [l, rr] = b.split('-');
            return [num(r, { t: 'atom', s: l, col: it.col }, 'sack'), num(r, { t: 'atom', s: rr ?? '', col: it.col }, 'sack')] as const;
          }),
        };
      default:
        throw r.err(`options: unknown TCP option '${name}' (eol nop mss wscale sackok sack ts)`, it.col);
    }
  });
}

function fieldValue(r: Reader, type: FieldType, v: Value, what: string): unknown {
  switch (type) {
    case 'num':
      return num(r, v, what);
    case 'text':
      if (v.t === 'list') return Array.from(bytes(r, v, what));
      return v.s;
    case 'textnum':
      return v.t === 'atom' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v.s) ? num(r, v, what) : v.t === 'list' ? num(r, v, what) : v.s;
    case 'boolnum':
      if (v.t === 'atom' && (v.s === 'true' || v.s === 'false')) return v.s === 'true';
      return num(r, v, what);
    case 'bytes':
      return bytes(r, v, what);
    case 'tcpopts':
      return tcpOptions(r, v);
  }
}

function layer(r: Reader): Layer {
  const { s: name, col } = r.atom();
  const def = FIELDS[name];
  const isPayload = name === 'payload';
  if (!def && !isPayload) throw r.err(`unknown layer '${name}' (${[...Object.keys(FIELDS), 'payload'].join(', ')})`, col);
  r.expect('(');
  const spec: Record<string, unknown> = { kind: isPayload ? 'payload' : def.kind };
  const seen = new Set<string>();
  if (r.peek() !== ')') {
    for (;;) {
      const v0 = r.value();
      let field: string | undefined;
      let v = v0;
      if (r.peek() === '=') {
        if (v0.t !== 'atom') throw r.err('a field name must be a plain word', v0.col);
        r.i++;
        field = v0.s;
        v = r.value();
      }
      if (isPayload) {
        if (field === undefined || field === 'data') spec.data = bytes(r, v, 'payload');
        else if (field === 'zeros') spec.data = new Uint8Array(num(r, v, 'zeros'));
        else throw r.err(`payload: unknown field '${field}' (data, zeros)`, v0.col);
        field = 'data';
      } else {
        if (field === undefined) throw r.err(`${name}: expected field=value`, v0.col);
        const type = def.fields[field];
        if (!type) throw r.err(`${name}: unknown field '${field}' (${Object.keys(def.fields).join(', ')})`, v0.col);
        spec[field] = fieldValue(r, type, v, `${name}.${field}`);
      }
      if (seen.has(field)) throw r.err(`${name}: field '${field}' given twice`, v0.col);
      seen.add(field);
      if (r.peek() === ',') r.i++;
      else break;
    }
  }
  r.expect(')');
  if (isPayload && spec.data === undefined) spec.data = new Uint8Array(0);
  if (name === 'vlan' && spec.vid === undefined) throw r.err('vlan: vid is required', col);
  if ((name === 'ipv4' || name === 'ipv6') && (spec.src === undefined || spec.dst === undefined)) throw r.err(`${name}: src and dst are required`, col);
  return spec as unknown as Layer;
}

/** Parse a packet expression into layers (build them with buildPacket). */
export function parsePacketExpr(src: string, name = 'packet expression'): Layer[] {
  return parseWithColumns(src, name).layers;
}

function parseWithColumns(src: string, name: string): { layers: Layer[]; cols: number[] } {
  const r = new Reader(src, name);
  const cols: number[] = [];
  const layers: Layer[] = [];
  for (;;) {
    r.ws();
    cols.push(r.i + 1);
    layers.push(layer(r));
    if (r.peek() !== '/') break;
    r.i++;
  }
  if (r.peek() !== undefined) throw r.err(`unexpected '${r.src[r.i]}' after the last layer`);
  return { layers, cols };
}

/** Parse and build; build errors (an address that does not parse, ...) come back as PacketExprError too. */
export function packetFromExpr(src: string, name = 'packet expression'): Uint8Array {
  const { layers, cols } = parseWithColumns(src, name);
  try {
    return buildPacket(layers);
  } catch (e) {
    if (e instanceof PacketBuildError) throw new PacketExprError(e.message, cols[e.layerIndex ?? 0] ?? 1, name);
    throw e;
  }
}
