/**
 * `mount -t cgroup2 none /sys/fs/cgroup` at boot, as a systemd-less system
 * does: the hierarchy's root directory hangs on /sys/fs/cgroup of the root
 * file system (bpfsim has one mount per namespace, so every mount namespace
 * sees it there). The hierarchy reaches the rest of the kernel through the
 * narrow CgroupHost interface built here.
 */
import { Inode, S_IFDIR } from '../fs/inode';
import type { World } from '../kernel/world';
import { SIG } from '../kernel/signal';
import { sendSignal } from '../kernel/signal_send';
import { CgroupHierarchy, type Cgroup, type CgroupEvents } from './cgroup';
import { allCftypes } from './cftype';

/** The tracepoints, through the world's tracing layer when there is one. */
function tracepoints(w: World): CgroupEvents {
  // TRACE_CGROUP_PATH: the path from the hierarchy's root.
  const path = (cg: Cgroup): string => cg.pathFrom(w.cgroups.root);
  return {
    mkdir: (cg, by) => w.events?.cgroupEvent?.({ kind: 'mkdir', by, level: cg.level, id: cg.id, path: path(cg) }),
    rmdir: (cg, by) => w.events?.cgroupEvent?.({ kind: 'rmdir', by, level: cg.level, id: cg.id, path: path(cg) }),
    attachTask: (cg, task, by) => w.events?.cgroupEvent?.({ kind: 'attach', by, level: cg.level, id: cg.id, path: path(cg), task }),
    markVictim: (task, by, rssPages) => w.events?.cgroupEvent?.({ kind: 'mark_victim', by, task, rssPages }),
  };
}

export function mountCgroup2(w: World, events: CgroupEvents = tracepoints(w)): CgroupHierarchy {
  const h = new CgroupHierarchy(
    {
      now: () => w.clock.monotonicNs,
      advance: (ns) => w.clock.advance(ns),
      // The kernel sends SIGKILL from outside any namespace (force).
      kill: (t) => sendSignal(w, t, SIG.SIGKILL, true, true),
      findTask: (nr, viewer) => w.findTask(nr, viewer.pidNamespace),
      events,
    },
    allCftypes(),
  );
  const sys = w.root.entries!.get('sys')!;
  let fs = sys.entries!.get('fs');
  if (!fs) {
    fs = new Inode(w.sb, S_IFDIR | 0o755, 0, 0, w.clock.monotonicNs);
    fs.parent = sys;
    sys.entries!.set('fs', fs);
    sys.nlink++;
  }
  h.root.dir.parent = fs;
  fs.entries!.set('cgroup', h.root.dir);
  fs.nlink++;
  return h;
}
