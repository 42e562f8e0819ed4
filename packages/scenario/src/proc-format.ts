/**
 * Schema version 2's vocabulary for the kernel's world: the file system and
 * process tree a scenario starts from, events that are syscalls of simulated
 * processes (exec, fork, syscall, exit, kill, wait, unshare, setns, file
 * shorthands) and expectations on tasks and files. format.ts registers them.
 */
import { t, type Type } from './schema';
import { bytes, bytesMatcher, duration, numberMatcher, textMatcher, type BytesSpec, type Matcher } from './values';

const pid = t.int(1, 4_194_304);
const pathStr = t.str('an absolute path', /^\//);
const anyPath = t.str('a path');
const errnoName = t.str('an errno name such as ENOENT', /^E[A-Z0-9]+$/);
const constName = t.str('a constant such as CLONE_NEWPID', /^[A-Z_][A-Z0-9_]*$/);

/** A file mode: a number (write it 0o755 in YAML) or a string of octal digits ("0755"). */
export const fileMode: Type<number> = t.custom('a mode such as "0644" or 0o644', (v) => {
  if (typeof v === 'string' && /^[0-7]{1,5}$/.test(v)) return parseInt(v, 8);
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0o7777) return n;
  return '!expected a mode such as "0644" (octal text) or 0o644';
});

export type FileSpec = ({ kind: 'file'; file: string } | { kind: 'dir'; dir: string } | { kind: 'symlink'; symlink: string } | { kind: 'exec'; exec: string }) & {
  content?: string;
  bytes?: BytesSpec;
  mode?: number;
  uid?: number;
  gid?: number;
  target?: string;
  script?: string;
  /** An executable's functions (its symbol table), for uprobes: names, in the order their offsets are given. */
  symbols?: string[];
};

export const fileSpec: Type<FileSpec> = t.tagged<FileSpec>('a file', {
  file: pathStr, dir: pathStr, symlink: pathStr, exec: pathStr,
}, {
  content: t.str('text'), bytes, mode: fileMode, uid: t.int(0, 2 ** 32 - 2), gid: t.int(0, 2 ** 32 - 2),
  target: anyPath, script: t.str('a script starting with #!'),
  symbols: t.list(t.str('a function name', /^[A-Za-z_][\w.@]*$/), 1),
});

export const NS_NAMES = ['pid', 'mnt', 'uts', 'net', 'ipc', 'cgroup', 'time'] as const;
export type NsName = (typeof NS_NAMES)[number];

export interface ProcessSpec {
  pid: number;
  ppid?: number;
  comm?: string;
  exe?: string;
  argv?: string[];
  env?: string[];
  uid?: number;
  gid?: number;
  cwd?: string;
  ns?: NsName[];
  hostname?: string;
  /** A file opened read-write as descriptors 0, 1 and 2 before the exec (its terminal or log). */
  stdio?: string;
  /** The cgroup (a path under /sys/fs/cgroup) its parent moves it into before the exec. */
  cgroup?: string;
}

const processFields = {
  pid, ppid: pid, comm: t.str('a command name'), exe: pathStr, argv: t.list(t.str()), env: t.list(t.str()),
  uid: t.int(0, 2 ** 32 - 2), gid: t.int(0, 2 ** 32 - 2), cwd: pathStr,
  ns: t.list(t.enum(NS_NAMES)), hostname: t.str('a host name'), stdio: pathStr, cgroup: pathStr,
};
export const processSpec = t.obj('a process', processFields, ['pid']) as unknown as Type<ProcessSpec>;

/** One syscall argument as written: a number, a constant expression ("O_RDONLY|O_CLOEXEC"), text, bytes, argv, or an out buffer. */
export type ArgSpec =
  | { num: bigint }
  | { text: string }
  | { consts: string }
  | { bytes: BytesSpec }
  | { strs: string[] }
  | { out: number }
  | { null: true };

