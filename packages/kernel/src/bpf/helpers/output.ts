/**
 * Output helpers: perf_event_output into a PERF_EVENT_ARRAY and the BPF ring
 * buffer. Storage and the kernel's accounting are the map types'
 * (maps/perf-event-array.ts, maps/ringbuf.ts); this adds the skb/xdp packet
 * payload of perf output and records every committed record in the trace.
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { HelperCall } from '@bpfsim/vm';
import { hex } from '../../kernel/trace';
import type { BpfMap, PerfEventArrayMap, RingBufMap } from '../maps/map';
import { mapAt } from './mem';
import { neg, type HelperArea, type RunEnv } from './types';

const BPF_F_INDEX_MASK = 0xffffffffn;
const BPF_F_CURRENT_CPU = 0xffffffffn;
const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;
/** Ring buffer record header: u32 len (BUSY/DISCARD in the top bits), u32 page offset. */
const RB_LEN_MASK = 0x3fffffff;

const r0 = (res: number): bigint => (res < 0 ? neg(-res) : BigInt(res));

function asType<T extends BpfMap>(map: BpfMap, type: number, what: string): T {
  if (map.type !== type) throw new TypeError(`${what}: map ${map.name || map.id} is not a ${what} map (type ${map.type})`);
  return map as T;
}

function emit(env: RunEnv, map: BpfMap, data: Uint8Array, index?: number): void {
  const t = env.kernel.clock.monotonicNs.toString();
  const name = map.name || `map#${map.id}`;
  if (index === undefined) env.kernel.trace.emit({ kind: 'ringbuf', t, cpu: env.cpu, map: name, data: hex(data) });
  else env.kernel.trace.emit({ kind: 'perf_event', t, cpu: env.cpu, map: name, index, data: hex(data) });
}

function perfOutput(env: RunEnv, call: HelperCall, m: bigint, flags: bigint, data: bigint, size: bigint): bigint {
  const packet = env.skb?.pkt ?? env.xdp?.pkt;
  // skb/xdp programs may append ctx_len packet bytes (BPF_F_CTXLEN_MASK); others may not set those bits.
  if (flags & ~(packet ? BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK : BPF_F_INDEX_MASK)) return neg(Errno.EINVAL);
  const map = asType<PerfEventArrayMap>(mapAt(call.mem, m), BpfMapType.PERF_EVENT_ARRAY, 'perf event array');
  let bytes = call.mem.read(data, Number(size & 0xffffffffn));
  const ctxLen = Number((flags & BPF_F_CTXLEN_MASK) >> 32n);
  if (ctxLen && packet) {
    if (ctxLen > packet.len) return neg(Errno.EFAULT);
    const joined = new Uint8Array(bytes.length + ctxLen);
    joined.set(bytes);
    joined.set(packet.slice(packet.data, packet.data + ctxLen), bytes.length);
    bytes = joined;
  }
  const index = flags & BPF_F_INDEX_MASK;
  const res = map.output(env.cpu, index, bytes);
  if (res === 0) emit(env, map, bytes, index === BPF_F_CURRENT_CPU ? env.cpu : Number(index));
  return r0(res);
}

function ringbufAt(call: HelperCall, m: bigint): RingBufMap {
  return asType<RingBufMap>(mapAt(call.mem, m), BpfMapType.RINGBUF, 'ring buffer');
}

/** The ring buffer that owns a reserved record's address (its data region's owner). */
function ringbufOfRecord(call: HelperCall, addr: bigint): RingBufMap {
  const r = call.mem.find(addr, 1);
  const owner = r?.owner as BpfMap | undefined;
  if (!owner || owner.type !== BpfMapType.RINGBUF) throw new TypeError(`ringbuf: 0x${addr.toString(16)} is not a reserved ring buffer record (${call.mem.describe(addr)})`);
  return owner as RingBufMap;
}

export const outputHelpers: HelperArea = {
  bpf_perf_event_output: (env, call, _ctx, m, flags, data, size) => perfOutput(env, call, m, flags, data, size),
  bpf_ringbuf_output(env, call, m, data, size, flags) {
    const rb = ringbufAt(call, m);
    const bytes = call.mem.read(data, Number(size & 0xffffffffn));
    const res = rb.output(bytes, Number(flags & 0xffffffffn));
    if (res === 0) emit(env, rb, bytes);
    return r0(res);
  },
  bpf_ringbuf_reserve(_env, call, m, size, flags) {
    return ringbufAt(call, m).reserve(Number(size & 0xffffffffn), Number(flags & 0xffffffffn));
  },
  bpf_ringbuf_submit(env, call, data, flags) {
    const rb = ringbufOfRecord(call, data);
    const hdr = call.mem.read(data - 8n, 4);
    const len = (hdr[0] | (hdr[1] << 8) | (hdr[2] << 16) | (hdr[3] << 24)) & RB_LEN_MASK;
    const bytes = call.mem.read(data, len);
    rb.submit(data, Number(flags & 0xffffffffn));
    emit(env, rb, bytes);
    return 0n;
  },
  bpf_ringbuf_discard(_env, call, data, flags) {
    ringbufOfRecord(call, data).discard(data, Number(flags & 0xffffffffn));
    return 0n;
  },
  bpf_ringbuf_query(_env, call, m, flags) {
    return ringbufAt(call, m).query(Number(flags & 0xffffffffn));
  },
};
