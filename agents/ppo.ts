/**
 * PPO (Schulman et al. 2017) with Stable-Baselines3's semantics.
 *
 * Follows SB3 in: hyper-parameter names and defaults (SB3_PPO_DEFAULTS); n_steps
 * rollouts over n_envs environments stepped together; GAE(lambda); advantages
 * normalised per minibatch; clipped surrogate; no value clipping unless
 * clip_range_vf is set; loss = policy + ent_coef * (-entropy) + vf_coef * value MSE;
 * n_epochs of shuffled minibatches; gradient clipping at max_grad_norm; Adam eps 1e-5;
 * learning_rate and clip_range schedules on progress remaining; separate pi and vf
 * MLPs (net_arch pi [64, 64], vf [64, 64], tanh) with orthogonal init (gains sqrt 2,
 * 0.01 for the action head, 1 for the value head); a diagonal Gaussian with a
 * state-independent log_std (log_std_init 0) for Box actions, the unclipped sample
 * stored and the clipped one sent to the env; a categorical for Discrete; on
 * truncation reward += gamma * V(terminal obs).
 * gSDE (use_sde, Raffin et al. 2021; SB3's StateDependentNoiseDistribution with its
 * PPO defaults full_std True, use_expln False, learn_features False, squash_output
 * False): log_std is a [latent_dim, action_dim] matrix (log_std_init everywhere), the
 * latent is the pi net's last hidden layer; per env an exploration matrix is drawn from
 * N(0, exp(log_std)) at the start of every rollout and every sde_sample_freq steps
 * (> 0) of it; action = mean + latent @ matrix; log_prob and entropy are those of
 * Normal(mean, sqrt((latent^2) @ std^2 + 1e-6)) with the latent detached.
 * Differs: no target_kl early stop, action sampling with our seeded Rng in JavaScript;
 * gSDE: only full_std True, and SB3's extra reset_noise(batch_size) per minibatch in
 * train() is skipped (it draws noise that the loss never uses); a stochastic predict()
 * uses one matrix drawn at construction (SB3: the policy's single exploration_mat).
 */
import * as tf from "@tensorflow/tfjs";
import type { BoxSpace, Space } from "../envs/env.js";
import { Rng } from "../flash/rng.js";
import { ValueError } from "../flash/errors.js";
import { loadCheckpoint, saveCheckpoint } from "../flash/checkpoint.js";
import { checkObs, checkPositiveInt } from "./checks.js";
import { type ExtraInput, extraDim, extraVariables, withExtra } from "./extra.js";
import { type Activation, Mlp, dense } from "./mlp.js";
import { type AgentOptimizer, adam, minimize, setLearningRate } from "./optim.js";
import { RolloutBuffer } from "./rollout.js";
import { type Schedule, type ScheduleLike, linearToZero, toSchedule } from "./schedule.js";
import type { AgentOptions } from "./ddpg.js";
import type { ActOptions, OnPolicyAlgorithm } from "./types.js";

