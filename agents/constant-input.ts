/**
 * An `ExtraInput` that appends a fixed vector per pair: the oracle-context control, where
 * the agent reads the pair's true parameters (physics, application profile, trace
 * statistics) in place of FLASH's learned embedding. It bounds what any embedding can
 * give: an agent that cannot use the truth cannot use an estimate of it either.
 *
 *     const oracle = new ConstantInput({ "p1": [0.3, -1.2], "p2": [1.1, 0.4] });
 *     const agent = new DDPG(env, config, { extra: oracle });
 *     train(agent, env, { totalTimesteps, contextId: oracle.contextId });
 *
 * Nothing is trainable: the vectors are inputs, not parameters.
 */
import * as tf from "@tensorflow/tfjs";
import type { Env, PairEnv } from "../envs/env.js";
import { ShapeError, ValueError } from "../flash/errors.js";
import type { ExtraInput } from "./extra.js";

export class ConstantInput implements ExtraInput {
  readonly dim: number;
  private readonly names: string[] = [];
  private readonly values: Float32Array[] = [];

  /** `vectors`: pair id -> its vector (all of one length, finite). */
  constructor(vectors: Readonly<Record<string, readonly number[]>>) {
    const entries = Object.entries(vectors);
    if (entries.length === 0) throw new ValueError("ConstantInput: expected at least one pair's vector, got none");
    this.dim = entries[0][1].length;
    for (const [pair, v] of entries) {
      if (v.length !== this.dim || this.dim === 0 || !v.every(Number.isFinite))
        throw new ShapeError(`ConstantInput vector of ${pair}`, `${this.dim} finite numbers (as the first pair's)`, `[${v.join(", ")}]`);
      this.names.push(pair);
      this.values.push(Float32Array.from(v));
    }
  }

  /** For `TrainOptions.contextId`: the index of the env's pair. */
  readonly contextId = (env: Env): number => this.ctxOf((env as Partial<PairEnv>).pair ?? "");

  /** The context id of `pair`; a clear error when it has no vector. */
  ctxOf(pair: string): number {
    const i = this.names.indexOf(pair);
    if (i < 0)
      throw new ValueError(
        `ConstantInput: no vector for pair ${JSON.stringify(pair)}; pairs with vectors: ` +
          `${this.names.slice(0, 8).join(", ")}${this.names.length > 8 ? ", ..." : ""}`,
      );
    return i;
  }

  compute(obs: tf.Tensor2D, ctx: Int32Array): tf.Tensor2D {
    const B = obs.shape[0];
    if (ctx.length !== B) throw new ShapeError("ConstantInput context ids", `${B} (one per observation)`, `${ctx.length}`);
    const flat = new Float32Array(B * this.dim);
    for (let i = 0; i < B; i++) {
      const v = this.values[ctx[i]];
      if (!v) throw new ValueError(`ConstantInput: unknown context id ${ctx[i]}; ids 0..${this.values.length - 1} are registered`);
      flat.set(v, i * this.dim);
    }
    return tf.tensor2d(flat, [B, this.dim]);
  }
}

/**
 * Each coordinate standardised with the mean and standard deviation over `fit`'s pairs.
 * A coordinate constant over `fit` is 0 for every pair: an agent trained on `fit` never
 * saw it vary, so on other pairs it would only be an out-of-distribution input.
 */
export function standardise(vectors: Readonly<Record<string, readonly number[]>>, fit: readonly string[]): Record<string, number[]> {
  const rows = fit.map((p) => {
    const v = vectors[p];
    if (!v) throw new ValueError(`standardise: no vector for pair ${JSON.stringify(p)}`);
    return v;
  });
  const d = rows[0]?.length ?? 0;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((a, r) => a + r[j], 0) / rows.length);
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(rows.reduce((a, r) => a + (r[j] - mean[j]) ** 2, 0) / rows.length));
  return Object.fromEntries(Object.entries(vectors).map(([p, v]) => [p, v.map((x, j) => (sd[j] > 1e-12 ? (x - mean[j]) / sd[j] : 0))]));
}
