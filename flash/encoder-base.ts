/**
 * What every encoder shares, so `gru.ts` and `tcn.ts` hold only their own maths:
 * seeded Glorot initialisation, variables with stable names (checkpoints use those)
 * and unique TF.js names (TF.js variable names are global), named get/set with shape
 * checks, parameter counts, and the context batch's shape check.
 */
import * as tf from "@tensorflow/tfjs";
import type { ContextBatch } from "./encoder.js";
import { ShapeError } from "./errors.js";
import { Rng } from "./rng.js";

let nextInstance = 0;

export abstract class EncoderBase {
  private readonly named: [string, tf.Variable][] = [];
  private readonly rng: Rng;
  private readonly instance = nextInstance++;

  /** `kind` names the encoder in errors ("BiGruEncoder"); `family` forks the seeded stream ("bigru"). */
  protected constructor(
    private readonly kind: string,
    private readonly family: string,
    seed: number,
  ) {
    if (!Number.isInteger(seed)) throw new ShapeError(`${kind} seed`, "an integer", String(seed));
    this.rng = new Rng(seed).fork(family);
  }

  /** A positive integer size or a ShapeError naming the option. */
  protected positiveInt(name: string, v: unknown): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new ShapeError(`${this.kind} ${name}`, "a positive integer", String(v));
    return v;
  }

  /** Glorot-uniform initial values, drawn from this encoder's seeded stream in call order. */
  protected glorot(shape: number[], fanIn: number, fanOut: number): tf.Tensor {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.randomUniform(shape, -limit, limit, "float32", this.rng.tfSeed());
  }

  /** A trainable variable under stable `name`, taking ownership of `init`. */
  protected variable(name: string, init: tf.Tensor): tf.Variable {
    const v = tf.variable(init, true, `${name}#${this.family}${this.instance}`);
    init.dispose();
    this.named.push([name, v]);
    return v;
  }

  variables(): tf.Variable[] {
    return this.named.map(([, v]) => v);
  }

  parameterCount(): number {
    return this.named.reduce((s, [, v]) => s + v.size, 0);
  }

  /** The weights by stable name (the variables themselves: do not dispose). */
  getWeights(): Record<string, tf.Tensor> {
    return Object.fromEntries(this.named);
  }

  /** Assign weights by name; every name must be present with the same shape, and no other. */
  setWeights(weights: Record<string, tf.Tensor>): void {
    const given = new Set(Object.keys(weights));
    for (const [name, v] of this.named) {
      const w = weights[name];
      if (!w) throw new ShapeError(`${this.kind}.setWeights`, `a tensor named "${name}"`, `names ${[...given].join(", ") || "(none)"}`);
      if (w.shape.join(",") !== v.shape.join(",")) throw new ShapeError(`${this.kind}.setWeights "${name}"`, `shape [${v.shape}]`, `[${w.shape}]`);
      given.delete(name);
    }
    if (given.size) throw new ShapeError(`${this.kind}.setWeights`, "only this encoder's weights", `unknown names ${[...given].join(", ")}`);
    for (const [name, v] of this.named) v.assign(weights[name]);
  }

  /** [P, M, T] of a batch whose rows are `inputWidth` wide and whose masks match. */
  protected checkBatch(batch: ContextBatch, inputWidth: number): [number, number, number] {
    const [P, M, T, W] = batch.data.shape;
    if (W !== inputWidth) throw new ShapeError("context rows", `width ${inputWidth}`, `width ${W}`);
    if (batch.stepMask.shape.join(",") !== [P, M, T].join(",")) throw new ShapeError("stepMask", `[${P}, ${M}, ${T}]`, `[${batch.stepMask.shape}]`);
    if (batch.seqMask.shape.join(",") !== [P, M].join(",")) throw new ShapeError("seqMask", `[${P}, ${M}]`, `[${batch.seqMask.shape}]`);
    return [P, M, T];
  }

  dispose(): void {
    for (const [, v] of this.named) v.dispose();
  }
}