/** PPO hyper-parameters; each names its SB3 counterpart (stable_baselines3.PPO). */
export interface PPOConfig {
  /** Adam learning rate (eps 1e-5): a constant or a schedule of the progress remaining, 1 -> 0 (SB3 learning_rate). */
  learningRate: ScheduleLike;
  /** Env steps per environment in each rollout; a rollout holds nSteps x nEnvs transitions (SB3 n_steps). */
  nSteps: number;
  /** Transitions per minibatch of the surrogate loss (SB3 batch_size). */
  batchSize: number;
  /** Passes over each rollout, in shuffled minibatches (SB3 n_epochs). */
  nEpochs: number;
  /** Discount factor (SB3 gamma). */
  gamma: number;
  /** GAE lambda: trade-off between bias (0, one-step TD) and variance (1, Monte Carlo) of the advantage (SB3 gae_lambda). */
  gaeLambda: number;
  /** Clip range of the probability ratio in the surrogate loss: a constant or a schedule of the progress remaining (SB3 clip_range). */
  clipRange: ScheduleLike;
  /** Clip range of the value change against the rollout's values; null: no value clipping (SB3 clip_range_vf, default None). */
  clipRangeVf: number | null;
  /** Normalise advantages to zero mean and unit std within each minibatch (SB3 normalize_advantage). */
  normalizeAdvantage: boolean;
  /** Weight of the entropy bonus in the loss (SB3 ent_coef). */
  entCoef: number;
  /** Weight of the value loss in the loss (SB3 vf_coef). */
  vfCoef: number;
  /** Global-norm clip of the gradient over all parameters (SB3 max_grad_norm). */
  maxGradNorm: number;
  /** Hidden layer sizes of the separate policy (pi) and value (vf) networks (SB3 policy_kwargs net_arch=dict(pi, vf)). */
  netArch: { pi: number[]; vf: number[] };
  /** Activation of the hidden layers (SB3 policy_kwargs activation_fn; tanh by default). */
  activation: Activation;
  /** Orthogonal initialisation (gains sqrt 2, 0.01 for the action head, 1 for the value head) instead of PyTorch's default (SB3 ortho_init). */
  orthoInit: boolean;
  /** Initial log standard deviation of the Gaussian policy (Box actions; SB3 log_std_init). */
  logStdInit: number;
  /** Generalised state-dependent exploration instead of independent Gaussian noise; Box actions only (SB3 use_sde). */
  useSde: boolean;
  /** Redraw gSDE's exploration matrices every this many steps; -1: once per rollout (SB3 sde_sample_freq). */
  sdeSampleFreq: number;
}

/** SB3 PPO's constructor defaults (stable_baselines3/ppo/ppo.py and ActorCriticPolicy, v2.x). */
export const SB3_PPO_DEFAULTS: PPOConfig = {
  learningRate: 3e-4,
  nSteps: 2048,
  batchSize: 64,
  nEpochs: 10,
  gamma: 0.99,
  gaeLambda: 0.95,
  clipRange: 0.2,
  clipRangeVf: null,
  normalizeAdvantage: true,
  entCoef: 0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  netArch: { pi: [64, 64], vf: [64, 64] },
  activation: "tanh",
  orthoInit: true,
  logStdInit: 0,
  useSde: false,
  sdeSampleFreq: -1,
};

/**
 * Aurora's PPO, FLASH paper Table 12: learning rate 3e-4, gamma 0.99, GAE lambda 0.95,
 * clip 0.2, entropy coefficient 0.005, value coefficient 0.5, 2048-step rollouts; policy
 * and value MLPs of 32 and 16 tanh units (Aurora's network). The table does not state
 * the minibatch size and epochs: SB3's 64 and 10. The congestion task's profiles start
 * from this block (experiments/tasks/congestion.ts) and state what they scale.
 */
export const AURORA_PPO_DEFAULTS: PPOConfig = {
  ...SB3_PPO_DEFAULTS,
  learningRate: 3e-4,
  nSteps: 2048,
  batchSize: 64,
  nEpochs: 10,
  gamma: 0.99,
  gaeLambda: 0.95,
  clipRange: 0.2,
  entCoef: 0.005,
  vfCoef: 0.5,
  netArch: { pi: [32, 16], vf: [32, 16] },
};

/** rl-baselines3-zoo hyperparams/ppo.yml, CartPole-v1 (lin_ = linear to zero). */
export const ZOO_PPO_CARTPOLE: { nTimesteps: number; nEnvs: number; config: PPOConfig } = {
  nTimesteps: 100_000,
  nEnvs: 8,
  config: {
    ...SB3_PPO_DEFAULTS,
    nSteps: 32,
    batchSize: 256,
    gaeLambda: 0.8,
    gamma: 0.98,
    nEpochs: 20,
    entCoef: 0,
    learningRate: linearToZero(1e-3),
    clipRange: linearToZero(0.2),
  },
};

/**
 * rl-baselines3-zoo hyperparams/ppo.yml, Pendulum-v1: n_envs 4, n_steps 1024,
 * gae_lambda 0.95, gamma 0.9, n_epochs 10, ent_coef 0, lr 1e-3, clip 0.2, 1e5 steps,
 * normalize True (observations and rewards: envs/normalize.ts, applied by the caller),
 * use_sde True, sde_sample_freq 4; no policy_kwargs, so SB3's log_std_init 0.
 */
