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
export { PT_REGS_LAYOUT, PERF_EVENT_DATA_LAYOUT, ptRegs, rawTracepointArgs, PT_REGS_ARG_REGS, PT_REGS_FIELDS, type PtRegName } from './bpf/ctx/tracing';
export { PacketBuffer } from './bpf/packet';
export * from './bpf/maps';
export { BufferReader, PerfRing, DEFAULT_PERF_PAGES, type BufferEvent, type BufferSample, type BufferLoss, type BufferSource, type BufferReaderOptions } from './bpf/buffer-reader';
export { testRunProgram, snapshotMap, type TestRunProgramOptions, type TestRunProgramResult, type MapSnapshot } from './test-run-program';
export { parseTracepointFormat, tracepointRecord, TRACE_ENTRY_FIELDS, type TracepointFormat, type TracepointField } from './bpf/ctx/tracepoint';
export { tracepointFormat, listTracepoints, hasTracepoint, normalizeTracepointName, TracepointError, TRACEPOINTS_FILE, type TracepointInfo } from './trace/formats';
// The kernel's world: processes, namespaces, the in-memory file system, syscalls (docs/kernel.md).
export { World, type WorldOptions } from './kernel/world';
export { TaskStruct, TASK_COMM_LEN, truncComm, type TaskState } from './kernel/task_struct';
export { Cred, CAP, CAP_FULL_SET, setuid as credSetuid, setgid as credSetgid } from './kernel/cred';
export { CLONE } from './kernel/clone_flags';
export { SIG, sigDefault } from './kernel/signal';
export { W as WAIT } from './kernel/wait';
export { Pid, allocPid } from './kernel/pid';
export { PER_CPU_KTHREADS } from './kernel/boot';
export { PidNamespace, RESERVED_PIDS, PID_MAX_DEFAULT, MAX_PID_NS_LEVEL } from './ns/pid_namespace';
export { NS_INIT_INO, PROC_DYNAMIC_FIRST, PROC_INUMS_AT_BOOT, InumAllocator, type NsType } from './ns/ns_common';
export { NsProxy } from './ns/nsproxy';
export { UtsNamespace, type UtsName } from './ns/uts_namespace';
export { MntNamespace } from './ns/mnt_namespace';
export { Inode, SuperBlock } from './fs/inode';
export { walk as pathWalk, type WalkStart } from './fs/namei';
export { O, AT } from './fs/file';
export { MmStruct } from './mm/mm_struct';
export { VmLayout } from './mm/vm_layout';
export { seedPath, seedDirs, seedDetached, seedDevice, type SeedSpec } from './fs/seed';
export { File } from './fs/file';
export { KernelObjects, KObj, KobjError, resolveField, findStruct, declareModelledFields, modelledFields, checkModelledFields, isFieldModelled, unmodelledCoreReads, type KField, type KValue, type UnmodelledRead } from './mm/kobj';
export { TaskObjects } from './trace/task-objects';
export { KernelTracepoints, type TaskEvents } from './trace/fire';
export { Kprobes, KprobeError, kfuncAddress, globMatch, type KArg, type KprobeCallOpts } from './trace/kprobes';
export { KFUNCS, SYSCALL_GRAPHS, parseGraph, syscallGraph, syscallsReaching, type KFuncSpec, type GraphLine } from './trace/kprobe-funcs';
export { kfuncPrototype } from './trace/kprobe-btf';
export { FileObjects } from './trace/file-objects';
export { Syscalls, SyscallError, implementedSyscalls, type SysArg, type SyscallResult } from './syscalls/syscalls';
export { SYSCALL_NR_X86_64, SYSCALL_NAME_X86_64 } from './syscalls/table';
export { syscallCost } from './syscalls/costs';
// The packet path: network namespaces, devices, XDP and tc (docs/network.md).
export * from './net';
export { callUserFunction, defineUserImage, userImage, UprobeError, USER_IMAGE_BASE, type UserCall, type UserCallResult, type UserFunction, type UserValue } from './trace/uprobe';
export { iterTargetNames, type BpfIterSession, type IterLinkInfo } from './bpf/iter/bpf_iter';
// Cgroup v2: the hierarchy on /sys/fs/cgroup, controllers, cgroup namespaces, cgroup-attached programs (docs/kernel.md, Cgroups).
export { Cgroup, CgroupHierarchy, CONTROLLERS, type Controller, type CgroupEvents } from './cgroup/cgroup';
export { CGROUP2_DEV, CGROUP2_SUPER_MAGIC } from './cgroup/kernfs';
export { cgroupNsRoot, procCgroupLine } from './cgroup/namespace';
export { PIDS_MAX } from './cgroup/pids';
export { PAGE_COUNTER_MAX } from './cgroup/memcontrol';
export { selectOomVictim } from './mm/oom_kill';
export { CgroupBpf, CGROUP_ATTACH_PROG_TYPE, BPF_F_ALLOW_OVERRIDE, BPF_F_ALLOW_MULTI, BPF_F_REPLACE, BPF_F_QUERY_EFFECTIVE, type CgroupProg, type ProgAttachAttr, type ProgQueryAttr } from './bpf/cgroup';
