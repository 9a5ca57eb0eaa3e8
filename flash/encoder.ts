/**
 * The meta learner's encoder interface: sequences of one or more pairs in, one
 * embedding per pair out. The paper's encoder (bidirectional GRU + FC head, `gru.ts`)
 * implements it; cheaper ones (smaller GRU, temporal convolution, attention) implement
 * the same interface so they can be measured against it on quality and cost.
 */
import type * as tf from "@tensorflow/tfjs";

/**
 * A padded batch of context for P pairs, M sequences each, T steps each:
 * `data` [P, M, T, width]; `stepMask` [P, M, T] (1 = real step, 0 = padding; a
 * sequence's real steps come first); `seqMask` [P, M] (1 = real sequence). A pair with
 * no real sequence has an all-zero `seqMask` row.
 */
export interface ContextBatch {
  data: tf.Tensor4D;
  stepMask: tf.Tensor3D;
  seqMask: tf.Tensor2D;
}

/** Sizes and choices every encoder reports; saved in checkpoints. */
export interface EncoderConfig {
  /** Encoder family, e.g. "bigru". */
  type: string;
  /** Width of one row of input. */
  inputWidth: number;
  /** Size of the embedding. */
  embeddingDim: number;
  /** Family-specific sizes (hidden units, layers, ...). */
  [key: string]: unknown;
}

export interface SequenceEncoder {
  readonly config: EncoderConfig;
  /**
   * Embeddings [P, embeddingDim], differentiable with respect to `variables()`.
   * Padding (masked steps or sequences) never changes the result, nor does the
   * order of a pair's sequences. A pair with no sequence gets the zero vector.
   * Call inside `tf.tidy` or a gradient tape.
   */
  encode(batch: ContextBatch): tf.Tensor2D;
  /** The trainable variables, in a fixed order. */
  variables(): tf.Variable[];
  /** Number of scalar parameters. */
  parameterCount(): number;
  dispose(): void;
}
