/**
 * Classic pcap files (the format of libpcap's savefile.c / pcap-savefile(5)): a 24-byte header
 * with a magic that gives the byte order and the timestamp unit (µs 0xa1b2c3d4, ns 0xa1b23c4d),
 * then 16-byte record headers each followed by the captured bytes.
 */
import { MAX_SNAPLEN, DEFAULT_MAX_PACKETS, type CapturePacket, type ReadLimits } from './capture';
import { CaptureFormatError, PacketBuildError } from './errors';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAPNG_MAGIC = 0x0a0d0d0a;

export interface PcapFile {
  format: 'pcap';
  byteOrder: 'le' | 'be';
  nanos: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
  packets: CapturePacket[];
}

export function readPcap(bytes: Uint8Array, limits: ReadLimits = {}): PcapFile {
  const file = limits.file ?? '<pcap>';
  const err = (m: string, off: number): CaptureFormatError => new CaptureFormatError(m, off, file);
  const maxCaplen = limits.maxCaplen ?? MAX_SNAPLEN;
  const maxPackets = limits.maxPackets ?? DEFAULT_MAX_PACKETS;
  if (bytes.length < 24) throw err(`pcap file header needs 24 bytes, the file has ${bytes.length}`, 0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mLe = dv.getUint32(0, true);
  let le: boolean;
  let nanos: boolean;
  if (mLe === PCAP_MAGIC_US || mLe === PCAP_MAGIC_NS) (le = true), (nanos = mLe === PCAP_MAGIC_NS);
  else {
    const mBe = dv.getUint32(0, false);
    if (mBe === PCAP_MAGIC_US || mBe === PCAP_MAGIC_NS) (le = false), (nanos = mBe === PCAP_MAGIC_NS);
    else if (mBe === PCAPNG_MAGIC) throw err('this is a pcapng file, not pcap (use readCapture or readPcapng)', 0);
    else throw err(`bad magic 0x${mBe.toString(16).padStart(8, '0')} (pcap: a1b2c3d4 or a1b23c4d in either byte order)`, 0);
  }
  const versionMajor = dv.getUint16(4, le);
  const versionMinor = dv.getUint16(6, le);
  if (versionMajor !== 2) throw err(`unsupported pcap version ${versionMajor}.${versionMinor} (2.x)`, 4);
  const snaplen = dv.getUint32(16, le);
  // The upper bits of the link-type word carry FCS information (pcap-linktype(7)).
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const packets: CapturePacket[] = [];
  let off = 24;
  const fracMax = nanos ? 1_000_000_000 : 1_000_000;
  while (off < bytes.length) {
    if (packets.length >= maxPackets) throw err(`more than ${maxPackets} packets (raise maxPackets to read more)`, off);
    if (bytes.length - off < 16) throw err(`record header needs 16 bytes, ${bytes.length - off} left`, off);
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const caplen = dv.getUint32(off + 8, le);
    const origLen = dv.getUint32(off + 12, le);
    if (frac >= fracMax) throw err(`timestamp fraction ${frac} is not below ${fracMax}`, off + 4);
    if (caplen > maxCaplen) throw err(`captured length ${caplen} exceeds the limit ${maxCaplen}`, off + 8);
    if (snaplen !== 0 && caplen > snaplen) throw err(`captured length ${caplen} exceeds the file's snaplen ${snaplen}`, off + 8);
    if (caplen > origLen) throw err(`captured length ${caplen} exceeds the original length ${origLen}`, off + 8);
    if (bytes.length - off - 16 < caplen) throw err(`packet data of ${caplen} bytes, ${bytes.length - off - 16} left`, off + 16);
    const tsNs = BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nanos ? 1n : 1000n);
    packets.push({ interfaceId: 0, tsNs, origLen, data: bytes.slice(off + 16, off + 16 + caplen) });
    off += 16 + caplen;
  }
  return { format: 'pcap', byteOrder: le ? 'le' : 'be', nanos, versionMajor, versionMinor, snaplen, linkType, packets };
}

export interface PcapWriteOptions {
  /** Default 1 (Ethernet). */
  linkType?: number;
  /** Default 262144; packets longer than it are cut (origLen keeps their length). */
  snaplen?: number;
  /** Nanosecond timestamps (magic a1b23c4d); default microseconds. */
  nanos?: boolean;
  /** Default 'le'. */
  byteOrder?: 'le' | 'be';
}

export interface PacketToWrite {
  tsNs: bigint;
  data: Uint8Array;
  /** Default data.length. */
  origLen?: number;
  interfaceId?: number;
}

export function writePcap(packets: readonly PacketToWrite[], o: PcapWriteOptions = {}): Uint8Array {
  const le = (o.byteOrder ?? 'le') === 'le';
  const snaplen = o.snaplen ?? MAX_SNAPLEN;
  let size = 24;
  for (const p of packets) size += 16 + Math.min(p.data.length, snaplen);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, o.nanos ? PCAP_MAGIC_NS : PCAP_MAGIC_US, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, snaplen, le);
  dv.setUint32(20, o.linkType ?? 1, le);
  let off = 24;
  const unit = o.nanos ? 1n : 1000n;
  for (const [n, p] of packets.entries()) {
    const cap = Math.min(p.data.length, snaplen);
    const units = p.tsNs / unit;
    const per = o.nanos ? 1_000_000_000n : 1_000_000n;
    if (p.tsNs < 0n || units / per > 0xffffffffn) throw new PacketBuildError(`pcap: packet ${n}: timestamp ${p.tsNs} ns does not fit 32-bit seconds`);
    dv.setUint32(off, Number(units / per), le);
    dv.setUint32(off + 4, Number(units % per), le);
    dv.setUint32(off + 8, cap, le);
    dv.setUint32(off + 12, p.origLen ?? p.data.length, le);
    out.set(p.data.subarray(0, cap), off + 16);
    off += 16 + cap;
  }
  return out;
}
