/**
 * The cgroup core's interface files (kernel/cgroup/cgroup.c cgroup_base_files
 * and the PSI files), with the formats and errnos of Linux 6.18. Names, modes
 * and order are the 6.18 machine's (test/cgroup/fixtures/host-cgroup2.json).
 */
import { Errno } from '@bpfsim/uapi';
import type { TaskStruct } from '../kernel/task_struct';
import type { Cgroup } from './cgroup';
import { CONTROLLERS, INT_MAX, STAT_SUBSYS, THREADED, type Controller } from './controllers';
import { attachPermissions } from './attach';
import type { CfType } from './cftype';
import { kstrtoint, kstrtointErr, strstrip } from './parse';
import { cpuStatShow, cpuStatLocalShow } from './cpu';

/** Tasks of `cg` as `viewer`'s pid namespace numbers them (css_task_iter; 0 for one it cannot see). */
function listTasks(cg: Cgroup, viewer: TaskStruct, procs: boolean): string {
  const ns = viewer.pidNamespace;
  return cg.tasks
    .filter((t) => !procs || t.isGroupLeader)
    .map((t) => `${procs ? t.tgidIn(ns) : t.pidIn(ns)}\n`)
    .join('');
}

/** __cgroup_procs_write: a pid (0: the writer) moves, with its whole thread group for cgroup.procs. */
function procsWrite(dst: Cgroup, data: string, writer: TaskStruct, threadgroup: boolean): number {
  const pid = kstrtoint(strstrip(data));
  if (!Number.isFinite(pid)) return kstrtointErr(pid);
  if (pid < 0) return -Errno.EINVAL;
  let t = pid ? dst.hier.host.findTask(pid, writer) : writer;
  if (!t) return -Errno.ESRCH;
  if (threadgroup) t = t.groupLeader;
  // Kernel threads cannot be moved (PF_NO_SETAFFINITY; bpfsim treats every kthread so).
  if (t.kthread) return -Errno.EINVAL;
  const src = t.cgroup ?? dst.hier.root;
  const e = attachPermissions(src, dst, writer, threadgroup);
  if (e) return e;
  // An exiting task (a zombie) is skipped: the write succeeds and moves nothing.
  const tasks = threadgroup ? t.signal.threads.filter((x) => x.alive && !x.exiting) : [t];
  dst.hier.migrate(tasks, dst, writer);
  return 0;
}

/** cgroup_subtree_control_write: "+ctrl -ctrl ..." with the kernel's checks, in its order. */
function subtreeControlWrite(cg: Cgroup, data: string): number {
  const enable = new Set<Controller>();
  const disable = new Set<Controller>();
  for (const tok of strstrip(data).split(/[ \t\n]/)) {
    if (tok === '') continue;
    const name = tok.slice(1) as Controller;
    if (!CONTROLLERS.includes(name)) return -Errno.EINVAL;
    if (tok[0] === '+') {
      enable.add(name);
      disable.delete(name);
    } else if (tok[0] === '-') {
      disable.add(name);
      enable.delete(name);
    } else return -Errno.EINVAL;
  }
  for (const c of CONTROLLERS) {
    if (enable.has(c)) {
      if (cg.subtreeControl.has(c)) enable.delete(c);
      else if (!cg.enabled(c)) return -Errno.ENOENT;
    } else if (disable.has(c)) {
      if (!cg.subtreeControl.has(c)) disable.delete(c);
      else for (const ch of cg.children.values()) if (ch.subtreeControl.has(c)) return -Errno.EBUSY;
    }
  }
  if (!enable.size && !disable.size) return 0;
  // cgroup_vet_subtree_control_enable: no internal processes for domain controllers below a non-root cgroup.
  if (enable.size && !cg.isRoot && [...enable].some((c) => !THREADED.has(c)) && cg.tasks.length) return -Errno.EBUSY;
  for (const c of CONTROLLERS) {
    if (enable.has(c)) {
      cg.subtreeControl.add(c);
      for (const ch of cg.children.values()) cg.hier.controllerOnline(ch, c);
    } else if (disable.has(c)) {
      cg.subtreeControl.delete(c);
      for (const ch of cg.children.values()) cg.hier.controllerOffline(ch, c);
    }
  }
  return 0;
}

/** cgroup_print_ss_mask: names separated by spaces, a newline only after at least one. */
function ssMask(names: readonly string[]): string {
  return names.length ? `${names.join(' ')}\n` : '';
}

