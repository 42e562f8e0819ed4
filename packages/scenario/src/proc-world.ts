/**
 * The processes a scenario drives. Every change to the world is a syscall of
 * a simulated process, as a user's would be: files are created by init,
 * processes are forked (and exec'ed) from their parents, map events are
 * bpf() calls of a root shell. Each call is logged (the timeline's
 * `bash[100] openat("/etc/hostname", O_RDONLY) = 3` lines, the jest
 * syscall matcher); a call that sleeps is logged again when it completes.
 */
import { defineUserImage } from '@bpfsim/kernel';
import { errnoName } from '@bpfsim/uapi';
import { pathWalk, type Kernel, type SysArg, type SyscallResult, type TaskStruct } from '@bpfsim/kernel';
import { ScenarioError, type Place } from './errors';
import { CONSTANTS, ERRNO, signalNumber } from './import/strace/constants';
import type { ArgSpec, FileSpec, NsName, ProcessSpec } from './proc-format';
import { resolveBytes } from './values';
import { clip } from './quote';

/** One syscall as the timeline and the matchers see it. */
export interface SyscallRecord {
  /** Event index (-1: set-up before the events). */
  ev: number;
  pid: number;
  comm: string;
  call: string;
  /** The arguments as shown (strace-like). */
  args: string[];
  /** The return value (-errno on failure); undefined while the call sleeps. */
  ret?: number;
  /** The call slept and this is its completion. */
  resumed?: boolean;
}

export const NS_FLAG: Record<NsName, number> = {
  pid: 0x20000000, mnt: 0x00020000, uts: 0x04000000, net: 0x40000000, ipc: 0x08000000, cgroup: 0x02000000, time: 0x00000080,
};
const SIGCHLD = 17;
const AT_FDCWD = -100;
const PR_SET_NAME = 15;

/** An ELF-looking image: execve checks only the magic (docs/kernel.md). */
const ELF_IMAGE = (() => {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  return b;
})();

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

/** A constant expression ("O_WRONLY|O_CREAT", "SIGTERM", "AT_FDCWD") as a number, or undefined for an unknown name. */
export function constValue(expr: string): number | undefined {
  const neg = expr.startsWith('-');
  let v = 0n;
  for (const part of (neg ? expr.slice(1) : expr).split('|').map((x) => x.trim())) {
    const n = Object.hasOwn(CONSTANTS, part) ? CONSTANTS[part] : signalNumber(part);
    if (n === undefined) return undefined;
    v |= BigInt.asUintN(64, BigInt(n));
  }
  const s = Number(BigInt.asIntN(64, v));
  return neg ? -s : s;
}

export function errnoNumber(name: string): number | undefined {
  return Object.hasOwn(ERRNO, name) ? ERRNO[name] : undefined;
}

/** A value in strace's quoting: "text\n", cut to 48 bytes with "..." as strace does. */
export function quoteBytes(b: Uint8Array, max = 48): string {
  const s = dec.decode(b.subarray(0, max));
  return JSON.stringify(s) + (b.length > max ? '...' : '');
}

const ADDR_RET = new Set(['mmap', 'brk', 'mremap']);
const TEXT_OUT = new Set(['read', 'pread64', 'readlink', 'readlinkat', 'getcwd', 'recvfrom']);

export class ProcWorld {
  /** Every task the scenario created or named, by host pid (kept after it is reaped). */
  private readonly known = new Map<number, TaskStruct>();
  readonly log: SyscallRecord[] = [];
  /** The default process for map events: a root shell, made on first use. */
  private shell: TaskStruct | undefined;
  private readonly seen = new Map<TaskStruct, number>();
  /** Checks waiting for a sleeping call to complete, per task, in call order. */
  private readonly pending = new Map<TaskStruct, ((ret: number) => string | undefined)[]>();

  constructor(readonly kernel: Kernel) {}

  get init(): TaskStruct {
    return this.kernel.world.init;
  }

  /** The task with host pid `pid` (a live one first, else one the scenario knew). */
  task(pid: number, at: Place): TaskStruct {
    const t = this.kernel.world.findTask(pid) ?? this.known.get(pid);
    if (!t) throw new ScenarioError(at, `no process with pid ${pid}`);
    return t;
  }
  /** A task by pid for expectations: undefined when it never existed. */
  lookup(pid: number): TaskStruct | undefined {
    return this.kernel.world.findTask(pid) ?? this.known.get(pid);
  }

