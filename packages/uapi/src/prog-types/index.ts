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
import { tracing } from './tracing';
import { cgroupSock } from './cgroup-sock';
import { cgroupSockAddr } from './cgroup-sock-addr';
import { cgroupSysctl } from './cgroup-sysctl';
import { cgroupDevice } from './cgroup-device';
import { skSkb } from './sk-skb';
import { skMsg } from './sk-msg';
import { sockOps } from './sock-ops';

export type { ProgTypeInfo, CtxField, CtxSizes, CtxYield, AttachSet } from './types';
export { socketFilter, kprobe, schedCls, schedAct, tracepoint, xdp, perfEvent, cgroupSkb, rawTracepoint, tracing };
export { cgroupSock, cgroupSockAddr, cgroupSysctl, cgroupDevice, skSkb, skMsg, sockOps };

/** Every program type bpfsim describes, in enum order. */
export const PROG_TYPES: readonly ProgTypeInfo[] = Object.freeze(
  [socketFilter, kprobe, schedCls, schedAct, tracepoint, xdp, perfEvent, cgroupSkb, rawTracepoint, tracing,
    cgroupSock, cgroupSockAddr, cgroupSysctl, cgroupDevice, skSkb, skMsg, sockOps].sort((a, b) => a.type - b.type),
);

/** The program type with enum value `type`, or undefined when bpfsim does not describe it. */
export function progTypeInfo(type: number): ProgTypeInfo | undefined {
  return PROG_TYPES.find((p) => p.type === type);
}

/** The program type named `name` (socket_filter, xdp, ...), or undefined. */
export function progTypeByName(name: string): ProgTypeInfo | undefined {
  return PROG_TYPES.find((p) => p.name === name.toLowerCase());
}

/**
 * The expected_attach_type a load of `info` runs with, or null when bpf_prog_load refuses `attach`
 * for this type with EINVAL before verification (bpf_prog_load_fixup_attach_type, then
 * bpf_prog_load_check_attach). A missing attach type is 0.
 */
export function loadAttachType(info: ProgTypeInfo, attach: number | undefined): number | null {
  const a = attach === undefined || attach === 0 ? (info.defaultAttachType ?? 0) : attach;
  return info.attachTypes && !info.attachTypes.includes(a) ? null : a;
}

/** Whether the type's func_proto gives helper `id` to a program with expected_attach_type `attach`. */
export function helperAllowed(info: ProgTypeInfo, id: number, attach: number): boolean {
  if (!info.helpers.includes(id)) return false;
  const set = info.helperAttach?.[id];
  if (!set) return true;
  return 'only' in set ? set.only.includes(attach) : !set.except.includes(attach);
}

/** The R0 range check_return_code enforces for `attach`, or null when it checks none. */
export function retRangeFor(info: ProgTypeInfo, attach: number): readonly [number, number] | null {
  return info.retRangeByAttach?.[attach] ?? info.retRange;
}
