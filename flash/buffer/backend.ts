/**
 * The data buffer's storage interface. SQLite (`sqlite.ts`) is the default; another
 * store (PostgreSQL, for many agents on many machines) implements the same methods.
 *
 * Every write is one transaction: a crash loses at most the write in flight, and a
 * rejected write changes nothing.
 */
import type { NewSequence, PairId, SequenceRecord, TaskSpec } from "../types.js";

export interface BufferBackend {
  /**
   * Record a task's spec, or check it against the stored one. Throws
   * RegistrationConflictError when the task is stored with another kind or dims.
   */
  registerTask(spec: TaskSpec): void;
  /** The stored spec of a task, or undefined. */
  taskSpec(task: string): TaskSpec | undefined;
  /** Tasks in the buffer, in registration order. */
  tasks(): string[];
  /** Append sequences for (task, pair) in one transaction; returns their ids in order. */
  insert(task: string, pair: PairId, seqs: readonly NewSequence[]): number[];
  /** Pairs of a task that hold at least one sequence, in order of first insertion. */
  pairs(task: string): PairId[];
  /** Number of sequences stored for (task, pair). */
  count(task: string, pair: PairId): number;
  /**
   * A value that changes whenever (task, pair)'s data changes (the largest id, or 0):
   * the embedding cache key.
   */
  version(task: string, pair: PairId): number;
  /**
   * `version` of each of `pairs`, as of one moment: the check for other connections' writes
   * is made once for all of them (a training batch's pairs), not once per pair.
   */
  versions(task: string, pairs: readonly PairId[]): number[];
  /**
   * The meta learner's context for (task, pair), at most `m` sequences in ascending id order.
   * RL (paper A.1): the ceil(m/2) highest-reward trajectories plus the earliest of the
   * rest up to m. SL: see the implementation's documentation.
   */
  select(task: string, pair: PairId, m: number): SequenceRecord[];
  /** All sequences of (task, pair) in insertion order. */
  all(task: string, pair: PairId): SequenceRecord[];
  close(): void;
}