  /** One syscall by `t`, logged; `shown` are the arguments as the timeline prints them. */
  sys(ev: number, t: TaskStruct, call: string, args: readonly SysArg[], shown?: string[]): SyscallResult & { line: number } {
    const rec: SyscallRecord = { ev, pid: t.pid, comm: t.comm, call, args: shown ?? args.map(showArg) };
    const r = this.kernel.syscall(t, call, args);
    if (!r.blocked) rec.ret = r.ret;
    // What a call wrote into its out buffers, strace-like.
    if (!r.blocked && r.outs.length) {
      let o = 0;
      rec.args = rec.args.map((a, i) => {
        const arg = args[i];
        if (!(arg !== null && typeof arg === 'object' && 'out' in arg)) return a;
        const b = r.outs[o++];
        if (r.ret < 0) return a;
        if (TEXT_OUT.has(call)) return quoteBytes(b.subarray(0, Math.max(0, Math.min(r.ret, b.length))));
        if (call === 'pipe' || call === 'pipe2') {
          const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
          return `[${dv.getInt32(0, true)}, ${dv.getInt32(4, true)}]`;
        }
        return a;
      });
    }
    this.log.push(rec);
    if (r.child) this.known.set(r.child.pid, r.child);
    return { ...r, line: this.log.length - 1 };
  }

  /** Run a check when the sleeping call of `t` completes (now, if it did not sleep). */
  onComplete(t: TaskStruct, r: SyscallResult, check: (ret: number) => string | undefined): string | undefined {
    if (!r.blocked) return check(r.ret);
    const q = this.pending.get(t) ?? [];
    q.push(check);
    this.pending.set(t, q);
    return undefined;
  }

  /** Calls that completed while their task slept, since the last look: logged, and their waiting checks run. */
  collectCompleted(ev: number): string[] {
    const failures: string[] = [];
    for (const t of this.kernel.world.allTasks()) {
      const before = this.seen.get(t) ?? 0;
      if (t.completed.length === before) continue;
      for (const c of t.completed.slice(before)) {
        this.log.push({ ev, pid: t.pid, comm: t.comm, call: c.name, args: [], ret: c.ret, resumed: true });
        const check = this.pending.get(t)?.shift();
        const f = check?.(c.ret);
        if (f) failures.push(f);
      }
      this.seen.set(t, t.completed.length);
    }
    return failures;
  }

  /** Checks still waiting at the end of the scenario (their calls never returned). */
  unfinished(): { pid: number; count: number; alive: boolean }[] {
    const out: { pid: number; count: number; alive: boolean }[] = [];
    for (const [t, q] of this.pending) if (q.length) out.push({ pid: t.pid, count: q.length, alive: t.alive });
    return out;
  }

  /** The root shell map events come from: forked by init, exec'ed /bin/bash. */
  defaultShell(ev: number): TaskStruct {
    if (this.shell && this.shell.alive) return this.shell;
    const f = this.sys(ev, this.init, 'fork', []);
    const sh = f.child!;
    this.sys(ev, sh, 'execve', ['/bin/bash', ['bash'], ['HOME=/root', 'PATH=/usr/bin:/bin']]);
    this.shell = sh;
    return sh;
  }

  /** Syscall arguments from the scenario: constants resolved, text and bytes placed in user memory by the entry. */
  resolveArgs(args: readonly ArgSpec[], at: (j: number) => Place): { regs: SysArg[]; shown: string[] } {
    const regs: SysArg[] = [];
    const shown: string[] = [];
    args.forEach((a, j) => {
      if ('num' in a) {
        regs.push(a.num >= BigInt(Number.MIN_SAFE_INTEGER) && a.num <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(a.num) : a.num);
        shown.push(String(a.num));
      } else if ('consts' in a) {
        const v = constValue(a.consts);
        if (v === undefined) throw new ScenarioError(at(j), `unknown constant in '${clip(a.consts)}' (O_*, AT_*, CLONE_*, SIG*, W*, PR_*, ... as the uapi headers name them)`);
        regs.push(v);
        shown.push(a.consts);
      } else if ('text' in a) {
        regs.push(a.text);
        shown.push(quoteBytes(enc.encode(a.text), 64));
      } else if ('bytes' in a) {
        const b = resolveBytes(a.bytes);
        if (typeof b === 'string') throw new ScenarioError(at(j), b);
        regs.push(b);
        shown.push(quoteBytes(b, 32));
      } else if ('strs' in a) {
        regs.push(a.strs);
        shown.push(`[${a.strs.map((s) => quoteBytes(enc.encode(s), 32)).join(', ')}]`);
      } else if ('out' in a) {
        regs.push({ out: a.out });
        shown.push(`{out ${a.out}}`);
      } else {
        regs.push(null);
        shown.push('NULL');
      }
    });
    return { regs, shown };
  }

