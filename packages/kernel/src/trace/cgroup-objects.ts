/**
 * Cgroups mirrored into kernel memory for CO-RE readers: task->cgroups (a
 * css_set) → dfl_cgrp (struct cgroup: level, self.cgroup, kn, ancestors[]) →
 * kn (struct kernfs_node: id, name, __parent). What tools read for a task's
 * cgroup id is `task->cgroups->dfl_cgrp->kn->id`. A cgroup never moves in the
 * hierarchy, so its objects are written once.
 */
import { declareModelledFields, type KernelObjects, type KObj } from '../mm/kobj';
import type { Cgroup } from '../cgroup/cgroup';

const BY = 'trace/cgroup-objects.ts';
declareModelledFields('css_set', ['dfl_cgrp'], BY);
declareModelledFields('cgroup', ['self.cgroup', 'level', 'kn', 'ancestors'], BY);
declareModelledFields('kernfs_node', ['id', 'name', '__parent'], BY);

export class CgroupObjects {
  private readonly csets = new Map<Cgroup, KObj>();
  private readonly cgroups = new Map<Cgroup, KObj>();
  private readonly kns = new Map<Cgroup, KObj>();

  constructor(private readonly objs: KernelObjects) {}

  /** The css_set of the tasks of `cg` (one per cgroup: the v2 hierarchy alone). */
  cssSet(cg: Cgroup): KObj {
    let o = this.csets.get(cg);
    if (!o) {
      this.csets.set(cg, (o = this.objs.alloc('css_set')));
      o.set('dfl_cgrp', this.cgroup(cg));
    }
    return o;
  }

  private cgroup(cg: Cgroup): KObj {
    let o = this.cgroups.get(cg);
    if (o) return o;
    // struct cgroup ends with its ancestors[] (level + 1 pointers, the root first).
    o = this.objs.alloc('cgroup', this.objs.field('cgroup', 'ancestors').offset + (cg.level + 1) * 8);
    this.cgroups.set(cg, o);
    o.set('self.cgroup', o);
    o.set('level', cg.level);
    o.set('kn', this.kn(cg));
    let i = cg.level;
    for (const a of cg.upward()) o.set(`ancestors[${i--}]`, a === cg ? o : this.cgroup(a));
    return o;
  }

  private kn(cg: Cgroup): KObj {
    let o = this.kns.get(cg);
    if (o) return o;
    this.kns.set(cg, (o = this.objs.alloc('kernfs_node')));
    o.set('id', cg.id);
    o.set('name', cg.name);
    if (cg.parent) o.set('__parent', this.kn(cg.parent));
    return o;
  }
}
