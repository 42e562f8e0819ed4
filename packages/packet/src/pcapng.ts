/**
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks — type, total length, body, total
 * length again. A Section Header Block sets the byte order for its section; Interface
 * Description Blocks give each interface a link type, snaplen and timestamp resolution; packets
 * come in Enhanced (EPB), Simple (SPB) or obsolete Packet Blocks. Other blocks are skipped.
 */
import { DEFAULT_MAX_PACKETS, MAX_SNAPLEN, unitsToNs, nsToUnits, type CaptureInterface, type CapturePacket, type ReadLimits } from './capture';
import { CaptureFormatError, PacketBuildError } from './errors';
import type { PacketToWrite } from './pcap';

export const BT = { SHB: 0x0a0d0d0a, IDB: 1, OPB: 2, SPB: 3, NRB: 4, ISB: 5, EPB: 6 } as const;
const BOM = 0x1a2b3c4d;
const OPT = { END: 0, IF_NAME: 2, IF_TSRESOL: 9, IF_TSOFFSET: 14, SHB_USERAPPL: 4 } as const;

export interface PcapngSection {
  byteOrder: 'le' | 'be';
  versionMajor: number;
  versionMinor: number;
  /** Index of this section's first interface in PcapngFile.interfaces. */
  firstInterface: number;
}

export interface PcapngInterface extends CaptureInterface {
  /** if_tsoffset: seconds added to every timestamp. */
  tsoffset: bigint;
}

export interface PcapngFile {
  format: 'pcapng';
  sections: PcapngSection[];
  /** All interfaces of all sections; packets refer to them by index here. */
  interfaces: PcapngInterface[];
  packets: CapturePacket[];
}

