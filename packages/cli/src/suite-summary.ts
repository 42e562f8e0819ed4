/**
 * The closing summary of `bpfsim test` (what `npm start` ends with): what
 * was compared across the suite, counted from the replays themselves, in a
 * few lines that fit on one screen.
 */
import type { ReplayResult } from '@bpfsim/scenario';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Counts gathered scenario by scenario; lines() renders them. */
export class SuiteTally {
  private scenarios = 0;
  private accepted = 0;
  private refused = 0;
  private events = new Map<string, number>();
  private expects = new Map<string, number>();
  private packets = 0;
  private insns = 0n;

  add(r: ReplayResult): void {
    this.scenarios++;
    for (const v of r.world.verdicts.values()) v.accepted ? this.accepted++ : this.refused++;
    for (const e of r.trace) {
      const o = e.outcome as Record<string, unknown>;
      if (o.kind === 'load') continue;
      const kind = String(o.kind);
      this.events.set(kind, (this.events.get(kind) ?? 0) + 1);
      if (o.kind === 'run' && typeof o.data_in === 'string') this.packets++;
      for (const x of e.effects) {
        const f = x as Record<string, unknown>;
        if (f.kind === 'prog_run' && f.insns !== undefined) this.insns += BigInt(String(f.insns));
      }
    }
    for (const x of r.loaded.scenario.expect ?? []) this.expects.set(x.kind, (this.expects.get(x.kind) ?? 0) + 1);
  }

  /** The summary, or nothing when fewer than two scenarios ran (one scenario's own report says it all). */
  lines(goldenCompared: boolean): string[] {
    if (this.scenarios < 2) return [];
    const list = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `${n} ${k}`).join(', ');
    const nEvents = [...this.events.values()].reduce((a, b) => a + b, 0);
    const nExpects = [...this.expects.values()].reduce((a, b) => a + b, 0);
    return [
      '',
      `What was compared, over ${plural(this.scenarios, 'scenario')}:`,
      `  programs: ${this.accepted + this.refused} loaded through the verifier: ${this.accepted} accepted, ${this.refused} refused (each refusal must be expected, with its errno and final log line)`,
      `  events:   ${nEvents} carried out (${list(this.events)}); ${plural(this.packets, 'packet')} test-run; ${this.insns} BPF instructions executed`,
      `  expectations: ${nExpects} checked against the simulated kernel's state (${list(this.expects)})`,
      goldenCompared
        ? '  traces:   every event\'s outcome and kernel records compared byte for byte with the golden <name>.trace.json'
        : '  traces:   golden <name>.trace.json written from this run (--update), not compared',
      '',
    ];
  }
}
