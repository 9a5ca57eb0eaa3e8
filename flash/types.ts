/**
 * Data types shared by the buffer, the meta learner and the API.
 *
 * A *sequence* is the meta learner's unit of input: `steps` rows of `width` numbers,
 * row-major in one Float32Array. For RL a sequence is one trajectory and a row is
 * `[state, action, reward]` (width = stateDim + actionDim + 1); for SL a sequence is
 * the samples of one insert call and a row is `[features, label]`
 * (width = featureDim + labelDim). Rows are stored whole, never copied per step.
 */

/** A (application, environment) pair's identifier. Any non-empty string. */
export type PairId = string;

/** Supervised or reinforcement learning task. */
export type TaskKind = "sl" | "rl";

/** One sequence as stored and as fed to the meta learner. */
export interface SequenceRecord {
  /** Insertion order within the buffer: larger is later. */
  id: number;
  pair: PairId;
  steps: number;
  width: number;
  /** steps x width, row-major. */
  data: Float32Array;
  /** Episode reward (sum of step rewards) for RL; null for SL. */
  reward: number | null;
}

/** A sequence before it is stored. */
export type NewSequence = Omit<SequenceRecord, "id" | "pair">;

/** What a task is registered with: fixed for the life of the buffer. */
export interface TaskSpec {
  task: string;
  kind: TaskKind;
  /** RL: [stateDim, actionDim]; SL: [featureDim, labelDim]. */
  dims: [number, number];
}

/** Row width of a task's sequences. */
export function rowWidth(spec: TaskSpec): number {
  return spec.kind === "rl" ? spec.dims[0] + spec.dims[1] + 1 : spec.dims[0] + spec.dims[1];
}
