import { BpfsimError } from '@bpfsim/uapi';

/** A packet could not be built from its description (bad address, value out of range). */
export class PacketBuildError extends BpfsimError {
  /** Index of the layer that failed, set by buildPacket. */
  layerIndex?: number;
  constructor(message: string) {
    super('PACKET_BUILD', message);
  }
}

/** A packet expression (`eth(...)/ipv4(...)`) is malformed; names the column (1-based). */
export class PacketExprError extends BpfsimError {
  readonly column: number;
  constructor(message: string, column: number, source = 'packet expression') {
    super('PACKET_EXPR', `${source}:${column}: ${message}`);
    this.column = column;
  }
}

/** A pcap/pcapng file is malformed; names the file and the byte offset. */
export class CaptureFormatError extends BpfsimError {
  readonly offset: number;
  constructor(message: string, offset: number, file = '<capture>') {
    super('PCAP_FORMAT', `${file}: at byte offset ${offset}: ${message}`);
    this.offset = offset;
  }
}

/** A thrower for one protocol's field checks: `fail('ipv4')('ttl: ...')`. */
export function fail(kind: string): (m: string) => PacketBuildError {
  return (m: string) => new PacketBuildError(`${kind}: ${m}`);
}
