/**
 * Expectations on the kernel's world at the end of a scenario: a task's pids
 * (one per pid namespace), comm, ids, state and exit; a file's contents, mode
 * and owner; how often a syscall was made. They observe state (as /proc or
 * stat would show it) without making syscalls, so checking changes nothing.
 */
import { pathWalk, type TaskStruct } from '@bpfsim/kernel';
import type { ProcExpectation } from './proc-format';
import { constValue, errnoNumber } from './proc-world';
import { describeMatcher, matchBytes, matchNumber, matchText } from './values';
import type { World } from './world';
import type { ExpectationResult } from './expectations';

function fail(index: number, what: string, expected: string, actual: string): ExpectationResult {
  return { index, what, pass: false, diff: [`- expected: ${expected}`, `+ actual:   ${actual}`] };
}

const dec = new TextDecoder('utf-8', { fatal: false });

/** The task's cgroup as /proc/PID/cgroup shows it from the root of the hierarchy ("/box"). */
function cgroupPath(t: TaskStruct): string | undefined {
  const cg = t.cgroup;
  if (!cg) return undefined;
  let root = cg;
  while (root.parent) root = root.parent;
  return cg.pathFrom(root);
}

export function checkProcExpectation(x: ProcExpectation, index: number, world: World): ExpectationResult {
  const ok = (what: string): ExpectationResult => ({ index, what, pass: true });
  const pw = world.procs;
  switch (x.kind) {
    case 'task': {
      const e = x.task;
      const what = `task ${e.pid}${e.comm ? ` (${describeMatcher(e.comm)})` : ''}`;
      const t = pw.lookup(e.pid);
      if (!t) return fail(index, what, 'a task with that pid', 'none');
      // A released task is gone from every pid table: "reaped" (its last state was dead).
      const reaped = pw.kernel.world.findTask(e.pid) !== t;
      const state = reaped ? 'reaped' : t.state;
      if (e.state !== undefined && e.state !== state) return fail(index, `${what}: state`, e.state, state);
      const pids = t.pidStruct.numbers.map((u) => u.nr);
      if (e.pids && pids.join(',') !== e.pids.join(',')) return fail(index, `${what}: pid in each namespace`, `[${e.pids.join(', ')}]`, `[${pids.join(', ')}]`);
      if (e.ns_pid !== undefined && pids[pids.length - 1] !== e.ns_pid) return fail(index, `${what}: pid in its own namespace`, String(e.ns_pid), String(pids[pids.length - 1]));
      if (e.ppid !== undefined && t.realParent.tgid !== e.ppid) return fail(index, `${what}: parent`, String(e.ppid), String(t.realParent.tgid));
      if (e.comm && !matchText(e.comm, t.comm)) return fail(index, `${what}: comm`, describeMatcher(e.comm), JSON.stringify(t.comm));
      if (e.uid !== undefined && t.cred.uid !== e.uid) return fail(index, `${what}: uid`, String(e.uid), String(t.cred.uid));
      if (e.exit_code !== undefined || e.signal !== undefined) {
        if (t.alive) return fail(index, `${what}: exit`, 'an exited task', `a ${t.state} one`);
        const st = t.exitCode;
        if (e.exit_code !== undefined && ((st & 0x7f) !== 0 || ((st >> 8) & 0xff) !== e.exit_code))
          return fail(index, `${what}: exit code`, String(e.exit_code), (st & 0x7f) ? `killed by signal ${st & 0x7f}` : String((st >> 8) & 0xff));
        if (e.signal !== undefined && (st & 0x7f) !== constValue(e.signal))
          return fail(index, `${what}: killed by`, e.signal, (st & 0x7f) ? `signal ${st & 0x7f}` : `exit ${(st >> 8) & 0xff}`);
      }
      if (e.hostname && !matchText(e.hostname, t.nsproxy.uts.name.nodename))
        return fail(index, `${what}: host name`, describeMatcher(e.hostname), JSON.stringify(t.nsproxy.uts.name.nodename));
      if (e.cgroup) {
        const cg = cgroupPath(t);
        if (cg === undefined) return fail(index, `${what}: cgroup`, describeMatcher(e.cgroup), 'no cgroup (the task has exited)');
        if (!matchText(e.cgroup, cg)) return fail(index, `${what}: cgroup`, describeMatcher(e.cgroup), JSON.stringify(cg));
      }
      return ok(what);
    }
    case 'file': {
      const e = x.file;
      const viewer = e.pid !== undefined ? pw.lookup(e.pid) : pw.kernel.world.init;
      const what = `file ${e.path}${e.pid !== undefined ? ` as pid ${e.pid} sees it` : ''}${e.absent ? ' is absent' : ''}`;
      if (!viewer) return fail(index, what, `a process ${e.pid}`, 'none');
      if (!viewer.alive) return fail(index, what, `process ${e.pid} alive to look`, viewer.state);
      const ino = pathWalk({ fs: viewer.fs, base: viewer.fs.pwd, cred: viewer.cred, viewer }, e.path, true);
      if (e.absent) return typeof ino === 'number' ? ok(what) : fail(index, what, 'no such file', 'a file');
      if (typeof ino === 'number') return fail(index, what, 'a file', `none (error ${-ino})`);
      if (e.mode !== undefined && (ino.mode & 0o7777) !== e.mode)
        return fail(index, `${what}: mode`, `0${e.mode.toString(8)}`, `0${(ino.mode & 0o7777).toString(8)}`);
      if (e.uid !== undefined && ino.uid !== e.uid) return fail(index, `${what}: owner`, String(e.uid), String(ino.uid));
      if (e.gid !== undefined && ino.gid !== e.gid) return fail(index, `${what}: group`, String(e.gid), String(ino.gid));
      // A kernfs file (cgroupfs) shows what its owner generates now, as a read would.
      const data = ino.kernfs?.show ? new TextEncoder().encode(ino.kernfs.show(viewer)) : ino.data.subarray(0, ino.size);
      if (e.content && !matchText(e.content, dec.decode(data)))
        return fail(index, `${what}: content`, describeMatcher(e.content), JSON.stringify(dec.decode(data.subarray(0, 200))));
      if (e.bytes && !matchBytes(e.bytes, data)) return fail(index, `${what}: bytes`, describeMatcher(e.bytes), Buffer.from(data.subarray(0, 64)).toString('hex'));
      return ok(what);
    }
    case 'syscalls': {
      const e = x.syscalls;
      const errno = e.errno === undefined ? undefined : errnoNumber(e.errno);
      const calls = pw.log.filter((r) => !r.resumed && r.ev >= 0 && r.call === e.call && (e.pid === undefined || r.pid === e.pid)
        && (e.errno === undefined || r.ret === -(errno ?? NaN)));
      const what = `${e.call} calls${e.pid !== undefined ? ` by pid ${e.pid}` : ''}${e.errno ? ` failing with ${e.errno}` : ''}`;
      const count = e.count ?? { min: 1n };
      return matchNumber(count, BigInt(calls.length)) ? ok(`${what}: ${describeMatcher(count)}`) : fail(index, what, describeMatcher(count), String(calls.length));
    }
  }
}
