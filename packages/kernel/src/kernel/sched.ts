/**
 * Simulated CPUs. Every program run is placed on one CPU, chosen by the seeded
 * scheduler (stream "sched") unless the caller pins it, as
 * BPF_F_TEST_RUN_ON_CPU does. The CPU a run is on is what
 * bpf_get_smp_processor_id returns and which copy of a per-CPU value it sees.
 */
import type { RngStream } from './rng';

export class Scheduler {
  private cur = 0;
  constructor(readonly cpus: number, private readonly rng: RngStream) {
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 4096) throw new RangeError(`sched: cpus must be 1..4096, got ${cpus}`);
  }

  /** The CPU the running (or last) program is on. */
  get current(): number {
    return this.cur;
  }

  /** Place the next run: `pin` when given, else a seeded choice. Returns the CPU. */
  place(pin?: number): number {
    if (pin !== undefined) {
      if (!Number.isInteger(pin) || pin < 0 || pin >= this.cpus) throw new RangeError(`sched: no CPU ${pin} (have ${this.cpus})`);
      this.cur = pin;
    } else {
      this.cur = this.cpus === 1 ? 0 : this.rng.below(this.cpus);
    }
    return this.cur;
  }
}