export const ZOO_PPO_PENDULUM: { nTimesteps: number; nEnvs: number; normalize: { gamma: number }; config: PPOConfig } = {
  nTimesteps: 100_000,
  nEnvs: 4,
  /** The zoo's `normalize: True`: observations and rewards through envs/normalize.ts, gamma as the agent's. */
  normalize: { gamma: 0.9 },
  config: {
    ...SB3_PPO_DEFAULTS,
    nSteps: 1024,
    gaeLambda: 0.95,
    gamma: 0.9,
    nEpochs: 10,
    entCoef: 0,
    learningRate: 1e-3,
    clipRange: 0.2,
    useSde: true,
    sdeSampleFreq: 4,
  },
};

const LOG_2PI = Math.log(2 * Math.PI);
/** SB3 StateDependentNoiseDistribution's epsilon added to the variance. */
const SDE_EPS = 1e-6;

/** Identity whose gradient is zero (torch .detach()); TF.js has no stopGradient op. */
const detach = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  void save;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;

export class PPO implements OnPolicyAlgorithm {
  readonly kind = "on-policy" as const;
  readonly algo = "ppo";
  readonly config: PPOConfig;
  readonly obsDim: number;
  readonly actionSpace: Space;
  /** Numbers per stored action: Box dimension, or 1 (the index) for Discrete. */
  readonly actionDim: number;
  /** Outputs of the policy head: Box dimension or number of choices. */
  readonly piOut: number;
  readonly pi: Mlp;
  readonly vf: Mlp;
  /** Box only: the state-independent log standard deviation ([latentDim, actionDim] with gSDE). */
  readonly logStd: tf.Variable | undefined;
  /** gSDE: size of the pi net's last hidden layer (the input size when it has none); 0 without gSDE. */
  readonly latentDim: number;
  /** gSDE: one [latentDim x actionDim] exploration matrix (row-major) per env, and the one predict() uses. */
  private sdeMats: Float32Array[] = [];
  private sdeMat: Float32Array | undefined;
  nUpdates = 0;
  private readonly extra: ExtraInput | undefined;
  private readonly rng: Rng;
  private readonly opt: AgentOptimizer;
  private readonly lr: Schedule;
  private readonly clip: Schedule;
  private buffer: RolloutBuffer | undefined;

  constructor(spaces: { observationSpace: BoxSpace; actionSpace: Space }, config: Partial<PPOConfig> = {}, opts: AgentOptions = {}) {
    this.config = { ...SB3_PPO_DEFAULTS, ...config };
    const c = this.config;
    for (const k of ["nSteps", "batchSize", "nEpochs"] as const) checkPositiveInt(`PPO ${k}`, c[k]);
    this.actionSpace = spaces.actionSpace;
    this.obsDim = spaces.observationSpace.shape[0];
    this.actionDim = this.actionSpace.kind === "box" ? this.actionSpace.shape[0] : 1;
    this.piOut = this.actionSpace.kind === "box" ? this.actionSpace.shape[0] : this.actionSpace.n;
    this.extra = opts.extra;
    this.rng = new Rng(opts.seed ?? 0);
    const netRng = this.rng.fork("init");
    const inDim = this.obsDim + extraDim(this.extra);
    const init = (out: number) => (c.orthoInit ? { kind: "orthogonal" as const, hiddenGain: Math.SQRT2, outputGain: out } : { kind: "torch" as const });
    this.pi = new Mlp({ inputDim: inDim, hidden: c.netArch.pi, outputDim: this.piOut, activation: c.activation, init: init(0.01) }, netRng);
    this.vf = new Mlp({ inputDim: inDim, hidden: c.netArch.vf, outputDim: 1, activation: c.activation, init: init(1) }, netRng);
    if (c.useSde && this.actionSpace.kind !== "box") throw new ValueError("PPO useSde needs a Box action space");
    if (c.useSde && !(Number.isInteger(c.sdeSampleFreq) && (c.sdeSampleFreq > 0 || c.sdeSampleFreq === -1)))
      throw new ValueError(`PPO sdeSampleFreq: expected a positive integer or -1, got ${c.sdeSampleFreq}`);
    this.latentDim = c.useSde ? (c.netArch.pi.length ? c.netArch.pi[c.netArch.pi.length - 1] : inDim) : 0;
    const stdShape = c.useSde ? [this.latentDim, this.piOut] : [this.piOut];
    this.logStd = this.actionSpace.kind === "box" ? tf.variable(tf.fill(stdShape, c.logStdInit), true) : undefined;
    if (c.useSde) this.sdeMat = this.sampleMatrix(this.stds());
    this.lr = toSchedule(c.learningRate);
    this.clip = toSchedule(c.clipRange);
    this.opt = adam(this.lr(1), 1e-5);
  }

