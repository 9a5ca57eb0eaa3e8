/**
 * DQN (Mnih et al. 2015) with Stable-Baselines3's semantics.
 *
 * Follows SB3 in: hyper-parameter names and defaults (SB3_DQN_DEFAULTS), a target
 * network updated every `target_update_interval` env steps by Polyak averaging with
 * `tau` (1 = hard copy), the linear epsilon schedule over `exploration_fraction` of
 * training, uniform random actions before `learning_starts`, Huber (smooth L1) loss,
 * gradient clipping to `max_grad_norm` over all parameters, Adam (torch defaults),
 * ReLU MLP with PyTorch's default initialisation, bootstrap through time-limit
 * truncations. Adds `doubleQ` (van Hasselt et al. 2016; off by default, as SB3 has none).
 * Differs: randomness from our seeded Rng; no learning-rate schedule.
 */
import * as tf from "@tensorflow/tfjs";
import type { BoxSpace, DiscreteSpace, Space } from "../envs/env.js";
import { Rng } from "../flash/rng.js";
import { ValueError } from "../flash/errors.js";
import { loadCheckpoint, saveCheckpoint } from "../flash/checkpoint.js";
import { checkAction, checkObs, checkPositiveInt } from "./checks.js";
import { type ExtraInput, extraDim, extraVariables, withExtra } from "./extra.js";
import { Mlp } from "./mlp.js";
import { type AgentOptimizer, adam, minimize } from "./optim.js";
import { ReplayBuffer } from "./replay.js";
import { linear, type Schedule } from "./schedule.js";
import type { AgentOptions } from "./ddpg.js";
import type { ActOptions, OffPolicyAlgorithm } from "./types.js";

/** DQN hyper-parameters; each names its SB3 counterpart (stable_baselines3.DQN). */
export interface DQNConfig {
  /** Adam learning rate of the Q-network (SB3 learning_rate; a constant, no schedule). */
  learningRate: number;
  /** Replay buffer capacity in transitions; the oldest are overwritten when full (SB3 buffer_size). */
  bufferSize: number;
  /** Env steps of uniformly random actions before any update (SB3 learning_starts). */
  learningStarts: number;
  /** Transitions per minibatch, sampled uniformly with replacement from the replay buffer (SB3 batch_size). */
  batchSize: number;
  /** Polyak coefficient of each target update, in (0, 1]; 1 copies the online network (SB3 tau). */
  tau: number;
  /** Discount factor of the TD target (SB3 gamma). */
  gamma: number;
  /** Env steps between training phases (SB3 train_freq, in steps). */
  trainFreq: number;
  /** Gradient updates per training phase; -1: as many as env steps collected since the last phase (SB3 gradient_steps). */
  gradientSteps: number;
  /** Env steps between target-network updates (SB3 target_update_interval). */
  targetUpdateInterval: number;
  /** Fraction of the training budget over which epsilon falls linearly from its initial to its final value (SB3 exploration_fraction). */
  explorationFraction: number;
  /** Epsilon (probability of a uniformly random action) at the start of training (SB3 exploration_initial_eps). */
  explorationInitialEps: number;
  /** Epsilon after `explorationFraction` of training, kept to the end (SB3 exploration_final_eps). */
  explorationFinalEps: number;
  /** Global-norm clip of the gradient over all Q-network parameters (SB3 max_grad_norm). */
  maxGradNorm: number;
  /** Hidden layer sizes of the Q-network, ReLU (SB3 policy_kwargs net_arch). */
  netArch: number[];
  /** Double DQN targets: the online network picks the next action, the target network values it (van Hasselt et al. 2016; not in SB3). */
  doubleQ: boolean;
}

/** SB3 DQN's constructor defaults (stable_baselines3/dqn/dqn.py, v2.x). */
export const SB3_DQN_DEFAULTS: DQNConfig = {
  learningRate: 1e-4,
  bufferSize: 1_000_000,
  learningStarts: 100,
  batchSize: 32,
  tau: 1.0,
  gamma: 0.99,
  trainFreq: 4,
  gradientSteps: 1,
  targetUpdateInterval: 10_000,
  explorationFraction: 0.1,
  explorationInitialEps: 1.0,
  explorationFinalEps: 0.05,
  maxGradNorm: 10,
  netArch: [64, 64],
  doubleQ: false,
};

/**
 * SmartOverclock's DQN, FLASH paper Table 10: learning rate 1e-4, learning starts 50,000,
 * buffer 1e6, batch 32, gamma 0.99, target update rate (tau) 1.0, exploration fraction
 * 0.1; SB3's defaults for what the table does not state (train every 4 steps, target copy
 * every 10,000 steps, final epsilon 0.05, 64x64 ReLU MLP). The cpufreq task's profiles
 * start from this block (experiments/tasks/cpufreq.ts) and state what they scale.
 */
