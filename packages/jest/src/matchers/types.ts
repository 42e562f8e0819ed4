/**
 * The matchers' types, added to jest's `expect` both for the globals
 * (@types/jest's `jest.Matchers`) and for `import { expect } from '@jest/globals'`.
 * toReturn is declared in the augmentations themselves so it overloads jest's own
 * toReturn() (the mock matcher) instead of hiding it.
 */
import type { EmittedOptions } from './output';
import type { SyscallMatch } from './syscall';
import type { PacketMatch } from './packet';

export interface BpfsimMatchers<R> {
  /** The kernel would load it (every program of an object file, a verdict, a load function). */
  toBeAccepted(): R;
  /** The kernel refuses it, with an error line, errno or log line containing `text` (or matching the RegExp). */
  toBeRejectedWith(textOrRegex: string | RegExp): R;
  /** The map holds `key` (and, when given, `value`): integers, bytes, or BTF-decoded values (asymmetric matchers allowed). */
  toHaveMapEntry(key: unknown, value?: unknown): R;
  /** A trace_pipe line contains `text` (or matches the RegExp). */
  toHavePrintedLine(textOrRegex: string | RegExp): R;
  /** A ring buffer or perf event record equals `record` (BTF-decoded; asymmetric matchers allowed; bytes for raw). */
  toHaveEmitted(record: unknown, opts?: EmittedOptions): R;
  /** The trace equals the golden file's (BPFSIM_UPDATE=1 rewrites it). */
  toMatchTrace(goldenFile: string): R;
  /** A simulated process made this syscall (a scenario result or a ProcWorld), optionally with these pid, args, result or count. */
  toHaveCalledSyscall(name: string, opts?: SyscallMatch): R;
  /** A device (or any device of a scenario or kernel) transmitted a packet matching: summary text, RegExp, bytes or { summary, bytes, device, ns }. */
  toHaveSentPacket(match: PacketMatch): R;
  /** The packet path dropped a packet matching (XDP, tc, netfilter, the stack): as toHaveSentPacket, plus { reason }. */
  toHaveDropped(match: PacketMatch): R;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R, T = {}> extends BpfsimMatchers<R> {
      /** A bpfsim run returned this code: a name ("XDP_DROP") or a number. (Without an argument: jest's own toReturn.) */
      toReturn(code: string | number): R;
    }
  }
}

declare module 'expect' {
  interface Matchers<R extends void | Promise<void>, T = unknown> extends BpfsimMatchers<R> {
    /** A bpfsim run returned this code: a name ("XDP_DROP") or a number. (Without an argument: jest's own toReturn.) */
    toReturn(code: string | number): R;
  }
}