export function readPcapng(bytes: Uint8Array, limits: ReadLimits = {}): PcapngFile {
  const file = limits.file ?? '<pcapng>';
  const err = (m: string, off: number): CaptureFormatError => new CaptureFormatError(m, off, file);
  const maxCaplen = limits.maxCaplen ?? MAX_SNAPLEN;
  const maxPackets = limits.maxPackets ?? DEFAULT_MAX_PACKETS;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: PcapngFile = { format: 'pcapng', sections: [], interfaces: [], packets: [] };
  let le = true;
  let section: PcapngSection | undefined;
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < 12) throw err(`block header needs 12 bytes, ${bytes.length - off} left`, off);
    const type = dv.getUint32(off, le);
    if (type === BT.SHB) {
      if (bytes.length - off < 28) throw err(`section header block needs 28 bytes, ${bytes.length - off} left`, off);
      const bomLe = dv.getUint32(off + 8, true);
      if (bomLe === BOM) le = true;
      else if (dv.getUint32(off + 8, false) === BOM) le = false;
      else throw err(`bad byte-order magic 0x${bomLe.toString(16)} (1a2b3c4d in either byte order)`, off + 8);
    } else if (!section) {
      throw err(off === 0 ? `bad magic 0x${dv.getUint32(0, false).toString(16).padStart(8, '0')} (pcapng starts with 0a0d0d0a)` : 'block before any section header', off);
    }
    const total = dv.getUint32(off + 4, le);
    if (total < 12 || total % 4 !== 0) throw err(`block total length ${total} is not a multiple of 4 of at least 12`, off + 4);
    if (total > bytes.length - off) throw err(`block total length ${total}, ${bytes.length - off} bytes left`, off + 4);
    const end = off + total - 4;
    if (dv.getUint32(end, le) !== total) throw err(`trailing block length ${dv.getUint32(end, le)} differs from the leading ${total}`, end);
    const body = off + 8;
    const need = (n: number, what: string): void => {
      if (end - body < n) throw err(`${what} body needs ${n} bytes, block has ${end - body}`, off);
    };
    const options = (at: number): Map<number, Uint8Array> => {
      const m = new Map<number, Uint8Array>();
      let p = at;
      while (p + 4 <= end) {
        const code = dv.getUint16(p, le);
        const len = dv.getUint16(p + 2, le);
        if (code === OPT.END) break;
        if (p + 4 + len > end) throw err(`option ${code} of ${len} bytes overruns its block`, p);
        if (!m.has(code)) m.set(code, bytes.subarray(p + 4, p + 4 + len));
        p += 4 + ((len + 3) & ~3);
      }
      return m;
    };
    const packet = (ifId: number, tsUnits: bigint, caplen: number, origLen: number, dataAt: number, what: string): void => {
      if (out.packets.length >= maxPackets) throw err(`more than ${maxPackets} packets (raise maxPackets to read more)`, off);
      const iface = out.interfaces[section!.firstInterface + ifId];
      if (!iface || section!.firstInterface + ifId >= out.interfaces.length) throw err(`${what} names interface ${ifId}, the section has ${out.interfaces.length - section!.firstInterface}`, body);
      if (caplen > maxCaplen) throw err(`captured length ${caplen} exceeds the limit ${maxCaplen}`, off);
      if (iface.snaplen !== 0 && caplen > iface.snaplen) throw err(`captured length ${caplen} exceeds interface ${ifId}'s snaplen ${iface.snaplen}`, off);
      if (dataAt + caplen > end) throw err(`captured length ${caplen} overruns the ${what}`, off);
      if (caplen > origLen) throw err(`captured length ${caplen} exceeds the original length ${origLen}`, off);
      const tsNs = unitsToNs(tsUnits, iface.tsresol) + iface.tsoffset * 1_000_000_000n;
      out.packets.push({ interfaceId: section!.firstInterface + ifId, tsNs, origLen, data: bytes.slice(dataAt, dataAt + caplen) });
    };
    switch (type) {
      case BT.SHB: {
        const versionMajor = dv.getUint16(body + 4, le);
        const versionMinor = dv.getUint16(body + 6, le);
        if (versionMajor !== 1) throw err(`unsupported pcapng version ${versionMajor}.${versionMinor} (1.x)`, body + 4);
        section = { byteOrder: le ? 'le' : 'be', versionMajor, versionMinor, firstInterface: out.interfaces.length };
        out.sections.push(section);
        break;
      }
      case BT.IDB: {
        need(8, 'interface description block');
        const opts = options(body + 8);
        const tr = opts.get(OPT.IF_TSRESOL);
        const tso = opts.get(OPT.IF_TSOFFSET);
        const name = opts.get(OPT.IF_NAME);
        const tsresol = tr && tr.length >= 1 ? tr[0] : 6;
        if ((tsresol & 0x80 ? tsresol & 0x7f : tsresol) > 60) throw err(`if_tsresol ${tsresol} is absurd`, off);
        out.interfaces.push({
          linkType: dv.getUint16(body, le),
          snaplen: dv.getUint32(body + 4, le),
          tsresol,
          tsoffset: tso && tso.length === 8 ? new DataView(tso.buffer, tso.byteOffset, 8).getBigInt64(0, le) : 0n,
          ...(name ? { name: new TextDecoder().decode(name).replace(/\0+$/, '') } : {}),
        });
        break;
      }
      case BT.EPB: {
        need(20, 'enhanced packet block');
        const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
        packet(dv.getUint32(body, le), ts, dv.getUint32(body + 12, le), dv.getUint32(body + 16, le), body + 20, 'enhanced packet block');
        break;
      }
      case BT.OPB: {
        need(20, 'packet block');
        const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
        packet(dv.getUint16(body, le), ts, dv.getUint32(body + 12, le), dv.getUint32(body + 16, le), body + 20, 'packet block');
        break;
      }
      case BT.SPB: {
        need(4, 'simple packet block');
        const origLen = dv.getUint32(body, le);
        const iface = out.interfaces[section!.firstInterface];
        if (!iface) throw err('simple packet block in a section without interfaces', off);
        // The captured length is implied: the original length cut to the snaplen.
        const caplen = Math.min(origLen, iface.snaplen || origLen);
        packet(0, 0n, caplen, origLen, body + 4, 'simple packet block');
        out.packets[out.packets.length - 1].tsNs = 0n;
        break;
      }
      default:
        break; // statistics, name resolution, custom and unknown blocks carry no packets
    }
    off += total;
  }
  if (!section) throw err('empty file: no section header block', 0);
  return out;
}

