/**
 * Feed generated programs to the kernel (tools/oracle) and to @bpfsim/verifier, and compare verdict,
 * errno and final error line.
 */
import { encodeProgram, Insn } from '@bpfsim/isa';
import { verify } from '@bpfsim/verifier';
import type { GenCase, GenMap } from './verifier-gen';
import type { MapInfo } from '@bpfsim/verifier';
// the simulated kernel's BTF, as its prog load passes it (read only when a program needs it)
import { lazyVmlinuxBtf } from '@bpfsim/kernel';
import { btfLoad, btfLoaderAvailable, hasPseudoFunc } from './btf-oracle';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const oracle = require('../../../../tools/oracle');

export interface Outcome { accepted: boolean; errno: string | null; error: string | null; processed?: number; log?: string }
export interface Comparison {
  c: GenCase; kernel: Outcome; sim: Outcome; verdict: boolean; errno: boolean; line: boolean;
  /** The log's last line (`processed N insns ... max_states_per_insn ... total_states ... peak_states ...`) is identical. */
  stats: boolean;
}

/** The verifier statistics line of a log at level 1 or 2, or '' when there is none. */
export function statsLine(log: string | undefined): string {
  const lines = (log ?? '').trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].startsWith('processed ')) return lines[i];
  return '';
}
const sameStats = (k: Outcome, s: Outcome): boolean => statsLine(k.log) === statsLine(s.log);

/**
 * Logs kept with a comparison: whole up to 1 MiB (callback tests compare them byte for byte), else the
 * tail (a program walked to the 1M-instruction limit logs ~50 MB at level 1; thousands would not fit).
 */
const keep = (log: string): string => (log.length > 1 << 20 ? log.slice(-(64 << 10)) : log);

export function oracleAvailable(): { ok: boolean; reason?: string } {
  return oracle.available();
}

/** The verifier's MapInfo for a generated map (an inner-map template has no name, as in the kernel). */
function mapInfo(m: GenMap): MapInfo {
  return {
    type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name,
    inner: m.inner ? { type: m.inner.type, keySize: m.inner.keySize, valueSize: m.inner.valueSize, maxEntries: m.inner.maxEntries, flags: m.inner.flags } : undefined,
  };
}

export function compareCase(c: GenCase, logLevel: 1 | 2 = 1): Comparison {
  if (c.btf || hasPseudoFunc(c.insns)) return compareWithBtf(c);
  const fds: number[] = [];
  /** Inner-map templates: only needed while the outer map is created. */
  const extra: number[] = [];
  try {
    const create = (m: GenMap, innerMapFd?: number): number => {
      const r = oracle.mapCreate({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name, innerMapFd });
      if (r.fd === null) throw new Error(`map create failed: ${r.errnoName}`);
      return r.fd;
    };
    for (const m of c.maps) {
      let innerFd: number | undefined;
      if (m.inner) extra.push((innerFd = create(m.inner)));
      fds.push(create(m, innerFd));
    }
    const patched = c.insns.map((x) => (x.code === 0x18 && (x.src === 1 || x.src === 2) && x.imm >= 0 && x.imm < fds.length ? new Insn(x.code, x.dst, x.src, x.off, fds[x.imm]) : x));
    const k = oracle.loadVerdict({ type: c.progType, insns: encodeProgram(patched), logLevel });
    const kernel: Outcome = { accepted: k.accepted, errno: k.accepted ? null : k.errnoName, error: k.accepted ? null : k.lastErrorLine, processed: k.stats?.processed, log: keep(k.log) };
    const s = verify(patched, {
      progType: c.progType, logLevel, kernelBtf: lazyVmlinuxBtf,
      maps: c.maps.map((m, i) => ({ fd: fds[i], ...mapInfo(m) })),
    });
    const sim: Outcome = { accepted: s.accepted, errno: s.errno, error: s.error, processed: s.processed, log: keep(s.log) };
    return {
      c, kernel, sim,
      verdict: kernel.accepted === sim.accepted,
      errno: kernel.errno === sim.errno,
      line: (kernel.error ?? '') === (sim.error ?? ''),
      stats: sameStats(kernel, sim),
    };
  } finally {
    for (const fd of [...fds, ...extra]) oracle.close(fd);
  }
}

/** Programs with callbacks go to the kernel with BTF func_info (btf-oracle.ts; log level 1). */
function compareWithBtf(c: GenCase): Comparison {
  const avail = btfLoaderAvailable();
  if (!avail.ok) throw new Error(`${c.id}: needs the BTF loader: ${avail.reason}`);
  const k = btfLoad(c.progType, c.insns, c.maps);
  const kernel: Outcome = { accepted: k.errno === 0, errno: k.errno ? oracle.errnoName(k.errno) : null, error: k.errno ? k.lastErrorLine : null, log: keep(k.log) };
  // map fds are the lddw indexes themselves (bpfsim only needs them to match)
  const s = verify(c.insns, {
    progType: c.progType, logLevel: 1, btfFuncInfo: true, kernelBtf: lazyVmlinuxBtf,
    maps: c.maps.map((m, i) => ({ fd: i, ...mapInfo(m) })),
  });
  const sim: Outcome = { accepted: s.accepted, errno: s.errno, error: s.error, processed: s.processed, log: keep(s.log) };
  return {
    c, kernel, sim, verdict: kernel.accepted === sim.accepted, errno: kernel.errno === sim.errno,
    line: (kernel.error ?? '') === (sim.error ?? ''), stats: sameStats(kernel, sim),
  };
}

export function summarize(rs: Comparison[]): { n: number; verdict: number; errno: number; line: number; stats: number } {
  const n = rs.length;
  const pct = (k: 'verdict' | 'errno' | 'line' | 'stats'): number => (100 * rs.filter((r) => r[k]).length) / n;
  return { n, verdict: pct('verdict'), errno: pct('errno'), line: pct('line'), stats: pct('stats') };
}
