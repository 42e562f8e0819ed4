/**
 * A differential campaign: generate `count` cases from a seed, run each in
 * the kernel and in the VM, count agreements, collect disagreements (with a
 * jest case each) and kernel rejections (generator bugs, with their log).
 */
import * as oracle from '../oracle';
import { differences, formatJestCase, kernelListing } from './compare';
import { generateCase, type GeneratorOptions } from './generator';
import { kernelLog, runInKernel } from './kernel-side';
import { runInVm } from './vm-side';

export interface Disagreement {
  seed: string;
  diffs: string[];
  /** A ready-to-paste jest test. */
  jest: string;
}

export interface CampaignResult {
  total: number;
  agreed: number;
  disagreements: Disagreement[];
  rejected: { seed: string; errnoName: string; lastErrorLine: string; log: string }[];
  /** VM instructions executed over all agreeing cases. */
  vmInsns: number;
}

export interface CampaignOptions {
  count: number;
  seed: string;
  /** Index of the first case (default 0): `start: i, count: 1` replays case "seed:i". */
  start?: number;
  generator?: GeneratorOptions;
  /** Stop collecting details after this many disagreements/rejections (counts go on). Default 20. */
  keep?: number;
  onCase?: (index: number, result: CampaignResult) => void;
}

/** Seed of case `i` of a campaign seeded `seed`: each case is reproducible alone. */
export const caseSeed = (seed: string, i: number): string => `${seed}:${i}`;

export function runCampaign(o: CampaignOptions): CampaignResult {
  const keep = o.keep ?? 20;
  const res: CampaignResult = { total: 0, agreed: 0, disagreements: [], rejected: [], vmInsns: 0 };
  const start = o.start ?? 0;
  for (let i = start; i < start + o.count; i++) {
    const c = generateCase(caseSeed(o.seed, i), o.generator);
    res.total++;
    const k = runInKernel(c);
    if (!k.accepted) {
      res.rejected.push({ seed: c.seed, errnoName: k.errnoName, lastErrorLine: oracle.lastErrorLine(k.log), log: res.rejected.length < keep ? k.log : '' });
    } else {
      const v = runInVm(c);
      const diffs = differences(k, v);
      if (diffs.length === 0) {
        res.agreed++;
        if (v.ok) res.vmInsns += v.insns;
      } else {
        if (res.disagreements.length < keep) {
          const listing = kernelListing(kernelLog(c, 2));
          res.disagreements.push({ seed: c.seed, diffs, jest: formatJestCase(c, k, v, diffs, listing) });
        }
      }
    }
    o.onCase?.(i - start, res);
  }
  return res;
}

/** Disagreements counted beyond the kept ones. */
export const disagreementCount = (r: CampaignResult): number => r.total - r.agreed - r.rejected.length;
