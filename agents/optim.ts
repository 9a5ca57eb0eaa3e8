/**
 * One optimizer step with SB3's gradient clipping (torch.nn.utils.clip_grad_norm_ over
 * all parameters at once), as a fixed handful of batched ops.
 */
import * as tf from "@tensorflow/tfjs";
import { ValueError } from "../flash/errors.js";
import { type AgentOptimizer, FusedAdam } from "./fused-optim.js";

export type { AgentOptimizer } from "./fused-optim.js";

/**
 * Minimise `loss` over `vars`; with `maxGradNorm` finite, scale all gradients by
 * min(1, maxGradNorm / (globalNorm + 1e-6)) first. Returns the loss value (one scalar
 * read-back per update; on CPU/WASM that costs nothing extra). Throws on a
 * non-finite loss rather than corrupting the weights.
 */
export function minimize(optimizer: AgentOptimizer, loss: () => tf.Scalar, vars: tf.Variable[], maxGradNorm = Infinity): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss, vars);
    const v = value.dataSync()[0];
    if (!Number.isFinite(v)) throw new ValueError(`training loss is ${v}: check rewards and observations for NaN/Infinity or extreme values`);
    if (Number.isFinite(maxGradNorm)) {
      const names = Object.keys(grads);
      const sq = tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))));
      const scale = tf.minimum(1, tf.div(maxGradNorm, tf.add(tf.sqrt(sq), 1e-6)));
      // The optimizer multiplies each gradient by the scale in float32, as tf.mul(grad, scale) would.
      optimizer.applyGradients(grads, scale.dataSync()[0]);
    } else {
      optimizer.applyGradients(grads);
    }
    return v;
  });
}

/** Adam with PyTorch's defaults (beta 0.9/0.999) and a given eps (torch 1e-8; SB3 PPO 1e-5); equal to tf.train.adam (fused-optim.ts). */
export function adam(learningRate: number, eps = 1e-8): AgentOptimizer {
  return new FusedAdam(learningRate, 0.9, 0.999, eps);
}

/** Set an Adam optimizer's learning rate (SB3 updates it from the schedule before each train call). */
export function setLearningRate(optimizer: AgentOptimizer, lr: number): void {
  optimizer.learningRate = lr;
}