/** cgroup.max.descendants / cgroup.max.depth: "max" or a number >= 0. */
function limitShow(v: number): string {
  return v >= INT_MAX ? 'max\n' : `${v}\n`;
}
function limitWrite(data: string, set: (v: number) => void): number {
  const s = strstrip(data);
  let v = INT_MAX;
  if (s !== 'max') {
    v = kstrtoint(s);
    if (!Number.isFinite(v)) return kstrtointErr(v);
  }
  if (v < 0) return -Errno.ERANGE;
  set(v);
  return 0;
}

/** cgroup.stat: descendants, then live and dying css counts per subsystem of the hierarchy. */
function statShow(cg: Cgroup): string {
  const live = (ss: string): number => {
    let n = 0;
    for (const d of cg.subtree()) if (ss === 'perf_event' || d.enabled(ss as Controller)) n++;
    return n;
  };
  return [
    `nr_descendants ${cg.nrDescendants}`,
    ...STAT_SUBSYS.map((ss) => `nr_subsys_${ss} ${live(ss)}`),
    'nr_dying_descendants 0',
    ...STAT_SUBSYS.map((ss) => `nr_dying_subsys_${ss} 0`),
    '',
  ].join('\n');
}

/** cgroup.kill: "1" SIGKILLs every task of the subtree (cgroup_kill). */
function killWrite(cg: Cgroup, data: string): number {
  const v = kstrtoint(strstrip(data));
  if (!Number.isFinite(v)) return kstrtointErr(v);
  if (v !== 1) return -Errno.ERANGE;
  for (const d of cg.subtree()) for (const t of d.tasks.slice()) if (t.alive && !t.exiting) cg.hier.host.kill(t);
  return 0;
}

export const BASE_FILES: CfType[] = [
  // Threaded cgroups are not modelled: every non-root cgroup is a domain, and turning one threaded is refused.
  { name: 'cgroup.type', mode: 0o644, notOnRoot: true, show: () => 'domain\n', write: (_cg, d) => (strstrip(d) === 'threaded' ? -Errno.EOPNOTSUPP : -Errno.EINVAL) },
  { name: 'cgroup.procs', mode: 0o644, show: (cg, v) => listTasks(cg, v, true), write: (cg, d, w) => procsWrite(cg, d, w, true) },
  { name: 'cgroup.threads', mode: 0o644, show: (cg, v) => listTasks(cg, v, false), write: (cg, d, w) => procsWrite(cg, d, w, false) },
  { name: 'cgroup.controllers', mode: 0o444, show: (cg) => ssMask(cg.controllers()) },
  { name: 'cgroup.subtree_control', mode: 0o644, show: (cg) => ssMask(CONTROLLERS.filter((c) => cg.subtreeControl.has(c))), write: subtreeControlWrite },
  { name: 'cgroup.events', mode: 0o444, notOnRoot: true, show: (cg) => `populated ${cg.populated() ? 1 : 0}\nfrozen 0\n` },
  { name: 'cgroup.max.descendants', mode: 0o644, show: (cg) => limitShow(cg.maxDescendants), write: (cg, d) => limitWrite(d, (v) => (cg.maxDescendants = v)) },
  { name: 'cgroup.max.depth', mode: 0o644, show: (cg) => limitShow(cg.maxDepth), write: (cg, d) => limitWrite(d, (v) => (cg.maxDepth = v)) },
  { name: 'cgroup.stat', mode: 0o444, show: statShow },
  { name: 'cgroup.stat.local', mode: 0o444, notOnRoot: true },
  { name: 'cgroup.freeze', mode: 0o644, notOnRoot: true },
  { name: 'cgroup.kill', mode: 0o200, notOnRoot: true, write: killWrite },
  { name: 'cpu.stat', mode: 0o444, show: cpuStatShow },
  { name: 'cpu.stat.local', mode: 0o444, show: cpuStatLocalShow },
  // PSI files (CONFIG_PSI; irq.pressure needs CONFIG_IRQ_TIME_ACCOUNTING, off on the 6.18 machine).
  { name: 'io.pressure', mode: 0o644 },
  { name: 'memory.pressure', mode: 0o644 },
  { name: 'cpu.pressure', mode: 0o644 },
  { name: 'cgroup.pressure', mode: 0o644 },
];
