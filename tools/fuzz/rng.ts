/** A seeded random source for the generator (seedrandom), with the picks the generator needs. */
import seedrandom from 'seedrandom';

export class Rng {
  private readonly prng: seedrandom.PRNG;
  constructor(seed: string) {
    this.prng = seedrandom(seed);
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.prng.double() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.prng.double() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)];
  }

  /** A key of `weights` drawn with probability proportional to its weight (keys in insertion order). */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let x = this.prng.double() * total;
    for (const [k, w] of entries) {
      if ((x -= w) < 0) return k;
    }
    return entries[entries.length - 1][0];
  }

  u32(): number {
    return this.prng.int32() >>> 0;
  }

  s32(): number {
    return this.prng.int32();
  }

  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }
}
