/**
 * The one hook through which FLASH (or anything else) conditions an agent: an extra
 * input appended to every network's observation input.
 *
 * Every network reads `concat(obs, extra)` with `extra` of width `dim` (0 when no hook
 * is given, which is the vanilla agent). The hook is called *inside* the agent's loss,
 * so gradients flow into any variables it reads; listing them in
 * `trainableVariables()` lets the agent's optimizer update them with the agent's own
 * loss (FLASH pretraining), and returning [] freezes them (serving).
 *
 * The per-sample `ctx` is an integer the caller attaches to every observation (the
 * training loop asks `contextId(env)`, e.g. the pair's index in a context bank); it
 * is stored with each transition, never the embedding itself.
 *
 * Which loss trains the hook's variables: DQN's TD loss; DDPG's critic loss (the actor
 * loss still back-propagates through `extra` but only updates the actor); PPO's
 * combined loss; Sizeless's MAPE loss. They are appended after the agent's own
 * variables in the optimizer's list; TF.js optimizers keep their moments by position,
 * so the list of hook variables must not change order between updates.
 */
import * as tf from "@tensorflow/tfjs";
import { ShapeError } from "../flash/errors.js";

/**
 * Why the agent reads the extra input: "act" when it chooses actions (or values) for the
 * env steps it is taking, "learn" inside or for its update (losses, targets). FLASH keeps
 * a pair's acting embedding fixed for a whole episode while its training embedding follows
 * the meta learner's weights.
 */
export type ExtraPurpose = "act" | "learn";

export interface ExtraInput {
  /** Width of the extra input. */
  readonly dim: number;
  /**
   * [B, dim] for a batch of observations [B, obsDim] and their context ids (length B).
   * Runs inside tf.tidy / an optimizer's gradient scope: do not dispose the inputs, do
   * not keep the result.
   */
  compute(obs: tf.Tensor2D, ctx: Int32Array, purpose?: ExtraPurpose): tf.Tensor2D;
  /** Caller-owned variables to train with the agent's loss; omit or [] when frozen. */
  trainableVariables?(): tf.Variable[];
}

/** `concat(obs, extra(obs, ctx))`, or `obs` alone without a hook; `purpose` as `ExtraPurpose` (default "learn"). */
export function withExtra(obs: tf.Tensor2D, ctx: Int32Array, extra: ExtraInput | undefined, purpose: ExtraPurpose = "learn"): tf.Tensor2D {
  if (!extra || extra.dim === 0) return obs;
  const e = extra.compute(obs, ctx, purpose);
  if (e.shape[0] !== obs.shape[0] || e.shape[1] !== extra.dim) {
    throw new ShapeError("ExtraInput.compute result", `[${obs.shape[0]}, ${extra.dim}]`, `[${e.shape.join(", ")}]`);
  }
  return tf.concat([obs, e], 1);
}

export function extraDim(extra: ExtraInput | undefined): number {
  return extra?.dim ?? 0;
}

export function extraVariables(extra: ExtraInput | undefined): tf.Variable[] {
  return extra?.trainableVariables?.() ?? [];
}