  get nSteps(): number {
    return this.config.nSteps;
  }
  get gamma(): number {
    return this.config.gamma;
  }

  private forward(
    obs: Float32Array,
    n: number,
    ctx: Int32Array,
    withValue: boolean,
  ): { head: Float32Array; values: Float32Array | undefined; latent: Float32Array | undefined } {
    return tf.tidy(() => {
      const x = withExtra(tf.tensor2d(obs, [n, this.obsDim]), ctx, this.extra, "act");
      let head: Float32Array;
      let latent: Float32Array | undefined;
      if (this.config.useSde) {
        const p = this.piLatent(x);
        head = p.head.dataSync() as Float32Array;
        latent = p.latent.dataSync() as Float32Array;
      } else {
        head = this.pi.apply(x).dataSync() as Float32Array;
      }
      const values = withValue ? (this.vf.apply(x).dataSync() as Float32Array) : undefined;
      return { head, values, latent };
    });
  }

  /** The pi net's forward pass keeping its last hidden layer (gSDE's latent); same ops as Mlp.apply. Call inside tf.tidy. */
  private piLatent(x: tf.Tensor2D): { latent: tf.Tensor2D; head: tf.Tensor2D } {
    const v = this.pi.variables;
    const n = v.length / 2;
    let h = x;
    for (let i = 0; i + 1 < n; i++) h = dense(h, v[2 * i] as tf.Tensor2D, v[2 * i + 1] as tf.Tensor1D, this.config.activation);
    return { latent: h, head: dense(h, v[2 * n - 2] as tf.Tensor2D, v[2 * n - 1] as tf.Tensor1D, "linear") };
  }

