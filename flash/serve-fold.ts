/**
 * Serving a policy conditioned on a fixed embedding at the cost of the bare policy.
 *
 * A policy that reads concat(state, e) computes, in its first layer,
 * [s, e] · W + b = s · W_s + (e · W_e + b), with W_s the kernel's first `stateDim` rows and
 * W_e the rest. While e stays the same (serving: `getEmbedding` returns the pair's cached
 * embedding), e · W_e + b is a constant: fold it into the bias once per embedding change,
 * and every call multiplies only the state, with no concatenation and no wider kernel.
 * Equal to the unfolded layer up to float rounding (the sum runs in another order).
 *
 * The fold is redone when the embedding's values change or the kernel or bias is given
 * new data (every optimiser step replaces a variable's data, so training in between is
 * seen).
 */
import * as tf from "@tensorflow/tfjs";
import { ShapeError } from "./errors.js";

export class FoldedFirstLayer {
  readonly stateDim: number;
  readonly embeddingDim: number;
  private lastEmbedding: Float32Array | undefined;
  private lastKernelData: object | undefined;
  private lastBiasData: object | undefined;
  private stateKernel: tf.Tensor2D | undefined;
  private foldedBias: tf.Tensor1D | undefined;

  /** `kernel` [stateDim + E, H] and `bias` [H]: the policy's first layer (variables are read at each fold). */
  constructor(
    private readonly kernel: tf.Tensor2D,
    private readonly bias: tf.Tensor1D,
    stateDim: number,
  ) {
    const [rows, cols] = kernel.shape;
    if (!(Number.isInteger(stateDim) && stateDim >= 1 && stateDim < rows))
      throw new ShapeError("FoldedFirstLayer stateDim", `an integer in [1, ${rows - 1}] (the kernel has ${rows} rows)`, String(stateDim));
    if (bias.shape.length !== 1 || bias.shape[0] !== cols) throw new ShapeError("FoldedFirstLayer bias", `[${cols}]`, `[${bias.shape.join(", ")}]`);
    this.stateDim = stateDim;
    this.embeddingDim = rows - stateDim;
  }

  /** The first layer for states only, with `embedding` folded into the bias: { kernel [stateDim, H], bias [H] }. Do not dispose them. */
  fold(embedding: ArrayLike<number>): { kernel: tf.Tensor2D; bias: tf.Tensor1D } {
    if (embedding.length !== this.embeddingDim) throw new ShapeError("FoldedFirstLayer embedding", `${this.embeddingDim} values`, String(embedding.length));
    if (this.stale(embedding)) {
      this.release();
      const [S, E] = [this.stateDim, this.embeddingDim];
      [this.stateKernel, this.foldedBias] = tf.tidy(() => {
        const we = tf.slice(this.kernel, [S, 0], [E, -1]);
        const folded = tf.add(this.bias, tf.reshape(tf.matMul(tf.tensor2d(Float32Array.from(embedding), [1, E]), we), [-1]));
        return [tf.slice(this.kernel, [0, 0], [S, -1]), folded] as [tf.Tensor2D, tf.Tensor1D];
      });
      this.lastEmbedding = Float32Array.from(embedding);
      this.lastKernelData = this.kernel.dataId;
      this.lastBiasData = this.bias.dataId;
    }
    return { kernel: this.stateKernel!, bias: this.foldedBias! };
  }

  private stale(embedding: ArrayLike<number>): boolean {
    const last = this.lastEmbedding;
    if (!last || this.kernel.dataId !== this.lastKernelData || this.bias.dataId !== this.lastBiasData) return true;
    for (let i = 0; i < last.length; i++) if (last[i] !== Math.fround(embedding[i])) return true;
    return false;
  }

  private release(): void {
    this.stateKernel?.dispose();
    this.foldedBias?.dispose();
    this.stateKernel = this.foldedBias = undefined;
  }

  dispose(): void {
    this.release();
    this.lastEmbedding = undefined;
  }
}
