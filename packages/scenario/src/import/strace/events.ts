import type { StraceField } from './ast';

/** What `= …` says: a value (absent for `?`), an errno name, the text strace put in parentheses, the -y path. */
export interface StraceResult {
  /** The return value; undefined for `= ?` (the call did not return: exit, execve replaced, restart). */
  value?: bigint;
  /** ENOENT, ERESTARTSYS, …: present whenever strace printed one. */
  errno?: string;
  /** The parenthesised text after the value: the errno's message, `Timeout`, `flags O_RDONLY`, … */
  note?: string;
  /** With -y: the path of the returned fd (`= 3</etc/passwd>`). */
  path?: string;
  /** The result exactly as printed, after `= `. */
  text: string;
}

interface At {
  pid: number;
  /** Nanoseconds since the first timestamp of the log (strace -ttt gives microseconds). */
  timeNs: number;
  /** 1-based line of the record (for a joined call: the line that began it). */
  line: number;
}

/** A syscall; an `<unfinished ...>` line and its `<... resumed>` line are joined into one. */
export interface StraceCall extends At {
  kind: 'syscall';
  name: string;
  args: StraceField[];
  /** Absent only for an unfinished call. */
  result?: StraceResult;
  /** Set for a joined pair: when and on which line the call resumed (or was seen to die). */
  resumed?: { timeNs: number; line: number };
  /**
   * True when the call never returned: its process died in it (`<unfinished ...>) = ?`, on one line
   * or on the `<... resumed>` line), was detached, or the log ends first. The arguments are those printed.
   */
  unfinished?: true;
}

/** `--- SIGCHLD {si_signo=SIGCHLD, …} ---` (delivered) or `--- stopped by SIGSTOP ---`. */
export interface StraceSignal extends At {
  kind: 'signal';
  signal: string;
  stopped?: true;
  /** The siginfo strace printed, as a struct of fields. */
  info?: StraceField[];
}

/** `+++ exited with N +++` or `+++ killed by SIGKILL (core dumped) +++`. */
export interface StraceExit extends At {
  kind: 'exit';
  code?: number;
  signal?: string;
  coreDumped?: true;
}

/** `+++ superseded by execve in pid N +++`: a thread replaced by another thread's execve. */
export interface StraceSuperseded extends At {
  kind: 'superseded';
  byPid: number;
}

export type StraceEvent = StraceCall | StraceSignal | StraceExit | StraceSuperseded;
