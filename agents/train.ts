/**
 * The training loop: runs an off- or on-policy agent on one or several environments
 * for a number of environment steps, with SB3's ordering of collection, training
 * and schedule updates, and returns the finished episodes' returns.
 */
import type { Env } from "../envs/env.js";
import { ValueError } from "../flash/errors.js";
import { checkObs, checkPositiveInt, checkReward } from "./checks.js";
import type { Algorithm, OffPolicyAlgorithm, OnPolicyAlgorithm } from "./types.js";

export interface TrainProgress {
  timesteps: number;
  totalTimesteps: number;
  episodes: number;
  /** Mean return of the last (up to) 10 finished episodes; NaN before the first. */
  recentMeanReturn: number;
  /** Every finished episode's return so far (read only; the trainer's own list). */
  returns: readonly number[];
  updates: number;
  lastLoss: number;
  seconds: number;
}

export interface TrainOptions {
  /** Environment steps in total (summed over envs, as SB3's total_timesteps). */
  totalTimesteps: number;
  /** Seed for the first reset of env i is `seed + i`; later resets continue the env's own stream. */
  seed?: number;
  /** Called every `progressEvery` steps and at the end. */
  onProgress?: (p: TrainProgress) => void;
  progressEvery?: number;
  /**
   * Asked right after each `onProgress` call: true ends training there (a reference run
   * trained until its curve plateaus). Schedules still span `totalTimesteps`; the result's
   * `timesteps` is the steps actually taken.
   */
  stopWhen?: (p: TrainProgress) => boolean;
  /** Context id of an environment for the extra-input hook (extra.ts); default 0. */
  contextId?: (env: Env, index: number) => number;
  /**
   * Called after every environment step with the observation the action was taken in,
   * the action sent to the env and the raw reward (e.g. FLASH's episode recorder,
   * agents/flash-conditioning.ts). Observations are passed as copies the callee may keep.
   */
  onTransition?: (t: Transition) => void;
  /**
   * Called after every training phase (off-policy: each `train(gradientSteps)`; on-policy:
   * each rollout's epochs), as SB3's callbacks see `_on_rollout_end`/training. FLASH's
   * conditioner invalidates its cached embeddings here (`FlashConditioner.afterUpdate`).
   */
  afterTrain?: () => void;
  /**
   * Off-policy: steps already taken by earlier `train` calls of the same run (default 0).
   * Learning starts, `collectAction`'s step count and the schedules then continue where
   * they left off, as SB3's `learn(reset_num_timesteps=False)` does; a run that trains
   * one episode per call (FLASH pretraining over a pool) keeps one exploration schedule.
   */
  timestepOffset?: number;
  /** Off-policy: the steps the schedules span (default `timestepOffset + totalTimesteps`). */
  scheduleTimesteps?: number;
}

