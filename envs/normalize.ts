/**
 * Observation and reward normalisation with running statistics, as Stable-Baselines3's
 * `VecNormalize` (the rl-baselines3-zoo's `normalize: True`): an environment wrapper.
 *
 * ## Description
 * Observations become `clip((obs - mean) / sqrt(var + eps), -clipObs, clipObs)` with the
 * running mean and variance of every observation seen while training (reset ones too).
 * Rewards become `clip(r / sqrt(var_ret + eps), -clipReward, clipReward)` where var_ret
 * is the running variance of each environment's discounted return
 * `ret = ret * gamma + r` (reset to 0 when an episode ends). The statistics live in a
 * `NormalizeStats` shared by every wrapped copy of an environment (SB3 keeps one per
 * VecEnv); `stats.training = false` freezes them, and an evaluation wrapper made with
 * `normalizeReward: false` returns raw rewards, as SB3's evaluation does.
 *
 * ## Differences from SB3
 * Our training loop steps environments one at a time, so the statistics are updated one
 * observation at a time rather than one batch of n at a time. The running moments are
 * the same (Chan et al.'s combination is exact); a reward is scaled by the return
 * variance that includes the returns of the environments stepped before it in the same
 * round, where SB3 uses the whole round's.
 *
 * ## Spaces, reward, episode end
 * The observation space is the inner one's shape with bounds +/-clipObs; the action
 * space, episode limit and termination are the inner environment's.
 */
import { box, type BoxSpace, type Env, type Space, type StepResult } from "./env.js";

/** Running mean and variance (SB3's RunningMeanStd: count starts at 1e-4). */
export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count = 1e-4;

  constructor(dim: number) {
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
  }

  /** Fold in one sample (length dim). */
  update(x: ArrayLike<number>): void {
    const total = this.count + 1;
    for (let i = 0; i < this.mean.length; i++) {
      const delta = x[i] - this.mean[i];
      const m2 = this.var[i] * this.count + (delta * delta * this.count) / total;
      this.mean[i] += delta / total;
      this.var[i] = m2 / total;
    }
    this.count = total;
  }
}

export interface NormalizeOptions {
  /** Discount of the return whose spread scales rewards (the zoo passes the agent's gamma). */
  gamma?: number;
  clipObs?: number;
  clipReward?: number;
  epsilon?: number;
}

/** Statistics shared by all wrapped copies of one environment. */
export class NormalizeStats {
  readonly obs: RunningMeanStd;
  readonly ret = new RunningMeanStd(1);
  /** Update the statistics (training) or keep them frozen (evaluation). */
  training = true;
  readonly gamma: number;
  readonly clipObs: number;
  readonly clipReward: number;
  readonly epsilon: number;

  constructor(obsDim: number, opts: NormalizeOptions = {}) {
    this.obs = new RunningMeanStd(obsDim);
    this.gamma = opts.gamma ?? 0.99;
    this.clipObs = opts.clipObs ?? 10;
    this.clipReward = opts.clipReward ?? 10;
    this.epsilon = opts.epsilon ?? 1e-8;
    for (const [k, v] of Object.entries({ gamma: this.gamma, clipObs: this.clipObs, clipReward: this.clipReward, epsilon: this.epsilon })) {
      if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`NormalizeStats ${k}: expected a positive number, got ${v}`);
    }
  }

  normalizeObs(obs: Float32Array): Float32Array {
    const out = new Float32Array(obs.length);
    for (let i = 0; i < obs.length; i++) {
      const z = (obs[i] - this.obs.mean[i]) / Math.sqrt(this.obs.var[i] + this.epsilon);
      out[i] = Math.min(this.clipObs, Math.max(-this.clipObs, z));
    }
    return out;
  }

  normalizeReward(r: number): number {
    return Math.min(this.clipReward, Math.max(-this.clipReward, r / Math.sqrt(this.ret.var[0] + this.epsilon)));
  }
}

/** `inner` with normalised observations (and rewards, unless `normalizeReward` is false). */
export class NormalizedEnv implements Env {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  readonly maxEpisodeSteps: number;
  /** The inner environment's pair, when it has one (FLASH keys data by it). */
  readonly pair?: string;
  private ret = 0;

  constructor(
    readonly inner: Env,
    readonly stats: NormalizeStats,
    private readonly opts: { normalizeReward?: boolean } = {},
  ) {
    const dim = inner.observationSpace.shape[0];
    if (stats.obs.mean.length !== dim)
      throw new RangeError(`NormalizedEnv: statistics of ${stats.obs.mean.length} observation dims for ${inner.id}, which has ${dim}`);
    this.id = inner.id;
    this.observationSpace = box(new Array(dim).fill(-stats.clipObs), new Array(dim).fill(stats.clipObs));
    this.actionSpace = inner.actionSpace;
    this.maxEpisodeSteps = inner.maxEpisodeSteps;
    const pair = (inner as { pair?: unknown }).pair;
    if (typeof pair === "string") this.pair = pair;
  }

  reset(seed?: number): Float32Array {
    const obs = this.inner.reset(seed);
    this.ret = 0;
    if (this.stats.training) this.stats.obs.update(obs);
    return this.stats.normalizeObs(obs);
  }

  step(action: Float32Array | number[]): StepResult {
    const r = this.inner.step(action);
    if (this.stats.training) this.stats.obs.update(r.observation);
    let reward = r.reward;
    if (this.opts.normalizeReward ?? true) {
      this.ret = this.ret * this.stats.gamma + r.reward;
      if (this.stats.training) this.stats.ret.update([this.ret]);
      reward = this.stats.normalizeReward(r.reward);
    }
    if (r.terminated || r.truncated) this.ret = 0;
    return { ...r, observation: this.stats.normalizeObs(r.observation), reward, info: { ...r.info, rawReward: r.reward } };
  }
}