  /** The file system set-up: each entry made by init with mkdir/openat/write/symlink, then its mode and owner. */
  setupFiles(files: readonly FileSpec[], at: (i: number, ...rest: (string | number)[]) => Place): void {
    const init = this.init;
    const q = (p: string) => quoteBytes(enc.encode(p), 64);
    const oct = (m: number) => `0${m.toString(8)}`;
    const must = (r: SyscallResult, i: number, what: string): number => {
      if (r.ret < 0) throw new ScenarioError(at(i), `${what}: ${errnoName(-r.ret) ?? r.ret}`);
      return r.ret;
    };
    files.forEach((f, i) => {
      const path = f.kind === 'file' ? f.file : f.kind === 'dir' ? f.dir : f.kind === 'symlink' ? f.symlink : f.exec;
      this.mkdirs(path.slice(0, path.lastIndexOf('/')), i, at);
      if (f.kind === 'dir') {
        const r = this.sys(-1, init, 'mkdir', [path, f.mode ?? 0o755], [q(path), oct(f.mode ?? 0o755)]);
        if (r.ret !== -(errnoNumber('EEXIST') ?? 17)) must(r, i, `mkdir ${path}`);
        this.madeDirs.add(path);
        must(this.sys(-1, init, 'chmod', [path, f.mode ?? 0o755], [q(path), oct(f.mode ?? 0o755)]), i, `chmod ${path}`);
      } else if (f.kind === 'symlink') {
        if (f.target === undefined) throw new ScenarioError(at(i), "a symlink needs 'target'");
        must(this.sys(-1, init, 'symlink', [f.target, path]), i, `symlink ${path}`);
        if (f.uid !== undefined || f.gid !== undefined) must(this.sys(-1, init, 'lchown', [path, f.uid ?? 0, f.gid ?? 0]), i, `lchown ${path}`);
        return;
      } else {
        if (f.target !== undefined) throw new ScenarioError(at(i, 'target'), "'target' is for symlinks");
        const given = [f.content, f.bytes, f.script].filter((x) => x !== undefined).length;
        if (given > 1) throw new ScenarioError(at(i), "give at most one of 'content', 'bytes' or 'script'");
        if (f.kind === 'file' && f.script !== undefined) throw new ScenarioError(at(i, 'script'), "a script is an executable: write it as 'exec:'");
        let data: Uint8Array;
        if (f.bytes !== undefined) {
          const b = resolveBytes(f.bytes);
          if (typeof b === 'string') throw new ScenarioError(at(i, 'bytes'), b);
          data = b;
        } else if (f.script !== undefined) {
          if (!f.script.startsWith('#!')) throw new ScenarioError(at(i, 'script'), 'a script starts with "#!" and its interpreter, as execve requires');
          data = enc.encode(f.script);
        } else if (f.content !== undefined) data = enc.encode(f.content);
        else data = f.kind === 'exec' ? ELF_IMAGE : new Uint8Array(0);
        const mode = f.mode ?? (f.kind === 'exec' ? 0o755 : 0o644);
        const fd = must(this.sys(-1, init, 'openat', [AT_FDCWD, path, 0o1 | 0o100 | 0o1000 | 0o2000000, mode],
          ['AT_FDCWD', q(path), 'O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC', oct(mode)]), i, `open ${path}`);
        if (data.length) must(this.sys(-1, init, 'write', [fd, data, data.length]), i, `write ${path}`);
        if (f.symbols !== undefined) {
          if (f.kind !== 'exec') throw new ScenarioError(at(i, 'symbols'), "'symbols' are an executable's: write it as 'exec:'");
          defineUserImage(this.kernel, path, f.symbols);
        }
        this.sys(-1, init, 'close', [fd]);
        must(this.sys(-1, init, 'chmod', [path, mode], [q(path), oct(mode)]), i, `chmod ${path}`);
      }
      if (f.uid !== undefined || f.gid !== undefined) must(this.sys(-1, init, 'chown', [path, f.uid ?? 0, f.gid ?? 0]), i, `chown ${path}`);
    });
  }

