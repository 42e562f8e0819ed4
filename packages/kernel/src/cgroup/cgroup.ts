/**
 * The cgroup v2 hierarchy (kernel/cgroup/cgroup.c): cgroups as kernfs
 * directories with their interface files, mkdir/rmdir with the kernel's limits
 * and errnos, the tasks of each cgroup in the order they joined (a css_set's
 * task list), migration, and the fork/exit/release hooks the controllers act
 * in. One css_set per cgroup: with only the v2 hierarchy, that is what Linux
 * has too.
 */
import { Errno } from '@bpfsim/uapi';
import type { Inode } from '../fs/inode';
import type { TaskStruct } from '../kernel/task_struct';
import { KernfsRoot } from './kernfs';
import type { CfType } from './cftype';
import { attachPermissions } from './attach';
import { CONTROLLERS, INT_MAX, type Controller } from './controllers';
import { CpuState, compute } from './cpu';
import { MemState } from './memcontrol';
import { PidsState } from './pids';
import { CgroupBpf } from '../bpf/cgroup';

export { CONTROLLERS, THREADED, STAT_SUBSYS, INT_MAX, type Controller } from './controllers';
export { vetDst } from './attach';

/** What the hierarchy needs from the rest of the kernel. */
export interface CgroupHost {
  now(): bigint;
  /** Advance virtual time (cpu throttling waits). */
  advance(ns: bigint): void;
  /** SIGKILL a task (the OOM killer, cgroup.kill). */
  kill(t: TaskStruct): void;
  /** find_task_by_vpid: a task by its number in `viewer`'s pid namespace. */
  findTask(nr: number, viewer: TaskStruct): TaskStruct | undefined;
  /** Tracepoints, when the tracing layer is there. */
  events?: CgroupEvents;
}

/** cgroup:* and oom:mark_victim tracepoints; `by` is the task in whose syscall it happens. */
export interface CgroupEvents {
  mkdir?(cg: Cgroup, by: TaskStruct): void;
  rmdir?(cg: Cgroup, by: TaskStruct): void;
  attachTask?(dst: Cgroup, t: TaskStruct, by: TaskStruct): void;
  markVictim?(t: TaskStruct, by: TaskStruct, rssPages: number): void;
}

export class Cgroup {
  readonly children = new Map<string, Cgroup>();
  /** Live tasks of this cgroup in the order they joined (list_add_tail on attach and fork). */
  readonly tasks: TaskStruct[] = [];
  readonly subtreeControl = new Set<Controller>();
  maxDepth = INT_MAX;
  maxDescendants = INT_MAX;
  nrDescendants = 0;
  dead = false;
  readonly level: number;
  /** Ids from the root (level 0) down to this cgroup (cgroup->ancestors[]). */
  readonly ancestorIds: bigint[];
  readonly dir: Inode;
  readonly pids = new PidsState();
  readonly memory = new MemState();
  readonly cpu: CpuState;
  readonly bpf: CgroupBpf;

  constructor(readonly hier: CgroupHierarchy, public name: string, readonly parent: Cgroup | undefined, mode: number) {
    this.level = parent ? parent.level + 1 : 0;
    this.dir = hier.kernfs.dir(mode, hier.dirOps(this), parent?.dir, this);
    this.ancestorIds = [...(parent?.ancestorIds ?? []), BigInt(this.dir.ino)];
    this.cpu = new CpuState(hier.host.now());
    this.bpf = new CgroupBpf(this);
  }

