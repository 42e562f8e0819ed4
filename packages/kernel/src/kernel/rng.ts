/**
 * Named random streams. Each consumer asks for its own stream by name; a
 * stream's numbers depend only on (seed, name), so adding a consumer never
 * shifts the numbers another one sees. Backed by seedrandom's alea.
 */
import seedrandom from 'seedrandom';

export class RngStream {
  private readonly prng: seedrandom.PRNG;
  constructor(readonly name: string, seed: string) {
    this.prng = seedrandom.alea(`${seed}\u0000${name}`);
  }
  /** Uniform u32. */
  u32(): number {
    return this.prng.int32() >>> 0;
  }
  /** Uniform u64 as a bigint. */
  u64(): bigint {
    const hi = BigInt(this.u32());
    return (hi << 32n) | BigInt(this.u32());
  }
  /** Uniform integer in [0, n) for n in [1, 2^32]. */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`rng ${this.name}: bad bound ${n}`);
    // Rejection sampling keeps the result exactly uniform.
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }
  /** Uniform float in [0, 1). */
  float(): number {
    return this.prng.double();
  }
}

export class Rng {
  private readonly streams = new Map<string, RngStream>();
  constructor(readonly seed: string) {}
  /** The stream called `name`, created on first use. */
  stream(name: string): RngStream {
    let s = this.streams.get(name);
    if (!s) {
      s = new RngStream(name, this.seed);
      this.streams.set(name, s);
    }
    return s;
  }
}