  /** Directories the set-up made or found (mkdir -p asks only once per directory). */
  private readonly madeDirs = new Set<string>();

  private mkdirs(dir: string, i: number, at: (i: number) => Place): void {
    const parts = dir.split('/').filter(Boolean);
    let p = '';
    for (const part of parts) {
      p += `/${part}`;
      if (this.madeDirs.has(p)) continue;
      this.madeDirs.add(p);
      const r = this.sys(-1, this.init, 'mkdir', [p, 0o755], [quoteBytes(enc.encode(p), 64), '0755']);
      if (r.ret < 0 && r.ret !== -17 /* EEXIST */) throw new ScenarioError(at(i), `mkdir ${p}: ${errnoName(-r.ret) ?? r.ret}`);
    }
  }

  /**
   * A process as a user's would be made: its parent forks (clone with the
   * CLONE_NEW* flags of `ns`), its host pid pinned as clone3's set_tid pins it;
   * the child sets its host name, ids and directory, then execs.
   */
  createProcess(ev: number, p: ProcessSpec & { path?: string }, at: (...rest: (string | number)[]) => Place): TaskStruct {
    const w = this.kernel.world;
    if (w.findTask(p.pid)) throw new ScenarioError(at('pid'), `pid ${p.pid} is in use (${w.findTask(p.pid)!.describe()})`);
    const parent = this.task(p.ppid ?? 1, at('ppid'));
    const flags = (p.ns ?? []).reduce((f, n) => f | NS_FLAG[n], 0) >>> 0;
    w.initPidNs.setNextNr(p.pid);
    const f = flags ? this.sys(ev, parent, 'clone', [flags | SIGCHLD, 0, 0, 0, 0], [nsFlagText(flags, 'SIGCHLD'), 'NULL', 'NULL', 'NULL', '0'])
      : this.sys(ev, parent, 'fork', []);
    if (f.ret < 0 || !f.child) throw new ScenarioError(at(), `${flags ? 'clone' : 'fork'} by ${parent.describe()} failed: ${errnoName(-f.ret) ?? f.ret}`);
    const c = f.child;
    if (c.pid !== p.pid) throw new ScenarioError(at('pid'), `the kernel gave pid ${c.pid}, not ${p.pid} (in use?)`);
    const must = (r: SyscallResult, what: string, ...field: (string | number)[]): void => {
      if (r.ret < 0) throw new ScenarioError(at(...field), `${what} by ${c.describe()} failed: ${errnoName(-r.ret) ?? r.ret}`);
    };
    if (p.cgroup !== undefined) this.moveToCgroup(ev, parent, c, p.cgroup, at('cgroup'));
    if (p.hostname !== undefined) must(this.sys(ev, c, 'sethostname', [p.hostname, enc.encode(p.hostname).length]), 'sethostname', 'hostname');
    if (p.cwd !== undefined) must(this.sys(ev, c, 'chdir', [p.cwd]), `chdir ${p.cwd}`, 'cwd');
    if (p.stdio !== undefined) {
      // As a login or a runtime sets a process up: its terminal (here a file) on 0, 1 and 2.
      for (let fd = 0; fd < 3; fd++) {
        const o = this.sys(ev, c, 'openat', [AT_FDCWD, p.stdio, 0o2 | 0o100, 0o620], ['AT_FDCWD', JSON.stringify(p.stdio), 'O_RDWR|O_CREAT', '0620']);
        must(o, `open ${p.stdio}`, 'stdio');
        if (o.ret !== fd) {
          must(this.sys(ev, c, 'dup2', [o.ret, fd]), 'dup2', 'stdio');
          this.sys(ev, c, 'close', [o.ret]);
        }
      }
    }
    if (p.gid !== undefined) must(this.sys(ev, c, 'setgid', [p.gid]), 'setgid', 'gid');
    if (p.uid !== undefined) must(this.sys(ev, c, 'setuid', [p.uid]), 'setuid', 'uid');
    const exe = p.path ?? p.exe ?? (p.comm && this.exists(`/bin/${p.comm}`) ? `/bin/${p.comm}` : undefined);
    if (exe !== undefined) {
      const argv = p.argv ?? [p.comm ?? exe.slice(exe.lastIndexOf('/') + 1)];
      const r = this.sys(ev, c, 'execve', [exe, argv, p.env ?? []]);
      must(r, `execve ${exe}`, p.path !== undefined ? 'path' : 'exe');
    }
    if (p.comm !== undefined && c.comm !== p.comm) must(this.sys(ev, c, 'prctl', [PR_SET_NAME, p.comm], ['PR_SET_NAME', JSON.stringify(p.comm)]), 'prctl(PR_SET_NAME)', 'comm');
    this.known.set(c.pid, c);
    return c;
  }

