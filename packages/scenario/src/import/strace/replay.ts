/**
 * Replaying a strace log through the simulated kernel: the world inferred from the log
 * (world.ts), the recorded calls issued in the log's order (an `<unfinished ...>` call starts
 * at its first line and its result is checked at its `<... resumed>` line), each call's
 * arguments converted from strace's print (args.ts), and its result compared with the recorded
 * one (compare.ts). What the recorded kernel chose from randomness or history is pinned just
 * before the call that chooses it: the pid a fork hands out, the address an mmap or the first
 * brk returns, getrandom's bytes, the mappings exec made (seen through later mprotects).
 */
import { Kernel, SyscallError, seedDetached, seedDevice, seedDirs, seedPath, File, type SyscallResult, type TaskStruct } from '@bpfsim/kernel';
import type { StraceLog } from './join';
import type { StraceCall } from './events';
import { inferWorld, numOf, bytesOf, type InitialWorld, type SeedFile } from './world';
import { toSysArgs } from './args';
import { compareResult } from './compare';
import { CONSTANTS, ERRNO } from './constants';

export type Verdict = 'match' | 'mismatch' | 'unsupported';

export interface CallOutcome {
  line: number;
  pid: number;
  syscall: string;
  verdict: Verdict;
  /** For a mismatch or an unsupported call: what differed, or why it was not replayed. */
  reason?: string;
}

export interface ReplayReport {
  file: string;
  calls: CallOutcome[];
  matched: number;
  mismatched: number;
  unsupported: number;
}

export interface ReplayOptions {
  /** The workload's working directory at start (the recording's metadata), default "/". */
  cwd?: string;
  seed?: string;
  /** Called once the recorded world is set up, before the first recorded call (a tracer loads and attaches here). */
  onReady?: (k: Kernel) => void;
}

const S_IFMT = 0o170000, S_IFREG = 0o100000, S_IFDIR = 0o040000, S_IFLNK = 0o120000, S_IFSOCK = 0o140000;
/** sockfs's device on the recording machine: an inherited descriptor no fstat showed is taken to be a socket there. */
const SOCKFS_DEV = 9;
const ELF_HEADER = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);

const FORKS = new Set(['clone', 'clone3', 'fork', 'vfork']);

export function replayStraceLog(log: StraceLog, opts: ReplayOptions = {}): ReplayReport {
  const calls = log.events.filter((e): e is StraceCall => e.kind === 'syscall');
  const world = inferWorld(log.events, opts.cwd ?? '/');
  const startNs = log.startNs ?? 0n;
  const k = new Kernel({ seed: opts.seed ?? 'strace-replay', cpus: 2, clock: { realtimeAtBootNs: startNs - 1_000_000_000n } });
  const seededInos = seedFiles(k, world);
  const tasks = setUpProcesses(k, world);
  opts.onReady?.(k);
  const report: ReplayReport = { file: log.file, calls: [], matched: 0, mismatched: 0, unsupported: 0 };
  const note = (c: StraceCall, verdict: Verdict, reason?: string) => {
    if (reason) reason = `${log.file}:${c.line}: ${c.name}: ${reason}`;
    report.calls.push({ line: c.line, pid: c.pid, syscall: c.name, verdict, ...(reason ? { reason } : {}) });
    if (verdict === 'match') report.matched++;
    else if (verdict === 'mismatch') report.mismatched++;
    else report.unsupported++;
  };

  // Issue at the call's line, check at its resumed line.
  const actions: { line: number; order: number; c: StraceCall; check: boolean }[] = [];
  for (const c of calls) {
    actions.push({ line: c.line, order: 0, c, check: false });
    if (c.result) actions.push({ line: c.resumed?.line ?? c.line, order: 1, c, check: true });
  }
  actions.sort((a, b) => a.line - b.line || a.order - b.order);
  const pending = new Map<StraceCall, { task: TaskStruct; res?: SyscallResult; error?: string; unsupported?: string }>();
  const seenPids = new Set<number>(tasks.keys());

  for (const act of actions) {
    const c = act.c;
    if (!act.check) {
      const task = tasks.get(c.pid);
      if (!task) {
        pending.set(c, { task: undefined as unknown as TaskStruct, error: `pid ${c.pid} is not a process the replay created` });
        continue;
      }
      const now = BigInt(c.timeNs) + 1_000_000_000n;
      if (now > k.clock.monotonicNs) k.clock.advanceTo(now);
      const args = toSysArgs(c);
      if (typeof args === 'string') {
        pending.set(c, { task, unsupported: args });
        continue;
      }
      pinInputs(k, task, c, calls, seenPids, tasks);
      try {
        const res = k.syscall(task, c.name, args);
        pending.set(c, { task, res });
        if (res.child && c.result?.value !== undefined) {
          const gpid = res.child.pidStruct.nr;
          tasks.set(gpid, res.child);
          seenPids.add(gpid);
        }
        if (c.name === 'execve' && res.ret === 0) pinExecImage(task, c, calls);
      } catch (err) {
        if (err instanceof SyscallError && err.code === 'SYSCALL_UNIMPLEMENTED') pending.set(c, { task, unsupported: 'not implemented by the model' });
        else pending.set(c, { task, error: err instanceof Error ? `${(err as { code?: string }).code ?? 'error'}: ${err.message}` : String(err) });
      }
      if (!c.result) {
        // Never returned (the process died in it, or the log ended): nothing to compare.
        pending.delete(c);
      }
      continue;
    }
    const p = pending.get(c);
    pending.delete(c);
    if (!p) continue;
    if (p.unsupported) {
      note(c, 'unsupported', p.unsupported);
      continue;
    }
    if (p.error) {
      note(c, 'mismatch', p.error);
      continue;
    }
    const res = p.res!;
    let ret = res.ret;
    if (res.blocked) {
      const i = p.task.completed.findIndex((x) => x.name === c.name);
      if (i < 0) {
        if (c.result!.value === undefined && !c.result!.errno) note(c, 'match');
        else {
          note(c, 'mismatch', `the model is still blocked in ${c.name}; recorded ${c.result!.text}`);
          // Counted as a mismatch; the call is then ended so the rest of the process's log can run.
          const e = c.result!.errno;
          k.world.completeBlocked(p.task, e ? -(e.startsWith('ERESTART') ? ERRNO.EINTR : ERRNO[e] ?? ERRNO.EINTR) : Number(c.result!.value));
          p.task.completed.pop();
        }
        continue;
      }
      ret = p.task.completed.splice(i, 1)[0].ret;
    }
    const why = compareResult(c, ret, res.blocked ? undefined : res, { seededInos });
    note(c, why ? 'mismatch' : 'match', why);
  }
  return report;
}