export interface PcapngInterfaceOptions {
  linkType: number;
  /** Default 262144; 0 means no limit. */
  snaplen?: number;
  /** if_tsresol byte; default 6 (µs), 9 for ns. */
  tsresol?: number;
  name?: string;
}

export interface PcapngWriteOptions {
  interfaces: readonly PcapngInterfaceOptions[];
  byteOrder?: 'le' | 'be';
  /** Write packets of interface 0 as Simple Packet Blocks (no timestamp). */
  simple?: boolean;
}

class BlockWriter {
  parts: Uint8Array[] = [];
  constructor(readonly le: boolean) {}
  block(type: number, body: Uint8Array): void {
    const padded = (body.length + 3) & ~3;
    const total = padded + 12;
    const b = new Uint8Array(total);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, type, this.le);
    dv.setUint32(4, total, this.le);
    b.set(body, 8);
    dv.setUint32(total - 4, total, this.le);
    this.parts.push(b);
  }
  options(opts: ReadonlyArray<[number, Uint8Array]>): Uint8Array {
    if (opts.length === 0) return new Uint8Array(0);
    let n = 4;
    for (const [, v] of opts) n += 4 + ((v.length + 3) & ~3);
    const b = new Uint8Array(n);
    const dv = new DataView(b.buffer);
    let at = 0;
    for (const [code, v] of opts) {
      dv.setUint16(at, code, this.le);
      dv.setUint16(at + 2, v.length, this.le);
      b.set(v, at + 4);
      at += 4 + ((v.length + 3) & ~3);
    }
    return b; // the trailing 4 zero bytes are opt_endofopt
  }
}

export function writePcapng(packets: readonly PacketToWrite[], o: PcapngWriteOptions): Uint8Array {
  const le = (o.byteOrder ?? 'le') === 'le';
  const w = new BlockWriter(le);
  const shb = new Uint8Array(16);
  const sdv = new DataView(shb.buffer);
  sdv.setUint32(0, BOM, le);
  sdv.setUint16(4, 1, le);
  sdv.setUint16(6, 0, le);
  sdv.setBigInt64(8, -1n, le); // section length not given
  w.block(BT.SHB, concat2(shb, w.options([[OPT.SHB_USERAPPL, new TextEncoder().encode('bpfsim')]])));
  for (const i of o.interfaces) {
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, i.linkType, le);
    dv.setUint32(4, i.snaplen ?? MAX_SNAPLEN, le);
    const opts: Array<[number, Uint8Array]> = [];
    if (i.name !== undefined) opts.push([OPT.IF_NAME, new TextEncoder().encode(i.name)]);
    if (i.tsresol !== undefined && i.tsresol !== 6) opts.push([OPT.IF_TSRESOL, Uint8Array.of(i.tsresol)]);
    w.block(BT.IDB, concat2(b, w.options(opts)));
  }
  for (const [n, p] of packets.entries()) {
    const ifId = p.interfaceId ?? 0;
    const iface = o.interfaces[ifId];
    if (!iface) throw new PacketBuildError(`pcapng: packet ${n} names interface ${ifId}, ${o.interfaces.length} defined`);
    const snap = iface.snaplen ?? MAX_SNAPLEN;
    const cap = snap === 0 ? p.data.length : Math.min(p.data.length, snap);
    const origLen = p.origLen ?? p.data.length;
    if (o.simple && ifId === 0) {
      const b = new Uint8Array(4 + cap);
      new DataView(b.buffer).setUint32(0, origLen, le);
      b.set(p.data.subarray(0, cap), 4);
      w.block(BT.SPB, b);
      continue;
    }
    const units = nsToUnits(p.tsNs, iface.tsresol ?? 6);
    if (units < 0n || units >= 1n << 64n) throw new PacketBuildError(`pcapng: packet ${n}: timestamp ${p.tsNs} ns out of range`);
    const b = new Uint8Array(20 + cap);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, ifId, le);
    dv.setUint32(4, Number(units >> 32n), le);
    dv.setUint32(8, Number(units & 0xffffffffn), le);
    dv.setUint32(12, cap, le);
    dv.setUint32(16, origLen, le);
    b.set(p.data.subarray(0, cap), 20);
    w.block(BT.EPB, b);
  }
  return concatAll(w.parts);
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  return concatAll([a, b]);
}

function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}