  /** cgroup_id(): the kernfs node id of its directory. */
  get id(): bigint {
    return BigInt(this.dir.ino);
  }
  get isRoot(): boolean {
    return !this.parent;
  }
  /** cgroup_control: what this cgroup may enable for its children (the root: everything). */
  controllers(): Controller[] {
    return CONTROLLERS.filter((c) => this.enabled(c));
  }
  /** Whether this cgroup has a css of `c` (its parent enabled it; always on the root). */
  enabled(c: Controller): boolean {
    return !this.parent || this.parent.subtreeControl.has(c);
  }
  /** cgroup_is_populated: a live task here or below. */
  populated(): boolean {
    if (this.tasks.length) return true;
    for (const ch of this.children.values()) if (ch.populated()) return true;
    return false;
  }
  isAncestorOf(c: Cgroup): boolean {
    for (let p: Cgroup | undefined = c; p; p = p.parent) if (p === this) return true;
    return false;
  }
  /** This cgroup and its ancestors, nearest first. */
  *upward(): Generator<Cgroup> {
    for (let p: Cgroup | undefined = this; p; p = p.parent) yield p;
  }
  /** Pre-order walk of the subtree (css_for_each_descendant_pre): self, then children in creation order. */
  *subtree(): Generator<Cgroup> {
    yield this;
    for (const ch of this.children.values()) yield* ch.subtree();
  }
  /** The path from `root` ("/" for root itself); above it, "/.." steps as cgroup_path_ns prints them. */
  pathFrom(root: Cgroup): string {
    if (root.isAncestorOf(this)) {
      const names: string[] = [];
      for (let p: Cgroup | undefined = this; p && p !== root; p = p.parent) names.unshift(p.name);
      return '/' + names.join('/');
    }
    // kernfs_path_from_node: up from root to the common ancestor, then down.
    let common: Cgroup = root;
    while (!common.isAncestorOf(this)) common = common.parent!;
    const ups = root.level - common.level;
    const down: string[] = [];
    for (let p: Cgroup | undefined = this; p && p !== common; p = p.parent) down.unshift(p.name);
    return '/' + [...Array<string>(ups).fill('..'), ...down].join('/');
  }
  /** The nearest cgroup at or above this one with a css of `c` (a task's effective css). */
  cssOf(c: Controller): Cgroup {
    let p: Cgroup = this;
    while (!p.enabled(c)) p = p.parent!;
    return p;
  }
}

/** The mounted v2 hierarchy. */
export class CgroupHierarchy {
  readonly kernfs: KernfsRoot;
  readonly root: Cgroup;
  private readonly byId = new Map<bigint, Cgroup>();
  private readonly released = new WeakSet<TaskStruct>();

  constructor(readonly host: CgroupHost, private readonly files: readonly CfType[]) {
    this.kernfs = new KernfsRoot(() => host.now());
    // The cgroup2 root directory is r-x for everyone (as the 6.18 machine shows it).
    this.root = new Cgroup(this, '', undefined, 0o555);
    this.populate(this.root);
    this.byId.set(this.root.id, this.root);
  }

  /** cgroup_get_from_id. */
  byCgroupId(id: bigint): Cgroup | undefined {
    return this.byId.get(id);
  }

  /** css_populate_dir: the base files, then each enabled controller's, in subsystem order. */
  private populate(cg: Cgroup, only?: Controller): void {
    for (const cft of this.files) {
      if (only ? cft.ss !== only : cft.ss && !cg.enabled(cft.ss)) continue;
      if (cft.notOnRoot && cg.isRoot) continue;
      if (cft.onlyOnRoot && !cg.isRoot) continue;
      const ops = cft.show || cft.write ? { show: cft.show && ((v: unknown) => cft.show!(cg, v as TaskStruct)), write: cft.write && ((d: string, w: unknown) => (cg.dead ? -Errno.ENODEV : cft.write!(cg, d, w as TaskStruct))) } : undefined;
      this.kernfs.file(cg.dir, `${cft.ss ? cft.ss + '.' : ''}${cft.name}`, cft.mode, ops);
    }
  }
  /** A controller newly enabled on `cg` (its parent's subtree_control): its files appear. */
  controllerOnline(cg: Cgroup, c: Controller): void {
    this.populate(cg, c);
  }
  /** A controller disabled: its files go and its state starts over when enabled again (a new css). */
  controllerOffline(cg: Cgroup, c: Controller): void {
    for (const cft of this.files) if (cft.ss === c) cg.dir.entries!.delete(`${c}.${cft.name}`);
    if (c === 'pids') cg.pids.reset();
    if (c === 'memory') cg.memory.reset();
    if (c === 'cpu') cg.cpu.reset(this.host.now());
  }

  dirOps(cg: Cgroup): NonNullable<Inode['kernfsDir']> {
    return {
      mkdir: (name, mode, by) => this.mkdir(cg, name, mode, by as TaskStruct),
      rmdir: (name, by) => {
        const ch = cg.children.get(name);
        // A file of the directory: kernfs_iop_rmdir only removes directories.
        return ch ? this.rmdir(ch, by as TaskStruct) : -Errno.ENOTDIR;
      },
    };
  }

  /** cgroup_mkdir: the name, the hierarchy limits (EAGAIN), then the new directory with its files. */
  mkdir(parent: Cgroup, name: string, mode: number, by?: TaskStruct): number {
    if (name.includes('\n')) return -Errno.EINVAL;
    if (parent.dead) return -Errno.ENODEV;
    let level = 0;
    for (const p of parent.upward()) {
      if (p.nrDescendants >= p.maxDescendants || level >= p.maxDepth) return -Errno.EAGAIN;
      level++;
    }
    const cg = new Cgroup(this, name, parent, mode);
    parent.dir.entries!.set(name, cg.dir);
    parent.dir.nlink++;
    parent.children.set(name, cg);
    for (const p of parent.upward()) p.nrDescendants++;
    this.byId.set(cg.id, cg);
    this.populate(cg);
    cg.cpu.inherit(parent.cpu);
    cg.bpf.inherit();
    if (by) this.host.events?.mkdir?.(cg, by);
    return 0;
  }