/** Seed the inferred files; returns the inode numbers the log gave them. */
function seedFiles(k: Kernel, world: InitialWorld): Set<number> {
  const w = k.world;
  const inos = new Set<number>();
  const files = [...world.files.values()].sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : 1));
  // Listed directories seed their entries in the order getdents64 showed them.
  const ordered: SeedFile[] = [];
  const done = new Set<string>();
  const add = (f: SeedFile) => {
    if (done.has(f.path)) return;
    done.add(f.path);
    ordered.push(f);
    for (const n of f.listed ?? []) {
      const child = world.files.get(f.path === '/' ? `/${n}` : `${f.path}/${n}`);
      if (child) add(child);
    }
  };
  for (const f of files) add(f);
  const nlinks: [ReturnType<typeof seedPath>, number][] = [];
  for (const f of ordered) {
    const st = f.stat;
    let type = (st?.mode ?? f.mode) & S_IFMT;
    if (!type) type = f.listed ? S_IFDIR : S_IFREG;
    const perm = st ? st.mode & 0o7777 : type === S_IFDIR ? 0o755 : type === S_IFLNK ? 0o777 : f.executed ? 0o755 : 0o644;
    let data: Uint8Array | undefined;
    if (type === S_IFREG) {
      // /proc and /sys files stat as size 0 yet read bytes: the bytes read are the contents.
      data = new Uint8Array(Math.max(st?.size ?? 0, f.minSize, f.executed ? ELF_HEADER.length : 0));
      if (f.executed && !f.chunks.some((ch) => ch.off === 0)) data.set(ELF_HEADER.subarray(0, Math.min(data.length, 8)));
      for (const ch of f.chunks) if (ch.off < data.length) data.set(ch.bytes.subarray(0, Math.max(0, data.length - ch.off)), ch.off);
    }
    const ino = st?.ino ?? (f as SeedFile & { dIno?: number }).dIno;
    if (ino !== undefined) inos.add(ino);
    const node = seedPath(w, f.path, {
      mode: type | perm,
      uid: st?.uid ?? 0,
      gid: st?.gid ?? 0,
      ino,
      atimeNs: st?.atimeNs,
      mtimeNs: st?.mtimeNs,
      ctimeNs: st?.ctimeNs,
      data,
      target: f.target ?? (type === S_IFLNK ? '.' : undefined),
      recorded: st ? { dev: st.dev, ...(type === S_IFDIR || (data && data.length !== st.size) ? { size: st.size, blocks: st.blocks } : {}) } : undefined,
    });
    if (st && type !== S_IFLNK) nlinks.push([node, st.nlink]);
  }
  for (const [node, n] of nlinks) node.nlink = n;
  seedDirs(w, world.cwd.split('/').filter(Boolean));
  // The recorded root file system's device (the one most stats show) for what the log shows no stat of.
  const devs = new Map<number, number>();
  for (const f of world.files.values()) if (f.stat) devs.set(f.stat.dev, (devs.get(f.stat.dev) ?? 0) + 1);
  const dev = [...devs].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (dev !== undefined) seedDevice(w, dev);
  return inos;
}

