/**
 * The process syscalls' modelled kernel functions (kprobe-funcs.ts): kernel_clone → copy_process,
 * wake_up_new_task; bprm_execve; do_group_exit → do_exit; kill_something_info →
 * group_send_sig_info. Arguments are kernel objects laid out by the profile BTF
 * (kernel_clone_args, linux_binprm, task_struct).
 */
import type { World } from '../kernel/world';
import type { TaskStruct } from '../kernel/task_struct';
import type { CloneArgs } from '../kernel/fork';
import { declareModelledFields } from '../mm/kobj';
import type { SysCtx } from '../syscalls/context';
import { kcall } from './kprobe-fs';

const BY = 'trace/kprobe-process.ts';
declareModelledFields('kernel_clone_args', ['flags', 'exit_signal', 'stack', 'stack_size', 'tls', 'pidfd', 'child_tid', 'parent_tid'], BY);
declareModelledFields('linux_binprm', ['filename', 'interp', 'argc', 'envc'], BY);

/** PIDTYPE_TGID: group_send_sig_info's type for kill(2). */
const PIDTYPE_TGID = 1;

/** kernel_clone(args): `body` is the model's fork; it calls copyProcessTraced and wakeUpNewTask. */
export function kernelCloneTraced<R>(c: SysCtx, args: CloneArgs, body: () => R, ret: (r: R) => bigint): R {
  const kp = c.w.kprobes;
  return kcall(kp, 'kernel_clone', () => {
    const o = kp!.temp(kp!.taskObjects.objs.alloc('kernel_clone_args'));
    o.set('flags', BigInt(args.flags));
    o.set('exit_signal', args.exitSignal);
    o.set('pidfd', args.pidfd ?? 0n);
    o.set('child_tid', args.childTid ?? 0n);
    o.set('parent_tid', args.parentTid ?? 0n);
    return [o];
  }, body, { ret });
}

/** copy_process(NULL, 0, NUMA_NO_NODE, args): the new task, or an error. */
export function copyProcessTraced(w: World, body: () => TaskStruct | number): TaskStruct | number {
  const kp = w.kprobes;
  return kcall(kp, 'copy_process', () => [0n, 0, -1, 0n], body, {
    ret: (r) => (typeof r === 'number' ? BigInt(r) : kp!.taskObjects.sync(r).addr),
    fromRet: Number,
  });
}

/** wake_up_new_task(p): the child becomes runnable. */
export function wakeUpNewTask(w: World, child: TaskStruct): void {
  const kp = w.kprobes;
  kcall(kp, 'wake_up_new_task', () => [kp!.taskObjects.sync(child)], () => undefined);
}

/** bprm_execve(bprm): `body` loads the image (search_binary_handler onwards); 0 or an error. */
export function bprmExecveTraced(c: SysCtx, filename: string, interp: string, argc: number, envc: number, body: () => number): number {
  const kp = c.w.kprobes;
  return kcall(kp, 'bprm_execve', () => {
    const b = kp!.temp(kp!.taskObjects.objs.alloc('linux_binprm'));
    b.set('filename', filename);
    b.set('interp', interp);
    b.set('argc', argc);
    b.set('envc', envc);
    return [b];
  }, body);
}

/** do_group_exit(exit_code): never returns. */
export function doGroupExitTraced(w: World, t: TaskStruct, status: number, body: () => void): void {
  kcall(w.kprobes, 'do_group_exit', () => [status], body, { noReturn: true, task: t });
}

/** do_exit(code), run by the exiting task itself: never returns. */
export function doExitTraced(w: World, t: TaskStruct, status: number, body: () => void): void {
  if (!t.alive || t.exiting) return body();
  kcall(w.kprobes, 'do_exit', () => [status], body, { noReturn: true, task: t });
}

/** kill_something_info(sig, info, pid) for kill(2) (info is SEND_SIG_NOINFO's user siginfo: not modelled, NULL). */
export function killTraced(c: SysCtx, sig: number, pid: number, body: () => number): number {
  return kcall(c.w.kprobes, 'kill_something_info', () => [sig, 0n, pid], body);
}

/** group_send_sig_info(sig, info, p, PIDTYPE_TGID): the permission check and the send. */
export function groupSendSigInfo(c: SysCtx, sig: number, target: TaskStruct, body: () => number): number {
  const kp = c.w.kprobes;
  return kcall(kp, 'group_send_sig_info', () => [sig, 0n, kp!.taskObjects.sync(target), PIDTYPE_TGID], body);
}
