/** What pcap and pcapng files have in common: interfaces with a link type, and timed packets. */

export interface CaptureInterface {
  /** LINKTYPE_* (1 Ethernet, 101 raw IP, 113 Linux SLL, ...). */
  linkType: number;
  /** 0 means "not given". */
  snaplen: number;
  /** Name (pcapng if_name), when known. */
  name?: string;
  /** pcapng if_tsresol byte (6 = microseconds, 9 = nanoseconds, 0x80|n = 2^-n). */
  tsresol: number;
}

export interface CapturePacket {
  /** Index into the capture's interfaces (always 0 in pcap files). */
  interfaceId: number;
  /** Timestamp in nanoseconds since the epoch. */
  tsNs: bigint;
  /** Length on the wire; `data.length` is the captured length. */
  origLen: number;
  data: Uint8Array;
}

export interface ReadLimits {
  /** File name for error messages. */
  file?: string;
  /** Largest captured length accepted (libpcap's maximum snapshot length by default). */
  maxCaplen?: number;
  /** Most packets read before giving up. */
  maxPackets?: number;
}

/** libpcap's MAXIMUM_SNAPLEN. */
export const MAX_SNAPLEN = 262144;
export const DEFAULT_MAX_PACKETS = 1_000_000;

const NS = 1_000_000_000n;

/** Timestamp units → ns for an if_tsresol byte (decimal exponent, or binary when the top bit is set). */
export function unitsToNs(units: bigint, tsresol: number): bigint {
  const exp = BigInt(tsresol & 0x7f);
  if (tsresol & 0x80) return (units * NS) >> exp;
  return exp <= 9n ? units * 10n ** (9n - exp) : units / 10n ** (exp - 9n);
}

export function nsToUnits(ns: bigint, tsresol: number): bigint {
  const exp = BigInt(tsresol & 0x7f);
  if (tsresol & 0x80) return (ns << exp) / NS;
  return exp <= 9n ? ns / 10n ** (9n - exp) : ns * 10n ** (exp - 9n);
}
