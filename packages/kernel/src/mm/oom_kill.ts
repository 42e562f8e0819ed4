/**
 * The OOM killer's choice for a memory cgroup (mm/oom_kill.c
 * select_bad_process → mem_cgroup_scan_tasks → oom_evaluate_task, oom_badness):
 * the tasks of the cgroup's subtree are looked at in pre-order, each cgroup's
 * tasks in their list order; init and kernel threads and tasks without an mm
 * are skipped; a task scores its mm's resident pages (here: the pages the
 * memory controller charged for it; oom_score_adj is not modelled, so 0), and
 * a later task with an equal score replaces the earlier choice, as
 * "points < chosen_points" skips only lower ones.
 */
import type { TaskStruct } from '../kernel/task_struct';
import type { Cgroup } from '../cgroup/cgroup';

export function selectOomVictim(cg: Cgroup, rss: (t: TaskStruct) => number): TaskStruct | undefined {
  let chosen: TaskStruct | undefined;
  let chosenPoints = -Infinity;
  for (const d of cg.subtree()) {
    for (const t of d.tasks) {
      // oom_unkillable_task: the global init and kernel threads.
      if (t.kthread || (t.pid === 1 && t.pidNamespace.level === 0)) continue;
      if (!t.mm || !t.alive || t.exiting) continue;
      const points = rss(t);
      if (points < chosenPoints) continue;
      chosen = t;
      chosenPoints = points;
    }
  }
  return chosen;
}
