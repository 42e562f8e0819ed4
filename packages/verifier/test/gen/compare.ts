/**
 * Feed generated programs to the kernel (tools/oracle) and to @bpfsim/verifier, and compare verdict,
 * errno and final error line.
 */
import { encodeProgram, Insn } from '@bpfsim/isa';
import { verify } from '@bpfsim/verifier';
import type { GenCase } from './verifier-gen';
import { btfLoad, hasPseudoFunc } from './btf-oracle';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const oracle = require('../../../../tools/oracle');

export interface Outcome { accepted: boolean; errno: string | null; error: string | null; processed?: number; log?: string }
export interface Comparison { c: GenCase; kernel: Outcome; sim: Outcome; verdict: boolean; errno: boolean; line: boolean }

export function oracleAvailable(): { ok: boolean; reason?: string } {
  return oracle.available();
}

export function compareCase(c: GenCase, logLevel: 1 | 2 = 1): Comparison {
  if (hasPseudoFunc(c.insns)) return compareWithBtf(c);
  const fds: number[] = [];
  try {
    for (const m of c.maps) {
      const r = oracle.mapCreate({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name });
      if (r.fd === null) throw new Error(`map create failed: ${r.errnoName}`);
      fds.push(r.fd);
    }
    const patched = c.insns.map((x) => (x.code === 0x18 && (x.src === 1 || x.src === 2) && x.imm >= 0 && x.imm < fds.length ? new Insn(x.code, x.dst, x.src, x.off, fds[x.imm]) : x));
    const k = oracle.loadVerdict({ type: c.progType, insns: encodeProgram(patched), logLevel });
    const kernel: Outcome = { accepted: k.accepted, errno: k.accepted ? null : k.errnoName, error: k.accepted ? null : k.lastErrorLine, processed: k.stats?.processed, log: k.log };
    const s = verify(patched, {
      progType: c.progType, logLevel,
      maps: c.maps.map((m, i) => ({ fd: fds[i], type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name })),
    });
    const sim: Outcome = { accepted: s.accepted, errno: s.errno, error: s.error, processed: s.processed, log: s.log };
    return {
      c, kernel, sim,
      verdict: kernel.accepted === sim.accepted,
      errno: kernel.errno === sim.errno,
      line: (kernel.error ?? '') === (sim.error ?? ''),
    };
  } finally {
    for (const fd of fds) oracle.close(fd);
  }
}

/** Programs with callbacks go to the kernel with BTF func_info (btf-oracle.ts; log level 1). */
function compareWithBtf(c: GenCase): Comparison {
  const k = btfLoad(c.progType, c.insns, c.maps);
  const kernel: Outcome = { accepted: k.errno === 0, errno: k.errno ? oracle.errnoName(k.errno) : null, error: k.errno ? k.lastErrorLine : null, log: k.log };
  // map fds are the lddw indexes themselves (bpfsim only needs them to match)
  const s = verify(c.insns, {
    progType: c.progType, logLevel: 1,
    maps: c.maps.map((m, i) => ({ fd: i, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name })),
  });
  const sim: Outcome = { accepted: s.accepted, errno: s.errno, error: s.error, processed: s.processed, log: s.log };
  return { c, kernel, sim, verdict: kernel.accepted === sim.accepted, errno: kernel.errno === sim.errno, line: (kernel.error ?? '') === (sim.error ?? '') };
}

export function summarize(rs: Comparison[]): { n: number; verdict: number; errno: number; line: number } {
  const n = rs.length;
  const pct = (k: 'verdict' | 'errno' | 'line'): number => (100 * rs.filter((r) => r[k]).length) / n;
  return { n, verdict: pct('verdict'), errno: pct('errno'), line: pct('line') };
}
