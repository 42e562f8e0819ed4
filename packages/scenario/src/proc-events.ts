/**
 * Carrying out the process events: each is one or more syscalls of a
 * simulated process (proc-world.ts logs them). Checks on results (`expect`,
 * `expect_errno`) become failures of the event; a call that sleeps is checked
 * when a later event wakes it.
 */
import { errnoName } from '@bpfsim/uapi';
import { callUserFunction, UprobeError, type SyscallResult, type TaskStruct } from '@bpfsim/kernel';
import { ScenarioError } from './errors';
import type { ProcEventBody, SyscallExpect } from './proc-format';
import { NS_FLAG, constValue, errnoNumber, nsFlagText, type ProcWorld } from './proc-world';
import { describeMatcher, matchBytes, matchNumber, matchText, resolveBytes } from './values';
import type { EventContext, EventResult } from './events';

const AT_FDCWD = -100;
const O = { RDONLY: 0, WRONLY: 1, CREAT: 0o100, TRUNC: 0o1000, APPEND: 0o2000, CLOEXEC: 0o2000000 };
const dec = new TextDecoder('utf-8', { fatal: false });

function place(c: EventContext, ...rest: (string | number)[]) {
  return { file: c.file, path: ['events', c.index, ...rest] };
}

const errText = (ret: number): string => (ret < 0 ? errnoName(-ret) ?? `errno ${-ret}` : 'success');

/** An errno name the scenario gives: known, else an error at its place. */
function wantErrno(c: EventContext, name: string | undefined, ...at: (string | number)[]): number | undefined {
  if (name === undefined) return undefined;
  const n = errnoNumber(name);
  if (n === undefined) throw new ScenarioError(place(c, ...at), `unknown errno ${name}`);
  return n;
}

/** Did the call end as `expect_errno` says (success when not given)? */
function errnoFailure(what: string, ret: number, want: number | undefined, name?: string): string | undefined {
  if (want === undefined) return ret < 0 ? `${what}: expected success, got ${errText(ret)}` : undefined;
  return ret === -want ? undefined : `${what}: expected ${name}, got ${ret < 0 ? errText(ret) : `success (${ret})`}`;
}

function syscallCheck(what: string, x: SyscallExpect | undefined, r: SyscallResult, ret: number): string | undefined {
  if (!x) return undefined;
  // The out buffers of a call that slept are filled when it completes, after this event's look at them.
  if (r.blocked && (x.out || x.text)) return `${what}: the call slept, so its out buffers cannot be checked (check the bytes with a later read)`;
  if (x.errno !== undefined) {
    const n = errnoNumber(x.errno);
    if (ret !== -(n ?? NaN)) return `${what}: expected ${x.errno}, got ${ret < 0 ? errText(ret) : `success (${ret})`}`;
  } else if (x.ret === undefined && ret < 0) return `${what}: expected success, got ${errText(ret)}`;
  if (x.ret !== undefined && !matchNumber(x.ret, BigInt(ret))) return `${what}: expected ${describeMatcher(x.ret)}, got ${ret < 0 ? `-1 ${errText(ret)}` : ret}`;
  if (x.out) {
    for (let i = 0; i < x.out.length; i++) {
      const b = r.outs[i];
      if (!b) return `${what}: expected out buffer ${i + 1}, but the call has ${r.outs.length}`;
      if (!matchBytes(x.out[i], b)) return `${what}: out buffer ${i + 1}: expected ${describeMatcher(x.out[i])}, got ${Buffer.from(b).toString('hex')}`;
    }
  }
  if (x.text) {
    const b = r.outs[0];
    const s = b ? dec.decode(b.subarray(0, Math.max(0, Math.min(ret, b.length)))) : '';
    if (!matchText(x.text, s)) return `${what}: expected text ${describeMatcher(x.text)}, got ${JSON.stringify(s)}`;
  }
  return undefined;
}

/** The flag list of unshare (CLONE_NEWPID, ...) as one number. */
function flagsOf(c: EventContext, flags: readonly string[], ...at: (string | number)[]): number {
  let f = 0;
  flags.forEach((n, i) => {
    const v = constValue(n);
    if (v === undefined) throw new ScenarioError(place(c, ...at, i), `unknown flag ${n}`);
    f |= v;
  });
  return f >>> 0;
}