/** One environment step as seen by `TrainOptions.onTransition`. */
export interface Transition {
  env: Env;
  /** Index of the env in the list given to `train`. */
  index: number;
  obs: Float32Array;
  /** The action passed to `env.step` (discrete: one element holding the index). */
  action: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

export interface TrainResult {
  episodeReturns: number[];
  episodeLengths: number[];
  /** Index (in the env list given to `train`) of the env of each finished episode. */
  episodeEnvs: number[];
  timesteps: number;
  /** Gradient updates (off-policy) or minibatch updates (on-policy). */
  updates: number;
  seconds: number;
}

class EpisodeTracker {
  readonly returns: number[] = [];
  readonly lengths: number[] = [];
  readonly envs: number[] = [];
  private readonly cur: Float64Array;
  private readonly len: Int32Array;
  constructor(n: number) {
    this.cur = new Float64Array(n);
    this.len = new Int32Array(n);
  }
  step(i: number, r: number, done: boolean): void {
    this.cur[i] += r;
    this.len[i]++;
    if (done) {
      this.returns.push(this.cur[i]);
      this.lengths.push(this.len[i]);
      this.envs.push(i);
      this.cur[i] = 0;
      this.len[i] = 0;
    }
  }
  recentMean(): number {
    const xs = this.returns.slice(-10);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
  }
}

/** What `TrainOptions.onProgress` sees after `t` of `total` steps (t0: the start, `performance.now()`). */
function progressOf(t: number, total: number, eps: EpisodeTracker, updates: number, lastLoss: number, t0: number): TrainProgress {
  return {
    timesteps: t,
    totalTimesteps: total,
    episodes: eps.returns.length,
    recentMeanReturn: eps.recentMean(),
    returns: eps.returns,
    updates,
    lastLoss,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Train `agent` on `envs` (one env for off-policy agents). */
export function train(agent: Algorithm, envs: Env | Env[], opts: TrainOptions): TrainResult {
  const list = Array.isArray(envs) ? envs : [envs];
  if (list.length === 0) throw new ValueError("train: expected at least one environment");
  checkPositiveInt("totalTimesteps", opts.totalTimesteps);
  for (const e of list) {
    if (e.observationSpace.shape[0] !== agent.obsDim) {
      throw new ValueError(`train: env ${e.id} has observations of ${e.observationSpace.shape[0]} numbers, the ${agent.algo} agent expects ${agent.obsDim}`);
    }
    if (e.actionSpace.kind !== agent.actionSpace.kind)
      throw new ValueError(`train: env ${e.id} has a ${e.actionSpace.kind} action space, the agent a ${agent.actionSpace.kind} one`);
  }
  return agent.kind === "off-policy" ? trainOffPolicy(agent, list, opts) : trainOnPolicy(agent, list, opts);
}

function stepChecked(env: Env, action: Float32Array, obsDim: number) {
  const r = env.step(action);
  checkObs(`${env.id} step observation`, r.observation, obsDim);
  checkReward(`${env.id} step reward`, r.reward);
  return r;
}

function trainOffPolicy(agent: OffPolicyAlgorithm, envs: Env[], opts: TrainOptions): TrainResult {
  if (envs.length !== 1) throw new ValueError(`train: off-policy ${agent.algo} runs on one environment, got ${envs.length}`);
  const env = envs[0];
  const total = opts.totalTimesteps;
  const offset = opts.timestepOffset ?? 0;
  const span = opts.scheduleTimesteps ?? offset + total;
  if (!(Number.isInteger(offset) && offset >= 0)) throw new ValueError(`train: timestepOffset must be a non-negative integer, got ${offset}`);
  if (!(span >= offset + total)) throw new ValueError(`train: scheduleTimesteps (${span}) must cover timestepOffset + totalTimesteps (${offset + total})`);
  const every = opts.progressEvery ?? Math.max(1, Math.floor(total / 20));
  const ctx = opts.contextId?.(env, 0) ?? 0;
  const t0 = performance.now();
  const eps = new EpisodeTracker(1);
  let obs = Float32Array.from(env.reset(opts.seed));
  checkObs(`${env.id} reset observation`, obs, agent.obsDim);
  let updates = 0;
  let lastLoss = NaN;
  let sinceTrain = 0;
  /** onProgress, then stopWhen: true when training should end here. */
  const report = (t: number): boolean => {
    const p = progressOf(t, total, eps, updates, lastLoss, t0);
    opts.onProgress?.(p);
    return opts.stopWhen?.(p) === true;
  };
  let taken = 0;
  for (let t = 1; t <= total; t++) {
    taken = t;
    const a = agent.collectAction(obs, offset + t - 1, ctx);
    const r = stepChecked(env, a.env, agent.obsDim);
    agent.store(obs, r.observation, a.buffer, r.reward, r.terminated, ctx);
    opts.onTransition?.({ env, index: 0, obs, action: a.env, reward: r.reward, terminated: r.terminated, truncated: r.truncated });
    const done = r.terminated || r.truncated;
    eps.step(0, r.reward, done);
    agent.onStep(offset + t, 1 - (offset + t) / span);
    if (done) {
      agent.onEpisodeEnd();
      obs = Float32Array.from(env.reset());
      checkObs(`${env.id} reset observation`, obs, agent.obsDim);
    } else {
      obs = Float32Array.from(r.observation);
    }
    sinceTrain++;
    if (sinceTrain >= agent.trainFreq) {
      // SB3 trains after each collection phase once past learning_starts.
      if (offset + t > agent.learningStarts) {
        const g = agent.gradientSteps >= 0 ? agent.gradientSteps : sinceTrain;
        if (g > 0) {
          lastLoss = agent.train(g, 1 - (offset + t) / span);
          opts.afterTrain?.();
          updates += g;
        }
      }
      sinceTrain = 0;
    }
    if ((t % every === 0 || t === total) && report(t)) break;
  }
  return {
    episodeReturns: eps.returns,
    episodeLengths: eps.lengths,
    episodeEnvs: eps.envs,
    timesteps: taken,
    updates,
    seconds: (performance.now() - t0) / 1000,
  };
}

function trainOnPolicy(agent: OnPolicyAlgorithm, envs: Env[], opts: TrainOptions): TrainResult {
  const n = envs.length;
  const d = agent.obsDim;
  const perRollout = agent.nSteps * n;
  const total = opts.totalTimesteps;
  const every = opts.progressEvery ?? Math.max(perRollout, Math.floor(total / 20));
  const t0 = performance.now();
  const eps = new EpisodeTracker(n);
  const ctx = Int32Array.from(envs, (e, i) => opts.contextId?.(e, i) ?? 0);
  const obs = new Float32Array(n * d);
  envs.forEach((e, i) => {
    const o = e.reset(opts.seed === undefined ? undefined : opts.seed + i);
    checkObs(`${e.id} reset observation`, o, d);
    obs.set(o, i * d);
  });
  // SB3 starts with _last_episode_starts = ones.
  let episodeStarts = new Uint8Array(n).fill(1);
  const rewards = new Float32Array(n);
  const dones = new Uint8Array(n);
  const termObs = new Float32Array(n * d);
  const truncIdx: number[] = [];
  let t = 0;
  let updates = 0;
  let lastLoss = NaN;
  let nextReport = every;
  agent.startRollouts(n);
  while (t < total) {
    for (let s = 0; s < agent.nSteps; s++) {
      const actions = agent.act(obs, ctx);
      truncIdx.length = 0;
      for (let i = 0; i < n; i++) {
        const r = stepChecked(envs[i], actions[i], d);
        opts.onTransition?.({
          env: envs[i],
          index: i,
          obs: obs.slice(i * d, (i + 1) * d),
          action: actions[i],
          reward: r.reward,
          terminated: r.terminated,
          truncated: r.truncated,
        });
        rewards[i] = r.reward;
        const done = r.terminated || r.truncated;
        dones[i] = done ? 1 : 0;
        eps.step(i, r.reward, done);
        if (done) {
          if (r.truncated && !r.terminated) {
            termObs.set(r.observation, i * d);
            truncIdx.push(i);
          }
          const o = envs[i].reset();
          checkObs(`${envs[i].id} reset observation`, o, d);
          obs.set(o, i * d);
        } else {
          obs.set(r.observation, i * d);
        }
      }
      if (truncIdx.length > 0) {
        // SB3: rewards[idx] += gamma * V(terminal_observation) on a time-limit cut.
        const v = agent.values(termObs, ctx);
        for (const i of truncIdx) rewards[i] += agent.gamma * v[i];
      }
      agent.record(rewards, episodeStarts);
      episodeStarts = Uint8Array.from(dones);
      t += n;
    }
    agent.finishRollout(agent.values(obs, ctx), dones);
    const tr = agent.train(1 - t / total);
    opts.afterTrain?.();
    lastLoss = tr.loss;
    updates += tr.updates;
    if (t >= nextReport || t >= total) {
      const p = progressOf(t, total, eps, updates, lastLoss, t0);
      opts.onProgress?.(p);
      nextReport += every;
      if (opts.stopWhen?.(p)) break;
    }
  }
  return { episodeReturns: eps.returns, episodeLengths: eps.lengths, episodeEnvs: eps.envs, timesteps: t, updates, seconds: (performance.now() - t0) / 1000 };
}