const CONST_EXPR = /^-?[A-Z_][A-Z0-9_]*(\s*\|\s*[A-Z_][A-Z0-9_]*)*$/;

export const argSpec: Type<ArgSpec> = t.custom('a syscall argument (number, CONSTANT|CONSTANT, "text", {out: n}, {bytes: ...}, {str: ...}, or a list of strings)', (v) => {
  if (v === null) return { null: true };
  if (typeof v === 'bigint') return { num: v };
  if (typeof v === 'number' && Number.isSafeInteger(v)) return { num: BigInt(v) };
  if (typeof v === 'string') return CONST_EXPR.test(v) ? { consts: v } : { text: v };
  if (Array.isArray(v)) {
    if (!v.every((x) => typeof x === 'string')) return '!a list argument is a list of strings (argv, envp)';
    return { strs: v as string[] };
  }
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec);
    if (keys.length === 1 && keys[0] === 'out') {
      const n = typeof rec.out === 'bigint' ? Number(rec.out) : rec.out;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1 << 20) return '!{out: n} takes a size from 0 to 1048576';
      return { out: n };
    }
    if (keys.length === 1 && keys[0] === 'str') {
      return typeof rec.str === 'string' ? { text: rec.str } : '!{str: "text"} takes text';
    }
    if (keys.length === 1 && keys[0] === 'bytes') {
      const issues: { path: (string | number)[]; message: string }[] = [];
      const b = bytes.check(rec.bytes, [], issues);
      return b && !issues.length ? { bytes: b } : `!${issues[0]?.message ?? 'expected bytes'}`;
    }
    return `!expected {out: n}, {str: "text"} or {bytes: ...}; found keys ${keys.join(', ')}`;
  }
  return '!expected a syscall argument';
});

export interface SyscallExpect {
  ret?: Matcher;
  errno?: string;
  /** Matchers for the {out: n} buffers, in argument order. */
  out?: Matcher[];
  /** The first out buffer's first `ret` bytes as UTF-8 text. */
  text?: Matcher;
}
const syscallExpect = t.obj('what the syscall must return', {
  ret: numberMatcher(), errno: errnoName, out: t.list(bytesMatcher), text: textMatcher,
}) as unknown as Type<SyscallExpect>;

export type ProcEventBody =
  | { kind: 'exec'; exec: ProcessSpec & { path: string } }
  | { kind: 'fork'; fork: { pid: number; child?: number; comm?: string } }
  | { kind: 'syscall'; syscall: { pid?: number; call: string; args?: ArgSpec[]; expect?: SyscallExpect } }
  | { kind: 'exit'; exit: { pid: number; code?: number } }
  | { kind: 'kill'; kill: { pid?: number; target: number; signal?: string; expect_errno?: string } }
  | { kind: 'wait'; wait: { pid: number; target?: number; options?: string[]; expect?: { pid?: number; exit_code?: number; signal?: string; errno?: string } } }
  | { kind: 'unshare'; unshare: { pid: number; flags: string[]; expect_errno?: string } }
  | { kind: 'setns'; setns: { pid: number; target: number; ns: NsName[]; expect_errno?: string } }
  | { kind: 'write_file'; write_file: { pid?: number; path: string; content?: string; bytes?: BytesSpec; append?: boolean; mode?: number; expect_errno?: string } }
  | { kind: 'read_file'; read_file: { pid?: number; path: string; expect?: Matcher; expect_errno?: string } }
  | { kind: 'call'; call: { pid: number; binary: string; function: string; args?: (number | string)[]; ret?: number | string } }
  | { kind: 'compute'; compute: { pid: number; time: bigint } };