export function runProcEvent(e: ProcEventBody, c: EventContext, pw: ProcWorld): EventResult {
  const failures: string[] = [];
  const ev = c.index;
  const task = (pid: number, ...at: (string | number)[]): TaskStruct => pw.task(pid, place(c, ...at));
  const done = (outcome: Record<string, string | number | boolean | null>): EventResult => ({ outcome, failures });
  switch (e.kind) {
    case 'exec': {
      const x = e.exec;
      if (x.ppid !== undefined || !pw.lookup(x.pid)) {
        // The shorthand that also makes the process: fork from its parent, then exec.
        const t = pw.createProcess(ev, x, (...rest) => place(c, 'exec', ...rest));
        return done({ kind: 'exec', pid: t.pid, comm: t.comm });
      }
      const t = task(x.pid, 'exec', 'pid');
      const r = pw.sys(ev, t, 'execve', [x.path, x.argv ?? [x.path.slice(x.path.lastIndexOf('/') + 1)], x.env ?? []]);
      const f = errnoFailure(`execve ${x.path}`, r.ret, undefined);
      if (f) failures.push(f);
      return done({ kind: 'exec', pid: t.pid, comm: t.comm });
    }
    case 'fork': {
      const x = e.fork;
      const parent = task(x.pid, 'fork', 'pid');
      if (x.child !== undefined) {
        if (pw.kernel.world.findTask(x.child)) throw new ScenarioError(place(c, 'fork', 'child'), `pid ${x.child} is in use`);
        pw.kernel.world.initPidNs.setNextNr(x.child);
      }
      const r = pw.sys(ev, parent, 'fork', []);
      if (r.ret < 0 || !r.child) failures.push(`fork by ${parent.describe()}: ${errText(r.ret)}`);
      else if (x.child !== undefined && r.child.pid !== x.child) failures.push(`fork: the kernel gave pid ${r.child.pid}, not ${x.child}`);
      if (r.child && x.comm !== undefined) pw.sys(ev, r.child, 'prctl', [15, x.comm], ['PR_SET_NAME', JSON.stringify(x.comm)]);
      return done({ kind: 'fork', pid: parent.pid, child: r.child?.pid ?? null });
    }
    case 'syscall': {
      const x = e.syscall;
      const t = x.pid === undefined ? pw.defaultShell(ev) : task(x.pid, 'syscall', 'pid');
      const { regs, shown } = pw.resolveArgs(x.args ?? [], (j) => place(c, 'syscall', 'args', j));
      wantErrno(c, x.expect?.errno, 'syscall', 'expect', 'errno');
      const r = pw.sys(ev, t, x.call, regs, shown);
      const what = `${x.call} by ${t.comm}[${t.pid}] (events[${ev}])`;
      const f = pw.onComplete(t, r, (ret) => syscallCheck(what, x.expect, r, ret));
      if (f) failures.push(f);
      return done({ kind: 'syscall', pid: t.pid, call: x.call, ret: r.blocked ? null : r.ret });
    }
    case 'exit': {
      const t = task(e.exit.pid, 'exit', 'pid');
      pw.remember(t);
      pw.sys(ev, t, 'exit_group', [e.exit.code ?? 0]);
      return done({ kind: 'exit', pid: t.pid, code: e.exit.code ?? 0 });
    }
    case 'kill': {
      const x = e.kill;
      const t = x.pid === undefined ? pw.defaultShell(ev) : task(x.pid, 'kill', 'pid');
      const sig = constValue(x.signal ?? 'SIGTERM');
      if (sig === undefined) throw new ScenarioError(place(c, 'kill', 'signal'), `unknown signal ${x.signal}`);
      const want = wantErrno(c, x.expect_errno, 'kill', 'expect_errno');
      const r = pw.sys(ev, t, 'kill', [x.target, sig], [String(x.target), x.signal ?? 'SIGTERM']);
      const f = errnoFailure(`kill(${x.target}, ${x.signal ?? 'SIGTERM'})`, r.ret, want, x.expect_errno);
      if (f) failures.push(f);
      return done({ kind: 'kill', pid: t.pid, target: x.target, signal: x.signal ?? 'SIGTERM' });
    }
    case 'wait': {
      const x = e.wait;
      const t = task(x.pid, 'wait', 'pid');
      const opts = flagsOf(c, x.options ?? [], 'wait', 'options');
      const r = pw.sys(ev, t, 'wait4', [x.target ?? -1, { out: 4 }, opts, 0],
        [String(x.target ?? -1), '{out 4}', x.options?.join('|') || '0', 'NULL']);
      const want = x.expect;
      if (want) {
        const what = `wait4 by ${t.comm}[${t.pid}] (events[${ev}])`;
        const errWant = wantErrno(c, want.errno, 'wait', 'expect', 'errno');
        const f = pw.onComplete(t, r, (ret) => {
          if (errWant !== undefined || ret < 0) return errnoFailure(what, ret, errWant, want.errno);
          if (want.pid !== undefined && ret !== want.pid) return `${what}: expected pid ${want.pid}, got ${ret}`;
          // The status word: only known once the call has returned (a sleeping wait is checked by pid).
          if (r.blocked || (want.exit_code === undefined && want.signal === undefined)) return undefined;
          const st = new DataView(r.outs[0].buffer, r.outs[0].byteOffset, 4).getInt32(0, true);
          if (want.exit_code !== undefined && ((st & 0x7f) !== 0 || ((st >> 8) & 0xff) !== want.exit_code))
            return `${what}: expected exit code ${want.exit_code}, got status 0x${st.toString(16)}`;
          if (want.signal !== undefined && (st & 0x7f) !== constValue(want.signal))
            return `${what}: expected death by ${want.signal}, got status 0x${st.toString(16)}`;
          return undefined;
        });
        if (f) failures.push(f);
      }
      return done({ kind: 'wait', pid: t.pid, ret: r.blocked ? null : r.ret });
    }
    case 'unshare': {
      const x = e.unshare;
      const t = task(x.pid, 'unshare', 'pid');
      const flags = flagsOf(c, x.flags, 'unshare', 'flags');
      const want = wantErrno(c, x.expect_errno, 'unshare', 'expect_errno');
      const r = pw.sys(ev, t, 'unshare', [flags], [x.flags.join('|')]);
      const f = errnoFailure('unshare', r.ret, want, x.expect_errno);
      if (f) failures.push(f);
      return done({ kind: 'unshare', pid: t.pid, flags: nsFlagText(flags) });
    }
    case 'setns': {
      // What nsenter does: open the target's /proc/PID/ns/<type>, setns, close.
      const x = e.setns;
      const t = task(x.pid, 'setns', 'pid');
      const want = wantErrno(c, x.expect_errno, 'setns', 'expect_errno');
      for (const ns of x.ns) {
        const name = ns === 'mnt' ? 'mnt' : ns;
        const o = pw.sys(ev, t, 'openat', [AT_FDCWD, `/proc/${x.target}/ns/${name}`, O.RDONLY | O.CLOEXEC], ['AT_FDCWD', JSON.stringify(`/proc/${x.target}/ns/${name}`), 'O_RDONLY|O_CLOEXEC']);
        if (o.ret < 0) {
          const f = errnoFailure(`open /proc/${x.target}/ns/${name}`, o.ret, want, x.expect_errno);
          if (f) failures.push(f);
          break;
        }
        const r = pw.sys(ev, t, 'setns', [o.ret, NS_FLAG[ns]], [String(o.ret), nsFlagText(NS_FLAG[ns])]);
        pw.sys(ev, t, 'close', [o.ret]);
        const f = errnoFailure(`setns ${ns}`, r.ret, want, x.expect_errno);
        if (f) failures.push(f);
        if (r.ret < 0) break;
      }
      return done({ kind: 'setns', pid: t.pid, target: x.target, ns: x.ns.join(',') });
    }
    case 'write_file': {
      const x = e.write_file;
      const t = x.pid === undefined ? pw.defaultShell(ev) : task(x.pid, 'write_file', 'pid');
      const want = wantErrno(c, x.expect_errno, 'write_file', 'expect_errno');
      let data: Uint8Array;
      if (x.bytes !== undefined) {
        if (x.content !== undefined) throw new ScenarioError(place(c, 'write_file'), "give one of 'content' or 'bytes'");
        const b = resolveBytes(x.bytes);
        if (typeof b === 'string') throw new ScenarioError(place(c, 'write_file', 'bytes'), b);
        data = b;
      } else data = new TextEncoder().encode(x.content ?? '');
      const flags = O.WRONLY | O.CREAT | O.CLOEXEC | (x.append ? O.APPEND : O.TRUNC);
      const o = pw.sys(ev, t, 'openat', [AT_FDCWD, x.path, flags, x.mode ?? 0o644],
        ['AT_FDCWD', JSON.stringify(x.path), `O_WRONLY|O_CREAT|O_CLOEXEC|${x.append ? 'O_APPEND' : 'O_TRUNC'}`, `0${(x.mode ?? 0o644).toString(8)}`]);
      let ret = o.ret;
      if (o.ret >= 0) {
        const w = pw.sys(ev, t, 'write', [o.ret, data, data.length]);
        ret = w.ret;
        pw.sys(ev, t, 'close', [o.ret]);
        if (w.ret >= 0 && w.ret !== data.length) failures.push(`write_file ${x.path}: wrote ${w.ret} of ${data.length} bytes`);
      }
      const f = errnoFailure(`write_file ${x.path}`, ret, want, x.expect_errno);
      if (f) failures.push(f);
      return done({ kind: 'write_file', pid: t.pid, path: x.path, bytes: data.length });
    }
    case 'read_file': {
      const x = e.read_file;
      const t = x.pid === undefined ? pw.defaultShell(ev) : task(x.pid, 'read_file', 'pid');
      const want = wantErrno(c, x.expect_errno, 'read_file', 'expect_errno');
      const o = pw.sys(ev, t, 'openat', [AT_FDCWD, x.path, O.RDONLY | O.CLOEXEC], ['AT_FDCWD', JSON.stringify(x.path), 'O_RDONLY|O_CLOEXEC']);
      let ret = o.ret;
      const chunks: Uint8Array[] = [];
      if (o.ret >= 0) {
        for (let n = 0; n < 4096; n++) {
          const r = pw.sys(ev, t, 'read', [o.ret, { out: 4096 }, 4096]);
          if (r.blocked) { failures.push(`read_file ${x.path}: the read sleeps`); break; }
          ret = r.ret;
          if (r.ret <= 0) break;
          chunks.push(r.outs[0].subarray(0, r.ret));
        }
        pw.sys(ev, t, 'close', [o.ret]);
      }
      const f = errnoFailure(`read_file ${x.path}`, ret, want, x.expect_errno);
      if (f) failures.push(f);
      const text = dec.decode(Buffer.concat(chunks));
      if (x.expect && ret >= 0 && !matchText(x.expect, text))
        failures.push(`read_file ${x.path}: expected ${describeMatcher(x.expect)}, got ${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text)}`);
      return done({ kind: 'read_file', pid: t.pid, path: x.path, bytes: chunks.reduce((a, b) => a + b.length, 0) });
    }
    case 'call': {
      const x = e.call;
      const t = task(x.pid, 'call', 'pid');
      if (!t.alive || t.exiting) throw new ScenarioError(place(c, 'call', 'pid'), `${t.describe()} has exited: it calls nothing`);
      try {
        const r = callUserFunction(pw.kernel, t, x.binary, x.function, { args: x.args, ret: x.ret });
        return done({ kind: 'call', pid: t.pid, binary: x.binary, function: x.function, probes: r.entry + r.exit });
      } catch (err) {
        if (err instanceof UprobeError) throw new ScenarioError(place(c, 'call'), err.message);
        throw err;
      }
    }
    case 'compute': {
      const x = e.compute;
      const t = task(x.pid, 'compute', 'pid');
      if (!t.alive || t.exiting) throw new ScenarioError(place(c, 'compute', 'pid'), `${t.describe()} has exited: it computes nothing`);
      const start = pw.kernel.clock.monotonicNs;
      // The task runs user code: it is on a CPU for the whole time (samples see it), throttled by cpu.max.
      pw.kernel.world.rq?.run(t);
      pw.kernel.world.cgroups.compute(t, x.time);
      return done({ kind: 'compute', pid: t.pid, ns: String(x.time), took: String(pw.kernel.clock.monotonicNs - start) });
    }
  }
}
