/**
 * What a thread group shares (struct signal_struct) and what CLONE_SIGHAND
 * shares (struct sighand_struct): process group and session, the group exit,
 * the child-subreaper flags, pending group signals; the signal dispositions.
 */
import type { Pid } from './pid';
import { NSIG, SIG_DFL, type SigAction } from './signal';
import type { TaskStruct } from './task_struct';

export class SignalStruct {
  /** Live and zombie threads, leader first then in creation order. */
  readonly threads: TaskStruct[] = [];
  /** Threads not yet exited (signal->live). */
  live = 0;
  pgrp: Pid | undefined;
  session: Pid | undefined;
  /** signal->leader: the group leads its session (setsid). */
  sessionLeader = false;
  /** Resource limits [cur, max] by RLIMIT_* (undefined: the defaults, syscalls/sys_resource.ts). */
  rlim: [bigint, bigint][] | undefined;
  /** PR_SET_CHILD_SUBREAPER. */
  isChildSubreaper = false;
  /** Some ancestor is a subreaper (inherited at fork, so orphans look upward). */
  hasChildSubreaper = false;
  /** SIGNAL_UNKILLABLE: a pid namespace's init. */
  unkillable = false;
  /** SIGNAL_GROUP_EXIT and its code (exit_group or a fatal signal). */
  groupExit = false;
  groupExitCode = 0;
  /** Group-wide pending signals (kill), in arrival order without duplicates of standard signals. */
  readonly shared: number[] = [];
  /** SIGNAL_STOP_STOPPED and the stop/continue notifications a waiting parent collects. */
  stopped = false;
  stopSignal = 0;
  notifyStopped = false;
  notifyContinued = false;
}

export class SigHand {
  readonly action: SigAction[];
  users = 1;
  constructor(from?: SigHand) {
    this.action = Array.from({ length: NSIG + 1 }, (_, i) => (from ? { ...from.action[i] } : { handler: SIG_DFL, flags: 0, mask: 0n, restorer: 0n }));
  }
}