  /** Whether init sees a file at `path`: the scenario's own decision, a look at the state, not a syscall. */
  private exists(path: string): boolean {
    const i = this.init;
    return typeof pathWalk({ fs: i.fs, base: i.fs.pwd, cred: i.cred, viewer: i }, path, true) !== 'number';
  }

  /**
   * What a runtime does: `mkdir -p /sys/fs/cgroup/PATH`, then write the child's pid (as the
   * writer's pid namespace numbers it) into its cgroup.procs.
   */
  private moveToCgroup(ev: number, by: TaskStruct, c: TaskStruct, cgroup: string, at: Place): void {
    const q = (s: string) => quoteBytes(enc.encode(s), 64);
    let dir = '/sys/fs/cgroup';
    for (const part of cgroup.split('/').filter(Boolean)) {
      dir += `/${part}`;
      const r = this.sys(ev, by, 'mkdir', [dir, 0o755], [q(dir), '0755']);
      if (r.ret < 0 && r.ret !== -17) throw new ScenarioError(at, `mkdir ${dir} by ${by.describe()} failed: ${errnoName(-r.ret) ?? r.ret}`);
    }
    const procs = `${dir}/cgroup.procs`;
    const o = this.sys(ev, by, 'openat', [AT_FDCWD, procs, 0o1 | 0o2000000], ['AT_FDCWD', q(procs), 'O_WRONLY|O_CLOEXEC']);
    if (o.ret < 0) throw new ScenarioError(at, `open ${procs} by ${by.describe()} failed: ${errnoName(-o.ret) ?? o.ret}`);
    const text = `${c.tgidIn(by.pidNamespace)}\n`;
    const w = this.sys(ev, by, 'write', [o.ret, enc.encode(text), text.length]);
    this.sys(ev, by, 'close', [o.ret]);
    if (w.ret < 0) throw new ScenarioError(at, `write ${procs} by ${by.describe()} failed: ${errnoName(-w.ret) ?? w.ret}`);
  }

  remember(t: TaskStruct): void {
    this.known.set(t.pid, t);
  }
}

/** CLONE_NEWPID|CLONE_NEWNS|SIGCHLD. */
export function nsFlagText(flags: number, extra?: string): string {
  const names = Object.entries(CONSTANTS).filter(([k, v]) => k.startsWith('CLONE_NEW') && (flags & v) !== 0 && v !== 0).map(([k]) => k);
  if (extra) names.push(extra);
  return names.join('|') || '0';
}

/** One argument as the timeline shows a value a caller passed directly. */
function showArg(a: SysArg): string {
  if (a === null) return 'NULL';
  if (typeof a === 'number' || typeof a === 'bigint') return String(a);
  if (typeof a === 'string') return quoteBytes(enc.encode(a), 64);
  if (a instanceof Uint8Array) return quoteBytes(a, 32);
  if (Array.isArray(a)) return `[${a.map((s) => quoteBytes(enc.encode(s), 32)).join(', ')}]`;
  return `{out ${(a as { out: number }).out}}`;
}

/** `bash[100] openat("/etc/hostname", O_RDONLY) = 3` */
export function syscallLine(r: SyscallRecord): string {
  // exit never returns; addresses are shown in hex, as strace shows them.
  const ret = r.call === 'exit' || r.call === 'exit_group' ? '?'
    : r.ret === undefined ? '? <sleeping>'
    : r.ret < 0 ? `-1 ${errnoName(-r.ret) ?? `errno ${-r.ret}`}`
    : ADDR_RET.has(r.call) ? `0x${r.ret.toString(16)}` : String(r.ret);
  if (r.resumed) return `${r.comm}[${r.pid}] <... ${r.call} resumed> = ${ret}`;
  return `${r.comm}[${r.pid}] ${r.call}(${r.args.join(', ')}) = ${ret}`;
}
