/**
 * libpcap capture files (the classic format tcpdump and Wireshark read):
 * the packets of a replay, with the virtual time of the event as timestamp.
 */
export const PCAP_MAGIC_NS = 0xa1b23c4d; // nanosecond-resolution timestamps
export const LINKTYPE_ETHERNET = 1;

export interface PcapPacket {
  /** Virtual time in ns. */
  t: bigint;
  data: Uint8Array;
}

export function encodePcap(packets: readonly PcapPacket[], snaplen = 262144): Uint8Array {
  const size = 24 + packets.reduce((a, p) => a + 16 + Math.min(p.data.length, snaplen), 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PCAP_MAGIC_NS, true);
  dv.setUint16(4, 2, true); // version 2.4
  dv.setUint16(6, 4, true);
  dv.setInt32(8, 0, true); // thiszone
  dv.setUint32(12, 0, true); // sigfigs
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, LINKTYPE_ETHERNET, true);
  let at = 24;
  for (const p of packets) {
    const caplen = Math.min(p.data.length, snaplen);
    dv.setUint32(at, Number(p.t / 1_000_000_000n), true);
    dv.setUint32(at + 4, Number(p.t % 1_000_000_000n), true);
    dv.setUint32(at + 8, caplen, true);
    dv.setUint32(at + 12, p.data.length, true);
    out.set(p.data.subarray(0, caplen), at + 16);
    at += 16 + caplen;
  }
  return out;
}

/** Read a capture written by encodePcap (or any little-endian classic pcap). */
export function decodePcap(bytes: Uint8Array): { linktype: number; packets: PcapPacket[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24) throw new Error('pcap: shorter than its 24-byte header');
  const magic = dv.getUint32(0, true);
  const ns = magic === PCAP_MAGIC_NS;
  if (!ns && magic !== 0xa1b2c3d4) throw new Error(`pcap: bad magic 0x${magic.toString(16)}`);
  const packets: PcapPacket[] = [];
  let at = 24;
  while (at < bytes.length) {
    if (at + 16 > bytes.length) throw new Error(`pcap: truncated record header at byte ${at}`);
    const sec = BigInt(dv.getUint32(at, true));
    const frac = BigInt(dv.getUint32(at + 4, true));
    const caplen = dv.getUint32(at + 8, true);
    if (at + 16 + caplen > bytes.length) throw new Error(`pcap: truncated packet at byte ${at}`);
    packets.push({ t: sec * 1_000_000_000n + (ns ? frac : frac * 1000n), data: bytes.slice(at + 16, at + 16 + caplen) });
    at += 16 + caplen;
  }
  return { linktype: dv.getUint32(20, true), packets };
}

/**
 * The packets of a replay's trace, by file name: `<program>.in.pcap` holds what
 * each run was given, `<program>.out.pcap` what it left (data_out).
 */
export function tracePcaps(trace: readonly { t: string; outcome: Record<string, unknown> }[]): Map<string, PcapPacket[]> {
  const files = new Map<string, PcapPacket[]>();
  const add = (name: string, t: string, hexData: unknown) => {
    if (typeof hexData !== 'string') return;
    const p = { t: BigInt(t), data: Uint8Array.from(Buffer.from(hexData, 'hex')) };
    const list = files.get(name);
    if (list) list.push(p); // appended in place: copying the list per packet made --pcap quadratic
    else files.set(name, [p]);
  };
  for (const e of trace) {
    if (e.outcome.kind !== 'run') continue;
    add(`${String(e.outcome.program)}.in.pcap`, e.t, e.outcome.data_in);
    add(`${String(e.outcome.program)}.out.pcap`, e.t, e.outcome.data_out);
  }
  return files;
}
