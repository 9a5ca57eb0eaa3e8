/**
 * Exploration noise added to a deterministic actor's action in the scaled [-1, 1]
 * action space (SB3's ActionNoise classes), drawn from the agent's seeded Rng.
 */
import { Rng } from "../flash/rng.js";

export interface ActionNoise {
  /** One noise vector (fresh array). */
  sample(): Float32Array;
  /** Called at episode ends (OU restarts from its initial value). */
  reset(): void;
}

export type NoiseSpec = { type: "normal"; sigma: number } | { type: "ornstein-uhlenbeck"; sigma: number; theta?: number; dt?: number } | { type: "none" };

/** N(0, sigma^2) per dimension, independent across steps. */
export class NormalActionNoise implements ActionNoise {
  constructor(
    private readonly dim: number,
    private readonly sigma: number,
    private readonly rng: Rng,
  ) {}
  sample(): Float32Array {
    const out = new Float32Array(this.dim);
    for (let i = 0; i < this.dim; i++) out[i] = this.rng.normal(0, this.sigma);
    return out;
  }
  reset(): void {}
}

/** Ornstein-Uhlenbeck process (SB3 defaults theta 0.15, dt 1e-2, mean 0, x0 = 0). */
export class OrnsteinUhlenbeckActionNoise implements ActionNoise {
  private readonly x: Float64Array;
  constructor(
    private readonly dim: number,
    private readonly sigma: number,
    private readonly rng: Rng,
    private readonly theta = 0.15,
    private readonly dt = 1e-2,
  ) {
    this.x = new Float64Array(dim);
  }
  sample(): Float32Array {
    const out = new Float32Array(this.dim);
    for (let i = 0; i < this.dim; i++) {
      this.x[i] += -this.theta * this.x[i] * this.dt + this.sigma * Math.sqrt(this.dt) * this.rng.normal();
      out[i] = this.x[i];
    }
    return out;
  }
  reset(): void {
    this.x.fill(0);
  }
}

export function makeNoise(spec: NoiseSpec, dim: number, rng: Rng): ActionNoise | undefined {
  switch (spec.type) {
    case "normal":
      return new NormalActionNoise(dim, spec.sigma, rng);
    case "ornstein-uhlenbeck":
      return new OrnsteinUhlenbeckActionNoise(dim, spec.sigma, rng, spec.theta, spec.dt);
    case "none":
      return undefined;
  }
}