export const SMARTOVERCLOCK_DQN_DEFAULTS: DQNConfig = {
  ...SB3_DQN_DEFAULTS,
  learningRate: 1e-4,
  bufferSize: 1_000_000,
  learningStarts: 50_000,
  batchSize: 32,
  gamma: 0.99,
  tau: 1.0,
  explorationFraction: 0.1,
  trainFreq: 4,
  targetUpdateInterval: 10_000,
  explorationFinalEps: 0.05,
  netArch: [64, 64],
};

/** rl-baselines3-zoo hyperparams/dqn.yml, CartPole-v1. */
export const ZOO_DQN_CARTPOLE: { nTimesteps: number; config: DQNConfig } = {
  nTimesteps: 50_000,
  config: {
    ...SB3_DQN_DEFAULTS,
    learningRate: 2.3e-3,
    batchSize: 64,
    bufferSize: 100_000,
    learningStarts: 1000,
    gamma: 0.99,
    targetUpdateInterval: 10,
    trainFreq: 256,
    gradientSteps: 128,
    explorationFraction: 0.16,
    explorationFinalEps: 0.04,
    netArch: [256, 256],
  },
};

function discreteOf(space: Space): DiscreteSpace {
  if (space.kind !== "discrete") throw new ValueError(`DQN needs a Discrete action space, got ${space.kind}`);
  return space;
}

export class DQN implements OffPolicyAlgorithm {
  readonly kind = "off-policy" as const;
  readonly algo = "dqn";
  readonly config: DQNConfig;
  readonly obsDim: number;
  readonly nActions: number;
  readonly actionSpace: DiscreteSpace;
  readonly qNet: Mlp;
  readonly qNetTarget: Mlp;
  readonly replay: ReplayBuffer;
  /** Current epsilon (SB3 exploration_rate). */
  explorationRate: number;
  nUpdates = 0;
  private nCalls = 0;
  private readonly schedule: Schedule;
  private readonly extra: ExtraInput | undefined;
  private readonly rng: Rng;
  private readonly sampleRng: Rng;
  private readonly opt: AgentOptimizer;
  private oneHot: Float32Array = new Float32Array(0);

  constructor(spaces: { observationSpace: BoxSpace; actionSpace: Space }, config: Partial<DQNConfig> = {}, opts: AgentOptions = {}) {
    this.config = { ...SB3_DQN_DEFAULTS, ...config };
    const c = this.config;
    for (const k of ["bufferSize", "batchSize", "trainFreq", "targetUpdateInterval"] as const) checkPositiveInt(`DQN ${k}`, c[k]);
    if (!(c.tau > 0 && c.tau <= 1)) throw new ValueError(`DQN tau: expected (0, 1], got ${c.tau}`);
    this.actionSpace = discreteOf(spaces.actionSpace);
    this.obsDim = spaces.observationSpace.shape[0];
    this.nActions = this.actionSpace.n;
    this.extra = opts.extra;
    this.rng = new Rng(opts.seed ?? 0);
    this.sampleRng = this.rng.fork("replay");
    const netRng = this.rng.fork("init");
    this.qNet = new Mlp({ inputDim: this.obsDim + extraDim(this.extra), hidden: c.netArch, outputDim: this.nActions, activation: "relu" }, netRng);
    this.qNetTarget = this.qNet.clone(netRng);
    this.replay = new ReplayBuffer(c.bufferSize, this.obsDim, 1);
    this.schedule = linear(c.explorationInitialEps, c.explorationFinalEps, c.explorationFraction);
    this.explorationRate = c.explorationInitialEps;
    this.opt = adam(c.learningRate);
  }

  get learningStarts(): number {
    return this.config.learningStarts;
  }
  get trainFreq(): number {
    return this.config.trainFreq;
  }
  get gradientSteps(): number {
    return this.config.gradientSteps;
  }

  /** Q-values of one observation. */
  qValues(obs: ArrayLike<number>, ctx = 0): Float32Array {
    checkObs("DQN observation", obs, this.obsDim);
    return tf.tidy(
      () => this.qNet.apply(withExtra(tf.tensor2d(obs as Float32Array, [1, this.obsDim]), Int32Array.of(ctx), this.extra, "act")).dataSync() as Float32Array,
    );
  }

  private greedy(obs: ArrayLike<number>, ctx: number): number {
    const q = this.qValues(obs, ctx);
    let best = 0;
    for (let i = 1; i < q.length; i++) if (q[i] > q[best]) best = i;
    return best;
  }