  /**
   * gSDE's log-probability of actions [B, A] and mean entropy, as tensors for the loss:
   * variance = detached latent^2 @ std^2; Normal(mean, sqrt(variance + eps)). Call inside tf.tidy.
   */
  private sdeLogProb(head: tf.Tensor2D, latent: tf.Tensor2D, actions: tf.Tensor2D): { logp: tf.Tensor1D; entropy: tf.Scalar } {
    const variance = tf.matMul(tf.square(detach(latent)), tf.exp(tf.mul(2, this.logStd!)) as tf.Tensor2D);
    const logSigma = tf.mul(0.5, tf.log(tf.add(variance, SDE_EPS)));
    const z = tf.div(tf.sub(actions, head), tf.exp(logSigma));
    const logp = tf.sum(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logSigma), 0.5 * LOG_2PI), 1) as tf.Tensor1D;
    const entropy = tf.mean(tf.sum(tf.add(logSigma, 0.5 + 0.5 * LOG_2PI), 1)) as tf.Scalar;
    return { logp, entropy };
  }

  /** gSDE: an exploration matrix [latentDim x actionDim] from N(0, std) (SB3 sample_weights). */
  private sampleMatrix(stds: Float32Array): Float32Array {
    const m = new Float32Array(stds.length);
    for (let i = 0; i < m.length; i++) m[i] = stds[i] * this.rng.normal();
    return m;
  }

  /** gSDE: redraw one exploration matrix per env (SB3 reset_noise(n_envs)). */
  private resetNoise(nEnvs: number): void {
    const stds = this.stds();
    this.sdeMats = Array.from({ length: nEnvs }, () => this.sampleMatrix(stds));
  }

  /** gSDE: action = mean + latent @ mat; log_prob of Normal(mean, sqrt(latent^2 @ std^2 + eps)). */
  private sdeSampleOf(head: Float32Array, latent: Float32Array, row: number, mat: Float32Array, stds: Float32Array): { action: Float32Array; logProb: number } {
    const k = this.piOut;
    const L = this.latentDim;
    const a = new Float32Array(k);
    let lp = 0;
    for (let j = 0; j < k; j++) {
      let noise = 0;
      let variance = 0;
      for (let l = 0; l < L; l++) {
        const h = latent[row * L + l];
        noise += h * mat[l * k + j];
        variance += h * h * stds[l * k + j] * stds[l * k + j];
      }
      const mean = head[row * k + j];
      a[j] = mean + noise;
      const sigma = Math.sqrt(variance + SDE_EPS);
      const z = (a[j] - mean) / sigma;
      lp += -0.5 * z * z - Math.log(sigma) - 0.5 * LOG_2PI;
    }
    return { action: a, logProb: lp };
  }

  private stds(): Float32Array {
    return Float32Array.from(this.logStd!.dataSync(), Math.exp);
  }

  /** The mean action (Box, clipped to the space) or the most likely choice (Discrete); sampled when not deterministic. */
  predict(obs: ArrayLike<number>, opts: ActOptions = {}): Float32Array {
    checkObs("PPO observation", obs, this.obsDim);
    const { head, latent } = this.forward(Float32Array.from(obs), 1, Int32Array.of(opts.ctx ?? 0), false);
    const stds = this.actionSpace.kind === "box" ? this.stds() : undefined;
    const raw = opts.deterministic
      ? this.modeOf(head, 0)
      : latent
        ? this.sdeSampleOf(head, latent, 0, this.sdeMat!, stds!).action
        : this.sampleOf(head, 0, stds).action;
    return this.toEnv(raw);
  }

  private modeOf(head: Float32Array, row: number): Float32Array {
    const k = this.piOut;
    if (this.actionSpace.kind === "box") return head.slice(row * k, (row + 1) * k);
    let best = 0;
    for (let i = 1; i < k; i++) if (head[row * k + i] > head[row * k + best]) best = i;
    return Float32Array.of(best);
  }

  private sampleOf(head: Float32Array, row: number, stds: Float32Array | undefined): { action: Float32Array; logProb: number } {
    const k = this.piOut;
    if (this.actionSpace.kind === "box") {
      const a = new Float32Array(k);
      let lp = 0;
      for (let i = 0; i < k; i++) {
        const z = this.rng.normal();
        a[i] = head[row * k + i] + stds![i] * z;
        lp += -0.5 * z * z - Math.log(stds![i]) - 0.5 * LOG_2PI;
      }
      return { action: a, logProb: lp };
    }
    let m = -Infinity;
    for (let i = 0; i < k; i++) m = Math.max(m, head[row * k + i]);
    let s = 0;
    for (let i = 0; i < k; i++) s += Math.exp(head[row * k + i] - m);
    const u = this.rng.next() * s;
    let acc = 0;
    let choice = k - 1;
    for (let i = 0; i < k; i++) {
      acc += Math.exp(head[row * k + i] - m);
      if (u < acc) {
        choice = i;
        break;
      }
    }
    return { action: Float32Array.of(choice), logProb: head[row * k + choice] - m - Math.log(s) };
  }

  /** Stored action -> env action (Box: clipped to the bounds, as SB3 does when stepping). */
  private toEnv(a: Float32Array): Float32Array {
    if (this.actionSpace.kind !== "box") return a;
    const { low, high } = this.actionSpace;
    return a.map((v, i) => Math.min(high[i], Math.max(low[i], v)));
  }

  startRollouts(nEnvs: number): void {
    checkPositiveInt("PPO nEnvs", nEnvs);
    this.buffer = new RolloutBuffer(this.config.nSteps, nEnvs, this.obsDim, this.actionDim);
  }

  private buf(): RolloutBuffer {
    if (!this.buffer) throw new ValueError("PPO: startRollouts(nEnvs) must be called before acting");
    return this.buffer;
  }

  act(obs: Float32Array, ctx: Int32Array): Float32Array[] {
    const b = this.buf();
    if (b.full) b.reset();
    const n = b.nEnvs;
    if (obs.length !== n * this.obsDim) throw new ValueError(`PPO act: expected ${n} x ${this.obsDim} observation numbers, got ${obs.length}`);
    for (let i = 0; i < n; i++) checkObs(`PPO observation of env ${i}`, obs.subarray(i * this.obsDim, (i + 1) * this.obsDim), this.obsDim);
    const { head, values, latent } = this.forward(obs, n, ctx, true);
    const stds = this.actionSpace.kind === "box" ? this.stds() : undefined;
    // SB3 collect_rollouts: reset_noise(n_envs) at the rollout's start and every sde_sample_freq steps.
    const f = this.config.sdeSampleFreq;
    if (latent && (b.pos === 0 || (f > 0 && b.pos % f === 0))) this.resetNoise(n);
    const actions = new Float32Array(n * this.actionDim);
    const logProbs = new Float32Array(n);
    const envActions: Float32Array[] = [];
    for (let i = 0; i < n; i++) {
      const s = latent ? this.sdeSampleOf(head, latent, i, this.sdeMats[i], stds!) : this.sampleOf(head, i, stds);
      actions.set(s.action, i * this.actionDim);
      logProbs[i] = s.logProb;
      envActions.push(this.toEnv(s.action));
    }
    b.addPolicyStep(obs, actions, values!, logProbs, ctx);
    return envActions;
  }

  record(rewards: Float32Array, episodeStarts: Uint8Array): void {
    this.buf().setRewards(rewards, episodeStarts);
  }

  values(obs: Float32Array, ctx: Int32Array): Float32Array {
    const n = obs.length / this.obsDim;
    return tf.tidy(() => this.vf.apply(withExtra(tf.tensor2d(obs, [n, this.obsDim]), ctx, this.extra, "act")).dataSync() as Float32Array);
  }

  finishRollout(lastValues: Float32Array, lastDones: Uint8Array): void {
    const b = this.buf();
    if (!b.full) throw new ValueError(`PPO: rollout has ${b.pos} of ${b.nSteps} steps; cannot finish`);
    b.computeReturnsAndAdvantage(lastValues, lastDones, this.config.gamma, this.config.gaeLambda);
  }

  /** n_epochs passes of shuffled minibatches over the finished rollout. */
  train(progressRemaining: number): { loss: number; updates: number } {
    const b = this.buf();
    const c = this.config;
    setLearningRate(this.opt, this.lr(progressRemaining));
    // The last rollout can overshoot total_timesteps (n_envs x n_steps does not divide
    // it), so progress_remaining goes slightly negative and a linear clip schedule with it.
    // SB3's torch.clamp then returns its max for every ratio; clip at 0 is the same up to
    // |epsilon| < 1e-3, and tf.clipByValue refuses min > max.
    const clip = Math.max(0, this.clip(progressRemaining));
    const N = b.size;
    const B = Math.min(c.batchSize, N);
    const d = this.obsDim;
    const ad = this.actionDim;
    const idx = Array.from({ length: N }, (_, i) => i);
    const mObs = new Float32Array(B * d);
    const mAct = new Float32Array(B * ad);
    const mAdv = new Float32Array(B);
    const mRet = new Float32Array(B);
    const mOldLp = new Float32Array(B);
    const mOldV = new Float32Array(B);
    const mCtx = new Int32Array(B);
    const vars = [...this.pi.variables, ...this.vf.variables, ...(this.logStd ? [this.logStd] : []), ...extraVariables(this.extra)];
    let lossSum = 0;
    let updates = 0;
    for (let epoch = 0; epoch < c.nEpochs; epoch++) {
      this.rng.shuffle(idx);
      // SB3 yields minibatches of batch_size; a last partial one is kept.
      for (let start = 0; start < N; start += B) {
        const m = Math.min(B, N - start);
        let mean = 0;
        for (let k = 0; k < m; k++) {
          const i = idx[start + k];
          mObs.set(b.obs.subarray(i * d, (i + 1) * d), k * d);
          mAct.set(b.actions.subarray(i * ad, (i + 1) * ad), k * ad);
          mAdv[k] = b.advantages[i];
          mRet[k] = b.returns[i];
          mOldLp[k] = b.logProbs[i];
          mOldV[k] = b.values[i];
          mCtx[k] = b.ctx[i];
          mean += mAdv[k];
        }
        mean /= m;
        if (c.normalizeAdvantage && m > 1) {
          let v = 0;
          for (let k = 0; k < m; k++) v += (mAdv[k] - mean) ** 2;
          const std = Math.sqrt(v / (m - 1)); // torch .std() is unbiased
          for (let k = 0; k < m; k++) mAdv[k] = (mAdv[k] - mean) / (std + 1e-8);
        }
        lossSum += tf.tidy(() => {
          const obs = tf.tensor2d(mObs.subarray(0, m * d), [m, d]);
          const adv = tf.tensor1d(mAdv.subarray(0, m));
          const ret = tf.tensor1d(mRet.subarray(0, m));
          const oldLp = tf.tensor1d(mOldLp.subarray(0, m));
          const oldV = tf.tensor1d(mOldV.subarray(0, m));
          const ctx = mCtx.subarray(0, m);
          const actBox = this.actionSpace.kind === "box" ? tf.tensor2d(mAct.subarray(0, m * ad), [m, ad]) : undefined;
          const actHot = this.actionSpace.kind === "discrete" ? tf.oneHot(tf.tensor1d(Int32Array.from(mAct.subarray(0, m)), "int32"), this.piOut) : undefined;
          return minimize(
            this.opt,
            () => {
              const x = withExtra(obs, ctx, this.extra);
              let head: tf.Tensor2D;
              let latent: tf.Tensor2D | undefined;
              if (c.useSde) ({ head, latent } = this.piLatent(x));
              else head = this.pi.apply(x);
              let logp: tf.Tensor1D;
              let entropy: tf.Tensor;
              if (actBox && latent) {
                ({ logp, entropy } = this.sdeLogProb(head, latent, actBox));
              } else if (actBox) {
                const ls = this.logStd!;
                const z = tf.div(tf.sub(actBox, head), tf.exp(ls));
                logp = tf.sum(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), ls), 0.5 * LOG_2PI), 1);
                entropy = tf.sum(tf.add(ls, 0.5 + 0.5 * LOG_2PI));
              } else {
                const lsm = tf.logSoftmax(head);
                logp = tf.sum(tf.mul(lsm, actHot!), 1);
                entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(lsm), lsm), 1)));
              }
              const ratio = tf.exp(tf.sub(logp, oldLp));
              const policyLoss = tf.neg(tf.mean(tf.minimum(tf.mul(adv, ratio), tf.mul(adv, tf.clipByValue(ratio, 1 - clip, 1 + clip)))));
              let v: tf.Tensor = tf.reshape(this.vf.apply(x), [m]);
              if (c.clipRangeVf !== null) v = tf.add(oldV, tf.clipByValue(tf.sub(v, oldV), -c.clipRangeVf, c.clipRangeVf));
              const valueLoss = tf.mean(tf.squaredDifference(ret, v));
              return tf.addN([policyLoss, tf.mul(c.entCoef, tf.neg(entropy)), tf.mul(c.vfCoef, valueLoss)]) as tf.Scalar;
            },
            vars,
            c.maxGradNorm,
          );
        });
        updates++;
        this.nUpdates++;
      }
    }
    return { loss: updates ? lossSum / updates : NaN, updates };
  }

  private dims(): Record<string, number> {
    return {
      obsDim: this.obsDim,
      piOut: this.piOut,
      extraDim: extraDim(this.extra),
      box: this.actionSpace.kind === "box" ? 1 : 0,
      ...(this.config.useSde ? { sdeLatentDim: this.latentDim } : {}),
    };
  }

  async save(dir: string, task: string): Promise<void> {
    const cfg = {
      ...this.config,
      learningRate: typeof this.config.learningRate === "number" ? this.config.learningRate : "schedule",
      clipRange: typeof this.config.clipRange === "number" ? this.config.clipRange : "schedule",
    };
    await saveCheckpoint(dir, {
      kind: "ppo",
      task,
      dims: this.dims(),
      config: cfg,
      tensors: { ...this.pi.namedTensors("pi"), ...this.vf.namedTensors("vf"), ...(this.logStd ? { log_std: this.logStd } : {}) },
    });
  }

  async load(dir: string, task?: string): Promise<void> {
    const { tensors } = await loadCheckpoint(dir, { kind: "ppo", task, dims: this.dims() });
    try {
      this.pi.assignNamed("pi", tensors);
      this.vf.assignNamed("vf", tensors);
      if (this.logStd) this.logStd.assign(tensors.log_std);
    } finally {
      Object.values(tensors).forEach((t) => t.dispose());
    }
  }

  dispose(): void {
    this.pi.dispose();
    this.vf.dispose();
    this.logStd?.dispose();
    this.opt.dispose();
  }
}
