/** Read either capture format, chosen by its magic, into one shape. */
import type { CaptureInterface, CapturePacket, ReadLimits } from './capture';
import { CaptureFormatError } from './errors';
import { PCAPNG_MAGIC, readPcap } from './pcap';
import { readPcapng } from './pcapng';

export interface Capture {
  format: 'pcap' | 'pcapng';
  interfaces: CaptureInterface[];
  packets: CapturePacket[];
}

export function readCapture(bytes: Uint8Array, limits: ReadLimits = {}): Capture {
  if (bytes.length < 4) throw new CaptureFormatError(`a capture file needs at least 4 bytes, the file has ${bytes.length}`, 0, limits.file ?? '<capture>');
  const m = ((bytes[0] << 24) >>> 0) + ((bytes[1] << 16) | (bytes[2] << 8) | bytes[3]);
  if (m === PCAPNG_MAGIC) {
    const f = readPcapng(bytes, limits);
    return { format: 'pcapng', interfaces: f.interfaces, packets: f.packets };
  }
  const f = readPcap(bytes, limits);
  return { format: 'pcap', interfaces: [{ linkType: f.linkType, snaplen: f.snaplen, tsresol: f.nanos ? 9 : 6 }], packets: f.packets };
}