const depth = (p: string): number => (p === '/' ? 0 : p.split('/').length - 1);

/** The recorder (the first process's parent) and the first process, with their pinned pids, cwd and stdio. */
function setUpProcesses(k: Kernel, world: InitialWorld): Map<number, TaskStruct> {
  const w = k.world;
  w.initPidNs.setNextNr(world.parentPid);
  const recorder = k.syscall(w.init, 'fork').child!;
  w.initPidNs.setNextNr(world.rootPid);
  const root = k.syscall(recorder, 'fork').child!;
  k.syscall(root, 'chdir', [world.cwd]);
  for (let fd = 0; fd <= 2; fd++) {
    const st = world.stdio.get(fd);
    const ino = seedDetached(w, { mode: st?.mode ?? S_IFSOCK | 0o777, ino: st?.ino, uid: st?.uid ?? 0, gid: st?.gid ?? 0, recorded: { dev: st?.dev ?? SOCKFS_DEV } });
    root.files.installAt(fd, new File(ino, 2), false);
  }
  return new Map([[world.rootPid, root]]);
}

/** Pin what the recorded kernel chose for this call, just before it is made. */
function pinInputs(k: Kernel, task: TaskStruct, c: StraceCall, calls: readonly StraceCall[], seenPids: Set<number>, tasks: Map<number, TaskStruct>): void {
  const r = c.result;
  const ok = r?.value !== undefined && r.value >= 0n && !r.errno;
  if (!ok) return;
  const ret = Number(r!.value);
  if (FORKS.has(c.name) && ret > 0) {
    // ret is the child's pid in the caller's namespace; strace (in the initial one) names the child by the
    // first new pid the log shows after this call. Namespaces below the caller's allocate on their own.
    const own = task.pidNamespace;
    let global = ret;
    if (own !== k.world.initPidNs) {
      const next = calls.find((x) => x.line > c.line && !seenPids.has(x.pid) && !tasks.has(x.pid));
      global = next?.pid ?? ret;
    }
    for (let n: typeof own | undefined = own; n; n = n.parent) n.setNextNr(n === own ? ret : global);
    return;
  }
  const mm = task.mm;
  if (c.name === 'mmap' && mm && !((numOf(c.args[3]?.value) ?? 0) & CONSTANTS.MAP_FIXED)) {
    mm.layout.nextMmap.splice(0, mm.layout.nextMmap.length, ret);
    return;
  }
  if (c.name === 'brk' && mm && mm.layout.startBrk === undefined) {
    mm.layout.startBrk = ret;
    mm.layout.brk = ret;
    return;
  }
  if (c.name === 'getrandom') {
    const s = c.args[0]?.value;
    if (s?.kind === 'str') {
      const b = bytesOf(s.value);
      k.world.pinnedEntropy.splice(0, k.world.pinnedEntropy.length, ...b.subarray(0, ret));
    }
  }
}

/**
 * exec mapped the program and its interpreter where ASLR put them; the log shows those
 * mappings only through later mprotect/munmap calls on them. Pin each such range (one not
 * inside a mapping the process itself made) as mapped by exec.
 */
function pinExecImage(task: TaskStruct, exec: StraceCall, calls: readonly StraceCall[]): void {
  const mm = task.mm;
  if (!mm) return;
  const own: [number, number][] = [];
  for (const c of calls) {
    if (c.line <= exec.line || c.pid !== exec.pid) continue;
    if (c.name === 'execve' && c.result?.value === 0n) break;
    const ret = c.result?.value;
    if (c.name === 'mmap' && ret !== undefined && ret >= 0n) own.push([Number(ret), Number(ret) + (numOf(c.args[1]?.value) ?? 0)]);
    if (c.name === 'mprotect' && c.result?.value === 0n) {
      const a = numOf(c.args[0]?.value) ?? 0;
      const len = numOf(c.args[1]?.value) ?? 0;
      if (!own.some(([s, e]) => a >= s && a + len <= e + 4095)) mm.layout.map(a, len, 1);
    }
  }
}

/** Totals over several reports. */
export function summarize(reports: readonly ReplayReport[]): { matched: number; mismatched: number; unsupported: number; total: number } {
  const s = { matched: 0, mismatched: 0, unsupported: 0, total: 0 };
  for (const r of reports) {
    s.matched += r.matched;
    s.mismatched += r.mismatched;
    s.unsupported += r.unsupported;
  }
  s.total = s.matched + s.mismatched + s.unsupported;
  return s;
}