  /** cgroup_destroy_locked: a populated cgroup or one with children is busy. */
  rmdir(cg: Cgroup, by?: TaskStruct): number {
    if (cg.isRoot) return -Errno.EBUSY;
    if (cg.populated() || cg.children.size) return -Errno.EBUSY;
    const parent = cg.parent!;
    if (by) this.host.events?.rmdir?.(cg, by);
    cg.dead = true;
    parent.children.delete(cg.name);
    parent.dir.entries!.delete(cg.name);
    parent.dir.nlink--;
    cg.dir.nlink = 0;
    for (const p of parent.upward()) p.nrDescendants--;
    this.byId.delete(cg.id);
    cg.bpf.release();
    return 0;
  }

  /**
   * `t` computes (runs user code) for `ns` of CPU time: the entry point a scenario uses to make a task
   * consume CPU. The virtual clock advances by the time, plus any wait cpu.max throttling imposes.
   */
  compute(t: TaskStruct, ns: bigint | number): void {
    compute(t, BigInt(ns));
  }

  /** The cgroup at `path` below the hierarchy's root ("/a/b"), if it exists. */
  lookup(path: string): Cgroup | undefined {
    let cg: Cgroup | undefined = this.root;
    for (const n of path.split('/').filter((x) => x)) cg = cg?.children.get(n);
    return cg;
  }

  // ---- tasks ----

  /** A task joins `dst` (css_set_move_task): the helpers' view follows. */
  private link(t: TaskStruct, dst: Cgroup): void {
    t.cgroup = dst;
    t.cgroupId = dst.id;
    t.cgroupAncestors = dst.ancestorIds;
    dst.tasks.push(t);
  }
  private unlink(t: TaskStruct): void {
    const cg = t.cgroup;
    if (!cg) return;
    const i = cg.tasks.indexOf(t);
    if (i >= 0) cg.tasks.splice(i, 1);
  }

  /** The idle task and what boot makes from it live in the root. */
  attachInitial(t: TaskStruct): void {
    this.link(t, this.root);
    this.root.pids.count++;
  }

  /**
   * cgroup_css_set_fork for CLONE_INTO_CGROUP: the cgroup behind the directory `dir` (an open file's
   * inode; EBADF if it is not a cgroup2 directory), if the parent may put a child there.
   */
  forkInto(parent: TaskStruct, dir: Inode | undefined, thread: boolean): Cgroup | number {
    const dst = dir?.kobj;
    if (!(dst instanceof Cgroup) || dst.hier !== this) return -Errno.EBADF;
    if (dst.dead) return -Errno.ENODEV;
    const e = attachPermissions(parent.cgroup ?? this.root, dst, parent, !thread);
    return e || dst;
  }

  /** cgroup_can_fork: the pids charge on the way up (EAGAIN past a pids.max, counted in pids.events). */
  canFork(dst: Cgroup): number {
    return dst.pids.tryCharge(dst);
  }
  /** cgroup_cancel_fork. */
  cancelFork(dst: Cgroup): void {
    for (const p of dst.upward()) p.pids.count--;
  }
  /** cgroup_post_fork: the child joins the cgroup it was charged to. */
  postFork(child: TaskStruct, dst: Cgroup): void {
    this.link(child, dst);
  }
  /** cgroup_exit: the task leaves its cgroup's task list (it no longer populates it). */
  exit(t: TaskStruct): void {
    this.unlink(t);
  }
  /** cgroup_release (release_task): the pids charge goes. */
  release(t: TaskStruct): void {
    const cg = t.cgroup;
    if (!cg || this.released.has(t)) return;
    this.released.add(t);
    for (const p of cg.upward()) p.pids.count--;
  }

  /** cgroup_migrate: every given task moves to `dst`; pids charges follow without limit (pids_can_attach). */
  migrate(tasks: readonly TaskStruct[], dst: Cgroup, by?: TaskStruct): void {
    for (const t of tasks) {
      const src = t.cgroup;
      if (!src || src === dst || !t.alive || t.exiting) continue;
      for (const p of src.upward()) p.pids.count--;
      for (const p of dst.upward()) p.pids.count++;
      dst.pids.watermarks(dst);
      this.unlink(t);
      this.link(t, dst);
      if (by) this.host.events?.attachTask?.(dst, t, by);
    }
  }
}
