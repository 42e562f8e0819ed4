/**
 * The bounds a scenario or recording is read and replayed within, and the
 * directories its files may come from. Each has a default (docs/reliability.md)
 * and can be changed by the caller: the CLI's --allow-path, --max-* flags, or
 * the `policy` option of loadScenarioFile.
 */
export interface ScenarioLimits {
  /** Largest scenario (YAML) or recording file read, in bytes. */
  maxScenarioBytes: number;
  /** Largest ELF object a scenario may name, in bytes. */
  maxObjectBytes: number;
  /** Largest data file (packet capture, imported log) a scenario may name, in bytes. */
  maxDataBytes: number;
  /** Most events in one scenario. */
  maxEvents: number;
  /** Most program runs a scenario may ask for: the sum of every run event's repeat. */
  maxRuns: number;
  /** Deepest nesting of a recording's data (lists and mappings). */
  maxDepth: number;
  /** The kernel's total map memory, in bytes (Kernel option mapMemoryLimit): past it, ENOMEM. */
  maxMapMemoryBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ScenarioLimits> = Object.freeze({
  maxScenarioBytes: 64 * 1024 * 1024,
  maxObjectBytes: 256 * 1024 * 1024,
  maxDataBytes: 256 * 1024 * 1024,
  maxEvents: 1_000_000,
  maxRuns: 10_000_000,
  maxDepth: 64,
  maxMapMemoryBytes: 1024 * 1024 * 1024,
});

/** Where a scenario's files may be and how large its inputs may be. */
export interface ReadPolicy {
  /** Directories besides the scenario's own that named files may resolve into (after symlinks). */
  allowPaths?: readonly string[];
  limits?: Partial<ScenarioLimits>;
}

export function limitsOf(p: ReadPolicy | undefined): ScenarioLimits {
  return { ...DEFAULT_LIMITS, ...(p?.limits ?? {}) };
}

/** Largest byte value ({str, size}, hex, a list of parts), in bytes: fixed, checked while validating. */
export const VALUE_BYTES_MAX = 16 * 1024 * 1024;
/** Longest regex source in an expectation, in characters: fixed. */
export const REGEX_SOURCE_MAX = 4096;
/** Largest duration or time stamp: the kernel's ktime is a u64 of nanoseconds. */
export const DURATION_MAX = (1n << 64n) - 1n;
