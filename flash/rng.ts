/**
 * One seeded random source for everything (ARCHITECTURE.md "Determinism").
 *
 * JavaScript randomness comes from seedrandom's `alea`, which is fast and has a
 * well-defined state; TensorFlow.js initialisers and sampling take explicit integer
 * seeds drawn from the same stream (`tfSeed()`), so one run seed fixes every number.
 * `fork(label)` derives an independent child stream whose seed depends only on the
 * parent seed and the label, so adding a consumer elsewhere does not shift the others.
 */
import seedrandom from "seedrandom";

export class Rng {
  private readonly prng: seedrandom.PRNG;
  private spareNormal: number | undefined;

  /** @param seed any string or number; the same seed gives the same stream. */
  constructor(readonly seed: string | number) {
    this.prng = seedrandom.alea(String(seed));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.prng();
  }

  /** Integer uniform in [lo, hi). */
  int(lo: number, hi: number): number {
    if (!(hi > lo)) throw new RangeError(`Rng.int: expected hi > lo, got [${lo}, ${hi})`);
    return lo + Math.floor((hi - lo) * this.prng());
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.prng();
    const v = this.prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** A seed for a TensorFlow.js initialiser or sampler: an integer in [0, 2^31). */
  tfSeed(): number {
    return Math.floor(this.prng() * 2147483647);
  }

  /** A child stream determined by this stream's seed and `label` only. */
  fork(label: string | number): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng() * (i + 1));
      const t = xs[i];
      xs[i] = xs[j];
      xs[j] = t;
    }
    return xs;
  }

  /** One element uniformly; throws on an empty array. */
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError("Rng.pick: empty array");
    return xs[Math.floor(this.prng() * xs.length)];
  }
}
