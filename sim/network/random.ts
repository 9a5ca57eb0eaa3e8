/**
 * The simulator's random source for per-packet loss draws: a 32-bit xorshift-multiply
 * generator (mulberry32) seeded from any string or number by FNV-1a. It is much cheaper
 * per draw than the project's alea stream (flash/rng.ts), which matters at millions of
 * packets per second; the same seed always gives the same draws.
 */
export class FastRandom {
  private state: number;

  constructor(seed: string | number) {
    let h = 0x811c9dc5;
    const s = String(seed);
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    this.state = h >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
