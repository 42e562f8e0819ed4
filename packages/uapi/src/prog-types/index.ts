/** Program types as data (one module each), and lookups by enum value and by name. */
import type { ProgTypeInfo } from './types';
import { socketFilter } from './socket-filter';
import { kprobe } from './kprobe';
import { schedCls } from './sched-cls';
import { schedAct } from './sched-act';
import { tracepoint } from './tracepoint';
import { xdp } from './xdp';
import { perfEvent } from './perf-event';
import { cgroupSkb } from './cgroup-skb';
import { rawTracepoint } from './raw-tracepoint';

export type { ProgTypeInfo, CtxField, CtxSizes, CtxYield } from './types';
export { socketFilter, kprobe, schedCls, schedAct, tracepoint, xdp, perfEvent, cgroupSkb, rawTracepoint };

/** Every program type bpfsim describes, in enum order. */
export const PROG_TYPES: readonly ProgTypeInfo[] = Object.freeze(
  [socketFilter, kprobe, schedCls, schedAct, tracepoint, xdp, perfEvent, cgroupSkb, rawTracepoint].sort((a, b) => a.type - b.type),
);

/** The program type with enum value `type`, or undefined when bpfsim does not describe it. */
export function progTypeInfo(type: number): ProgTypeInfo | undefined {
  return PROG_TYPES.find((p) => p.type === type);
}

/** The program type named `name` (socket_filter, xdp, ...), or undefined. */
export function progTypeByName(name: string): ProgTypeInfo | undefined {
  return PROG_TYPES.find((p) => p.name === name.toLowerCase());
}
