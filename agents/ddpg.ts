/**
 * DDPG (Lillicrap et al. 2016) with Stable-Baselines3's semantics: SB3 implements
 * DDPG as TD3 with policy_delay 1, no target policy smoothing and a single critic.
 *
 * Follows SB3 in: hyper-parameter names and defaults (SB3_DDPG_DEFAULTS), actions
 * stored scaled to [-1, 1] with a tanh actor and noise added in that space then
 * clipped, uniform random actions before learning_starts (noise still added),
 * the critic reading concat(obs, action) at its input (the paper inserts the action
 * at the second layer), MSE critic loss, actor loss -Q(s, pi(s)), Polyak updates of
 * both targets after every update, no gradient clipping, PyTorch's default Linear
 * initialisation, bootstrap through time-limit truncations.
 * Differs: optional separate actor/critic learning rates (FIRM uses them; SB3 has one
 * learning_rate), replay sampling uses our seeded Rng, no learning-rate schedule.
 */
import * as tf from "@tensorflow/tfjs";
import type { BoxSpace, Space } from "../envs/env.js";
import { Rng } from "../flash/rng.js";
import { ValueError } from "../flash/errors.js";
import { loadCheckpoint, saveCheckpoint } from "../flash/checkpoint.js";
import { checkAction, checkObs, checkPositiveInt } from "./checks.js";
import { type ExtraInput, extraDim, extraVariables, withExtra } from "./extra.js";
import { Mlp } from "./mlp.js";
import { type ActionNoise, type NoiseSpec, makeNoise } from "./noise.js";
import { type AgentOptimizer, adam, minimize } from "./optim.js";
import { ReplayBuffer } from "./replay.js";
import type { ActOptions, OffPolicyAlgorithm } from "./types.js";

/** DDPG hyper-parameters; each names its SB3 counterpart (stable_baselines3.DDPG). */
export interface DDPGConfig {
  /** Adam learning rate of both networks unless overridden below (SB3 learning_rate; a constant, no schedule). */
  learningRate: number;
  /** Adam learning rate of the actor; default `learningRate` (not in SB3; FIRM uses 3e-4). */
  actorLearningRate?: number;
  /** Adam learning rate of the critic; default `learningRate` (not in SB3; FIRM uses 3e-3). */
  criticLearningRate?: number;
  /** Replay buffer capacity in transitions; the oldest are overwritten when full (SB3 buffer_size). */
  bufferSize: number;
  /** Env steps of uniformly random actions (noise still added) before any update (SB3 learning_starts). */
  learningStarts: number;
  /** Transitions per minibatch, sampled uniformly with replacement from the replay buffer (SB3 batch_size). */
  batchSize: number;
  /** Polyak coefficient of the target networks after every update: target <- tau * online + (1 - tau) * target, in (0, 1] (SB3 tau). */
  tau: number;
  /** Discount factor of the TD target (SB3 gamma). */
  gamma: number;
  /** Env steps between training phases (SB3 train_freq, in steps; no "episode" unit). */
  trainFreq: number;
  /** Gradient updates per training phase; -1: as many as env steps collected since the last phase (SB3 gradient_steps). */
  gradientSteps: number;
  /** Exploration noise added to the actor's action in the scaled [-1, 1] space, then clipped; OU noise restarts at episode ends (SB3 action_noise). */
  actionNoise: NoiseSpec;
  /** Hidden layer sizes of both the actor and the critic, ReLU (SB3 policy_kwargs net_arch). */
  netArch: number[];
}

/** SB3 DDPG's constructor defaults (stable_baselines3/ddpg/ddpg.py, v2.x). */
export const SB3_DDPG_DEFAULTS: DDPGConfig = {
  learningRate: 1e-3,
  bufferSize: 1_000_000,
  learningStarts: 100,
  batchSize: 256,
  tau: 0.005,
  gamma: 0.99,
  trainFreq: 1,
  gradientSteps: 1,
  actionNoise: { type: "none" },
  netArch: [400, 300],
};

