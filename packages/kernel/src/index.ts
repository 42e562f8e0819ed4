/**
 * @bpfsim/kernel: the simulated kernel. `new Kernel({ seed })`, then
 * `kernel.loadObject(bytes)` or `kernel.bpfSyscall(cmd, attr)`; programs run
 * through test runs (`ProgHandle.testRun`) or hooks (`kernel.hooks.fire`).
 */
export { Kernel, type KernelOptions, type HookRun } from './kernel/kernel';
export { Clock, type ClockOptions } from './kernel/clock';
export { Rng, RngStream } from './kernel/rng';
export { Scheduler } from './kernel/sched';
export { KernelTrace, hex, type TraceRecord, type TraceKind, type TraceOptions } from './kernel/trace';
export { defaultTask, commBytes, INIT_PID_NS, type Task, type PidNsRecord } from './kernel/task';
export { BpfSubsystem, type FdObject, type LinkCreateAttr } from './bpf/bpf';
export { bpfSyscall, type BpfAttrs, type BpfCommandName, type BpfResult, type ElemAttr, type BatchAttr } from './bpf/syscall';
export { BpfFs, BPFFS_ROOT } from './bpf/bpffs';
export { HookRegistry, type BpfLink, type CtxBuilder } from './bpf/link';
export { BpfProg } from './bpf/prog';
export { progLoad, validObjName, licenseIsGplCompatible, type ProgLoadAttr, type ProgLoadResult, type VerifyFn } from './bpf/prog-load';
export { progTestRun, hasTestRun, type TestRunAttr, type TestRunResult } from './bpf/test-run';
export { runProgram, type RunCtx, type CtxSpec, type RunOutcome } from './bpf/run';
export { loadBpfObject, parseObject, LoadedObject, MapHandle, ProgHandle, type LoadObjectOptions, type ExerciseInput, type ExerciseResult } from './bpf/object';
export { BpfErrnoError, ProgLoadError } from './bpf/errors';
export { vmlinuxBtf, lazyVmlinuxBtf, VMLINUX_BTF_FILE, KernelBtfError } from './bpf/vmlinux-btf';
export { resolveAttachBtfId } from './bpf/attach-btf';
export { HelperOverrides, helperId, helperImplemented, HELPERS, type HelperOverride } from './bpf/helpers';
export { returnSequence, failFromCall, shiftBy, failRandomly } from './bpf/helpers/overrides';
export { parseBprintf, renderBprintf } from './bpf/helpers/bprintf';
export { virtualCtx, type CtxLayout, type CtxField } from './bpf/ctx/layout';
export { xdpMdLayout, XDP_MD_SIZE, XDP_PACKET_HEADROOM, type XdpBuff } from './bpf/ctx/xdp';
export { skBuffLayout, SK_BUFF_SIZE, type SkBuff } from './bpf/ctx/skb';
export { PT_REGS_LAYOUT, PERF_EVENT_DATA_LAYOUT, ptRegs, rawTracepointArgs, PT_REGS_ARG_REGS, type PtRegName } from './bpf/ctx/tracing';
export { PacketBuffer } from './bpf/packet';
export * from './bpf/maps';
export { testRunProgram, snapshotMap, type TestRunProgramOptions, type TestRunProgramResult, type MapSnapshot } from './test-run-program';
export { parseTracepointFormat, tracepointRecord, TRACE_ENTRY_FIELDS, type TracepointFormat, type TracepointField } from './bpf/ctx/tracepoint';
