/**
 * The `task` iterator target (kernel/bpf/task_iter.c): every task by pid number in the reader's pid
 * namespace (find_ge_pid order, threads included, kernel threads included, the idle task not), or,
 * with link info, one thread (`tid`: BPF_TASK_ITER_TID) or the threads of one process (`pid` or
 * `pid_fd`: BPF_TASK_ITER_TGID, leader first then next_thread order). The namespace is the reader's
 * when the session opens (init_seq_pidns).
 */
import { Errno } from '@bpfsim/uapi';
import type { TaskStruct } from '../../kernel/task_struct';
import type { PidNamespace } from '../../ns/pid_namespace';
import { registerIterTarget, type IterCursor, type IterKernel, type IterLinkInfo, type IterObject, type IterTarget } from './bpf_iter';

type TaskIterAux = { type: 'all' } | { type: 'tid' | 'tgid'; pid: number };

/** The tasks whose pid is visible in `ns`, by their number there (pid_task of PIDTYPE_PID). */
function byNumber(k: IterKernel, ns: PidNamespace): Map<number, TaskStruct> {
  const m = new Map<number, TaskStruct>();
  for (const t of k.kernel.world.tasksIn(ns)) m.set(t.pidIn(ns), t);
  return m;
}

/** task_seq_get_next: the task the walk is at for `tid` (moving tid forward as the kernel does). */
class TaskCursor implements IterCursor {
  private tid = 0;
  /** common->pid_visiting (TGID walks). */
  private visiting = 0;

  constructor(private readonly k: IterKernel, private readonly aux: TaskIterAux, private readonly ns: PidNamespace) {}

  start(): IterObject | undefined {
    return this.obj(this.getNext());
  }

  next(): IterObject | undefined {
    this.tid++;
    return this.obj(this.getNext());
  }

  private obj(t: TaskStruct | undefined): IterObject | undefined {
    return t ? [this.k.taskAddr(t)] : undefined;
  }

  private getNext(): TaskStruct | undefined {
    const tasks = byNumber(this.k, this.ns);
    const aux = this.aux;
    if (aux.type === 'tid') {
      if (this.tid && this.tid !== aux.pid) return undefined;
      const t = tasks.get(aux.pid);
      // get_pid_task(pid, PIDTYPE_TGID): only a thread-group leader's pid has a TGID task
      if (!t) return undefined;
      this.tid = aux.pid;
      return t.isGroupLeader ? t : undefined;
    }
    if (aux.type === 'tgid') return this.groupNext(tasks, aux.pid);
    // find_ge_pid: the next pid number at or above tid with a task
    let best: number | undefined;
    for (const nr of tasks.keys()) if (nr >= this.tid && (best === undefined || nr < best)) best = nr;
    if (best === undefined) return undefined;
    this.tid = best;
    return tasks.get(best);
  }

  /** task_group_seq_get_next. */
  private groupNext(tasks: Map<number, TaskStruct>, pid: number): TaskStruct | undefined {
    if (!this.tid) {
      const t = tasks.get(pid);
      if (!t || !t.isGroupLeader) return undefined;
      this.tid = pid;
      this.visiting = pid;
      return t;
    }
    if (this.tid === this.visiting) return tasks.get(this.visiting);
    const t = tasks.get(this.visiting);
    if (!t) return undefined;
    // next_thread: the thread group's circular list, leader first then creation order
    const threads = t.signal.threads.filter((x) => x.pidIn(this.ns) !== 0);
    const i = threads.indexOf(t);
    if (i < 0) return undefined;
    const next = threads[(i + 1) % threads.length];
    const nr = next.pidIn(this.ns);
    // back at the leader: the walk of the process is over (tid keeps its saved value)
    if (!nr || nr === pid) return undefined;
    this.tid = nr;
    this.visiting = nr;
    return next;
  }
}

export const taskIterTarget: IterTarget<TaskIterAux> = {
  name: 'task',
  slots: 1,
  attach(info: IterLinkInfo): TaskIterAux | number {
    const given = [info.tid, info.pid, info.pidFd].filter((v) => v).length;
    if (given > 1) return -Errno.EINVAL;
    if (info.tid) return { type: 'tid', pid: info.tid };
    if (info.pid) return { type: 'tgid', pid: info.pid };
    // pidfds are not modelled: a pid_fd names nothing bpfsim can resolve
    if (info.pidFd) return -Errno.EBADF;
    return { type: 'all' };
  },
  open(aux, k) {
    return new TaskCursor(k, aux, k.reader().pidNamespace);
  },
};

registerIterTarget(taskIterTarget);