/**
 * FIRM's DDPG (FLASH paper Table 8): actor lr 3e-4, critic lr 3e-3, tau 3e-3, Gaussian
 * noise sigma 0.2, gamma 0.99, buffer 1e6, batch 64. Layer sizes are not given there;
 * we keep SB3's [400, 300] (the DDPG paper's).
 */
export const FIRM_DDPG_DEFAULTS: DDPGConfig = {
  ...SB3_DDPG_DEFAULTS,
  actorLearningRate: 3e-4,
  criticLearningRate: 3e-3,
  tau: 3e-3,
  actionNoise: { type: "normal", sigma: 0.2 },
  gamma: 0.99,
  bufferSize: 1_000_000,
  batchSize: 64,
};

/**
 * rl-baselines3-zoo hyperparams/ddpg.yml, Pendulum: n_timesteps 20000, gamma 0.98,
 * buffer 200000, learning_starts 10000, normal noise std 0.1, lr 1e-3, net_arch
 * [400, 300]. Older zoo files have train_freq [1, "episode"] with gradient_steps -1;
 * newer ones train_freq 1, gradient_steps 1: both give one update per env step after
 * learning_starts; we use the latter. batch_size is SB3's default 256.
 */
export const ZOO_DDPG_PENDULUM: { nTimesteps: number; config: DDPGConfig } = {
  nTimesteps: 20_000,
  config: {
    ...SB3_DDPG_DEFAULTS,
    gamma: 0.98,
    bufferSize: 200_000,
    learningStarts: 10_000,
    actionNoise: { type: "normal", sigma: 0.1 },
    trainFreq: 1,
    gradientSteps: 1,
    learningRate: 1e-3,
    netArch: [400, 300],
  },
};

export interface AgentOptions {
  seed?: number | string;
  /** The extra-input hook (extra.ts); networks read obsDim + extra.dim inputs. */
  extra?: ExtraInput;
}

function boxOf(space: Space): BoxSpace {
  if (space.kind !== "box") throw new ValueError(`DDPG needs a Box action space, got ${space.kind}`);
  for (let i = 0; i < space.shape[0]; i++) {
    if (!Number.isFinite(space.low[i]) || !Number.isFinite(space.high[i]))
      throw new ValueError(`DDPG needs finite action bounds; dimension ${i} is [${space.low[i]}, ${space.high[i]}]`);
  }
  return space;
}

export class DDPG implements OffPolicyAlgorithm {
  readonly kind = "off-policy" as const;
  readonly algo = "ddpg";
  readonly config: DDPGConfig;
  readonly obsDim: number;
  readonly actionDim: number;
  readonly actionSpace: BoxSpace;
  readonly actor: Mlp;
  readonly critic: Mlp;
  readonly actorTarget: Mlp;
  readonly criticTarget: Mlp;
  readonly replay: ReplayBuffer;
  private readonly extra: ExtraInput | undefined;
  private readonly rng: Rng;
  private readonly sampleRng: Rng;
  private readonly noise: ActionNoise | undefined;
  private readonly actorOpt: AgentOptimizer;
  private readonly criticOpt: AgentOptimizer;
  /** Gradient updates so far (SB3 _n_updates). */
  nUpdates = 0;