/** The process events, by key (format.ts spreads them into the event kinds). */
export const procEvents: Record<string, Type<unknown>> = {
  exec: t.obj('an exec', { ...processFields, path: pathStr }, ['pid', 'path']),
  fork: t.obj('a fork', { pid, child: pid, comm: t.str('a command name') }, ['pid']),
  syscall: t.obj('a syscall', { pid, call: t.str('a syscall name such as openat', /^[a-z_][a-z0-9_]*$/), args: t.list(argSpec), expect: syscallExpect }, ['call']),
  exit: t.obj('an exit', { pid, code: t.int(0, 255) }, ['pid']),
  kill: t.obj('a signal', { pid, target: t.int(-4_194_304, 4_194_304), signal: t.str('a signal such as SIGTERM', /^SIG[A-Z0-9_]+$/), expect_errno: errnoName }, ['target']),
  wait: t.obj('a wait', {
    pid, target: t.int(-4_194_304, 4_194_304), options: t.list(constName),
    expect: t.obj('what the wait must return', { pid: t.int(0), exit_code: t.int(0, 255), signal: t.str('a signal name', /^SIG[A-Z0-9_]+$/), errno: errnoName }),
  }, ['pid']),
  unshare: t.obj('an unshare', { pid, flags: t.list(constName, 1), expect_errno: errnoName }, ['pid', 'flags']),
  setns: t.obj('a setns', { pid, target: pid, ns: t.list(t.enum(NS_NAMES), 1), expect_errno: errnoName }, ['pid', 'target', 'ns']),
  write_file: t.obj('a file write', { pid, path: anyPath, content: t.str('text'), bytes, append: t.bool(), mode: fileMode, expect_errno: errnoName }, ['path']),
  read_file: t.obj('a file read', { pid, path: anyPath, expect: textMatcher, expect_errno: errnoName }, ['path']),
  // A user function call (uprobes and uretprobes on the binary's declared `symbols` fire).
  call: t.obj('a user function call', {
    pid, binary: pathStr, function: t.str('a function name', /^[A-Za-z_][\w.@]*$/),
    args: t.list(t.custom<number | string>('a number or a string', (v) => (typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v)) ? v : '!expected a whole number or a string'))),
    ret: t.custom<number | string>('a number or a string', (v) => (typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v)) ? v : '!expected a whole number or a string')),
  }, ['pid', 'binary', 'function']),
  // User-mode CPU time: the task runs for this long (charged to its cgroup's cpu controller, throttled by cpu.max).
  compute: t.obj('a computation', { pid, time: duration }, ['pid', 'time']),
};

export const TASK_STATES = ['running', 'sleeping', 'stopped', 'zombie', 'dead', 'reaped'] as const;

export type ProcExpectation =
  | { kind: 'task'; task: { pid: number; ns_pid?: number; pids?: number[]; ppid?: number; comm?: Matcher; uid?: number; exit_code?: number; signal?: string; state?: (typeof TASK_STATES)[number]; hostname?: Matcher; cgroup?: Matcher } }
  | { kind: 'file'; file: { path: string; content?: Matcher; bytes?: Matcher; absent?: boolean; mode?: number; uid?: number; gid?: number; pid?: number } }
  | { kind: 'syscalls'; syscalls: { call: string; pid?: number; count?: Matcher; errno?: string } };

export const procExpectations: Record<string, Type<unknown>> = {
  task: t.obj('a task expectation', {
    pid, ns_pid: t.int(1), pids: t.list(t.int(1), 1), ppid: t.int(0), comm: textMatcher, uid: t.int(0), exit_code: t.int(0, 255),
    signal: t.str('a signal name', /^SIG[A-Z0-9_]+$/), state: t.enum(TASK_STATES), hostname: textMatcher, cgroup: textMatcher,
  }, ['pid']),
  file: t.obj('a file expectation', {
    path: anyPath, content: textMatcher, bytes: bytesMatcher, absent: t.bool(), mode: fileMode, uid: t.int(0), gid: t.int(0), pid,
  }, ['path']),
  syscalls: t.obj('a syscall count', { call: t.str('a syscall name'), pid, count: numberMatcher(), errno: errnoName }, ['call']),
};