  /** Greedy action, or epsilon-greedy with the current exploration rate when not deterministic. */
  predict(obs: ArrayLike<number>, opts: ActOptions = {}): Float32Array {
    if (!opts.deterministic && this.rng.next() < this.explorationRate) {
      checkObs("DQN observation", obs, this.obsDim);
      return Float32Array.of(this.rng.int(0, this.nActions));
    }
    return Float32Array.of(this.greedy(obs, opts.ctx ?? 0));
  }

  collectAction(obs: Float32Array, numTimesteps: number, ctx: number): { env: Float32Array; buffer: Float32Array } {
    let a: Float32Array;
    if (numTimesteps < this.config.learningStarts) {
      checkObs("DQN observation", obs, this.obsDim);
      a = Float32Array.of(this.rng.int(0, this.nActions));
    } else {
      a = this.predict(obs, { deterministic: false, ctx });
    }
    return { env: a, buffer: a };
  }

  store(obs: Float32Array, nextObs: Float32Array, bufferAction: Float32Array, reward: number, terminated: boolean, ctx = 0): void {
    checkAction("DQN stored action", bufferAction, this.actionSpace);
    this.replay.add(obs, nextObs, bufferAction, reward, terminated, ctx);
  }

  /** SB3 `_on_step`: target update every target_update_interval calls, epsilon from the schedule. */
  onStep(_numTimesteps: number, progressRemaining: number): void {
    this.nCalls++;
    if (this.nCalls % this.config.targetUpdateInterval === 0) this.qNet.polyakInto(this.qNetTarget, this.config.tau);
    this.explorationRate = this.schedule(progressRemaining);
  }

  onEpisodeEnd(): void {}

  train(gradientSteps: number): number {
    const c = this.config;
    const d = this.obsDim;
    const nA = this.nActions;
    let lossSum = 0;
    for (let g = 0; g < gradientSteps; g++) {
      const b = this.replay.sample(c.batchSize, this.sampleRng);
      const B = b.size;
      if (this.oneHot.length !== B * nA) this.oneHot = new Float32Array(B * nA);
      this.oneHot.fill(0);
      for (let k = 0; k < B; k++) this.oneHot[k * nA + b.actions[k]] = 1;
      lossSum += tf.tidy(() => {
        const y = tf.tidy(() => {
          const next = withExtra(tf.tensor2d(b.nextObs, [B, d]), b.ctx, this.extra);
          const qT = this.qNetTarget.apply(next);
          let qNext: tf.Tensor;
          if (c.doubleQ) {
            const sel = tf.oneHot(tf.argMax(this.qNet.apply(next), 1), nA);
            qNext = tf.sum(tf.mul(qT, sel), 1);
          } else {
            qNext = tf.max(qT, 1);
          }
          const notDone = tf.sub(1, tf.tensor1d(b.dones));
          return tf.add(tf.tensor1d(b.rewards), tf.mul(tf.mul(notDone, c.gamma), qNext));
        });
        const obs = tf.tensor2d(b.obs, [B, d]);
        const mask = tf.tensor2d(this.oneHot, [B, nA]);
        return minimize(
          this.opt,
          () => {
            const q = tf.sum(tf.mul(this.qNet.apply(withExtra(obs, b.ctx, this.extra)), mask), 1);
            // Smooth L1 with beta 1 (torch F.smooth_l1_loss), mean over the batch.
            const absd = tf.abs(tf.sub(q, y));
            const quad = tf.minimum(absd, 1);
            return tf.mean(tf.add(tf.mul(0.5, tf.square(quad)), tf.sub(absd, quad))) as tf.Scalar;
          },
          [...this.qNet.variables, ...extraVariables(this.extra)],
          c.maxGradNorm,
        );
      });
      this.nUpdates++;
    }
    return gradientSteps > 0 ? lossSum / gradientSteps : NaN;
  }

  private dims(): Record<string, number> {
    return { obsDim: this.obsDim, nActions: this.nActions, extraDim: extraDim(this.extra) };
  }

  async save(dir: string, task: string): Promise<void> {
    await saveCheckpoint(dir, {
      kind: "dqn",
      task,
      dims: this.dims(),
      config: this.config,
      tensors: { ...this.qNet.namedTensors("q_net"), ...this.qNetTarget.namedTensors("q_net_target") },
    });
  }

  async load(dir: string, task?: string): Promise<void> {
    const { tensors } = await loadCheckpoint(dir, { kind: "dqn", task, dims: this.dims() });
    try {
      this.qNet.assignNamed("q_net", tensors);
      this.qNetTarget.assignNamed("q_net_target", tensors);
    } finally {
      Object.values(tensors).forEach((t) => t.dispose());
    }
  }

  dispose(): void {
    this.qNet.dispose();
    this.qNetTarget.dispose();
    this.opt.dispose();
  }
}