  constructor(spaces: { observationSpace: BoxSpace; actionSpace: Space }, config: Partial<DDPGConfig> = {}, opts: AgentOptions = {}) {
    this.config = { ...SB3_DDPG_DEFAULTS, ...config };
    const c = this.config;
    for (const k of ["bufferSize", "batchSize", "trainFreq"] as const) checkPositiveInt(`DDPG ${k}`, c[k]);
    if (!(c.tau > 0 && c.tau <= 1)) throw new ValueError(`DDPG tau: expected (0, 1], got ${c.tau}`);
    if (!(c.gamma >= 0 && c.gamma <= 1)) throw new ValueError(`DDPG gamma: expected [0, 1], got ${c.gamma}`);
    this.actionSpace = boxOf(spaces.actionSpace);
    this.obsDim = spaces.observationSpace.shape[0];
    this.actionDim = this.actionSpace.shape[0];
    this.extra = opts.extra;
    this.rng = new Rng(opts.seed ?? 0);
    this.sampleRng = this.rng.fork("replay");
    const inDim = this.obsDim + extraDim(this.extra);
    const netRng = this.rng.fork("init");
    this.actor = new Mlp({ inputDim: inDim, hidden: c.netArch, outputDim: this.actionDim, activation: "relu", outputActivation: "tanh" }, netRng);
    this.critic = new Mlp({ inputDim: inDim + this.actionDim, hidden: c.netArch, outputDim: 1, activation: "relu" }, netRng);
    this.actorTarget = this.actor.clone(netRng);
    this.criticTarget = this.critic.clone(netRng);
    this.replay = new ReplayBuffer(c.bufferSize, this.obsDim, this.actionDim);
    this.noise = makeNoise(c.actionNoise, this.actionDim, this.rng.fork("noise"));
    this.actorOpt = adam(c.actorLearningRate ?? c.learningRate);
    this.criticOpt = adam(c.criticLearningRate ?? c.learningRate);
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

  /** [-1, 1] -> the action space. */
  unscale(scaled: Float32Array): Float32Array {
    const { low, high } = this.actionSpace;
    return scaled.map((a, i) => low[i] + 0.5 * (a + 1) * (high[i] - low[i]));
  }

  /** The action space -> [-1, 1]. */
  scale(action: ArrayLike<number>): Float32Array {
    const { low, high } = this.actionSpace;
    return Float32Array.from({ length: this.actionDim }, (_, i) => (2 * (action[i] - low[i])) / (high[i] - low[i]) - 1);
  }

  private actorScaled(obs: ArrayLike<number>, ctx: number): Float32Array {
    checkObs("DDPG observation", obs, this.obsDim);
    return tf.tidy(
      () => this.actor.apply(withExtra(tf.tensor2d(obs as Float32Array, [1, this.obsDim]), Int32Array.of(ctx), this.extra, "act")).dataSync() as Float32Array,
    );
  }

  /** The deterministic actor's action in the env's units (DDPG has no stochastic policy). */
  predict(obs: ArrayLike<number>, opts: ActOptions = {}): Float32Array {
    return this.unscale(this.actorScaled(obs, opts.ctx ?? 0));
  }

  collectAction(obs: Float32Array, numTimesteps: number, ctx: number): { env: Float32Array; buffer: Float32Array } {
    let scaled: Float32Array;
    if (numTimesteps < this.config.learningStarts) {
      checkObs("DDPG observation", obs, this.obsDim);
      scaled = Float32Array.from({ length: this.actionDim }, () => this.rng.uniform(-1, 1));
    } else {
      scaled = this.actorScaled(obs, ctx);
    }
    if (this.noise) {
      const n = this.noise.sample();
      for (let i = 0; i < this.actionDim; i++) scaled[i] = Math.min(1, Math.max(-1, scaled[i] + n[i]));
    }
    return { env: this.unscale(scaled), buffer: scaled };
  }

  /** Store a transition; `bufferAction` is in the scaled [-1, 1] space. */
  store(obs: Float32Array, nextObs: Float32Array, bufferAction: Float32Array, reward: number, terminated: boolean, ctx = 0): void {
    checkAction("DDPG stored action", bufferAction, this.actionSpace);
    for (let i = 0; i < bufferAction.length; i++) {
      if (Math.abs(bufferAction[i]) > 1 + 1e-6)
        throw new ValueError(`DDPG stored action: expected the scaled action in [-1, 1], got ${bufferAction[i]} at ${i}`);
    }
    this.replay.add(obs, nextObs, bufferAction, reward, terminated, ctx);
  }

  onStep(): void {}

  onEpisodeEnd(): void {
    this.noise?.reset();
  }

  /** `gradientSteps` updates of critic then actor then both targets; returns the mean critic loss. */
  train(gradientSteps: number): number {
    const c = this.config;
    const d = this.obsDim;
    const ad = this.actionDim;
    let lossSum = 0;
    for (let g = 0; g < gradientSteps; g++) {
      const b = this.replay.sample(c.batchSize, this.sampleRng);
      const B = b.size;
      tf.tidy(() => {
        const obs = tf.tensor2d(b.obs, [B, d]);
        const act = tf.tensor2d(b.actions, [B, ad]);
        // Target outside the gradient scope: SB3 computes it under no_grad.
        const y = tf.tidy(() => {
          const next = withExtra(tf.tensor2d(b.nextObs, [B, d]), b.ctx, this.extra);
          const qNext = this.criticTarget.apply(tf.concat([next, this.actorTarget.apply(next)], 1));
          const notDone = tf.sub(1, tf.tensor2d(b.dones, [B, 1]));
          return tf.add(tf.tensor2d(b.rewards, [B, 1]), tf.mul(tf.mul(notDone, c.gamma), qNext));
        });
        const criticVars = [...this.critic.variables, ...extraVariables(this.extra)];
        lossSum += minimize(
          this.criticOpt,
          () => {
            const q = this.critic.apply(tf.concat([withExtra(obs, b.ctx, this.extra), act], 1));
            return tf.mean(tf.squaredDifference(q, y)) as tf.Scalar;
          },
          criticVars,
        );
        minimize(
          this.actorOpt,
          () => {
            const x = withExtra(obs, b.ctx, this.extra);
            // The critic is only differentiated through here (SB3 steps the actor optimizer alone).
            return tf.neg(tf.mean(this.critic.apply(tf.concat([x, this.actor.apply(x)], 1), { frozen: true }))) as tf.Scalar;
          },
          this.actor.variables,
        );
      });
      this.nUpdates++;
      this.critic.polyakInto(this.criticTarget, c.tau);
      this.actor.polyakInto(this.actorTarget, c.tau);
    }
    return gradientSteps > 0 ? lossSum / gradientSteps : NaN;
  }

  private dims(): Record<string, number> {
    return { obsDim: this.obsDim, actionDim: this.actionDim, extraDim: extraDim(this.extra) };
  }

  /** Save the four networks (not the replay buffer or optimizer moments). */
  async save(dir: string, task: string): Promise<void> {
    await saveCheckpoint(dir, {
      kind: "ddpg",
      task,
      dims: this.dims(),
      config: { ...this.config, actionLow: Array.from(this.actionSpace.low), actionHigh: Array.from(this.actionSpace.high) },
      tensors: {
        ...this.actor.namedTensors("actor"),
        ...this.critic.namedTensors("critic"),
        ...this.actorTarget.namedTensors("actor_target"),
        ...this.criticTarget.namedTensors("critic_target"),
      },
    });
  }

  /** Load weights saved by `save`; refuses another kind, task or dimensions. */
  async load(dir: string, task?: string): Promise<void> {
    const { tensors } = await loadCheckpoint(dir, { kind: "ddpg", task, dims: this.dims() });
    try {
      this.actor.assignNamed("actor", tensors);
      this.critic.assignNamed("critic", tensors);
      this.actorTarget.assignNamed("actor_target", tensors);
      this.criticTarget.assignNamed("critic_target", tensors);
    } finally {
      Object.values(tensors).forEach((t) => t.dispose());
    }
  }

  dispose(): void {
    [this.actor, this.critic, this.actorTarget, this.criticTarget].forEach((m) => m.dispose());
    this.actorOpt.dispose();
    this.criticOpt.dispose();
  }
}
