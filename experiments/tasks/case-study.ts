/**
 * A case study's descriptor: the one object per task that the harness reads. The task
 * registry (`flash reproduce`, `flash sweep`, `flash tasks`, the pool workers), the golden
 * runs (`flash golden`, experiments/golden/golden.ts), the benchmark (`flash bench`,
 * bench/run.ts) all take what they need from it, so adding a case study is its own
 * files plus one line in `CASE_STUDIES` (experiments/tasks/index.ts).
 *
 * A descriptor module stays light: it imports its task and its benchmark lazily
 * (`await import(...)`), because the CLI and every pool worker load the whole list at
 * start.
 */
import type { RlTask } from "./types.js";

/** What `flash reproduce` passes to a task with its own reproduction. */
export interface ReproduceOptions {
  profile: string;
  /** --seeds when given (RL: replicates; rcs: iterations), else null: the profile's default. */
  seeds: number | null;
  seed: number;
  out: string;
  workers: number | null;
  backend: string | null;
  /** --data: the task's data (dataset names or paths, experiments/datasets.ts), when given. */
  data: string | null;
  /** --pool: generated applications per pretraining pool (rcs), else null: the profile's default. */
  pool?: number | null;
  /** --splits: the subset of a task's splits to run (rcs), else null: all. */
  splits?: string[] | null;
}

/**
 * The golden seeded run of a case study: `flash golden` runs the task's `profile` with
 * these seeds and compares its key numbers with experiments/golden/<name>.json.
 */
export interface GoldenRun {
  /** One line for the golden file: the profile's sizes and what the run covers. */
  description: string;
  profile: string;
  seeds: number;
  seed: number;
}

/** A case study's benchmark in `flash bench`: the speed of its simulator or environment. */
export interface BenchEntry {
  /** What the progress line says is measured, e.g. "Kubernetes simulator". */
  title: string;
  /** Runs it: the figures go into the bench report's results, the lines onto the terminal. */
  run(o: { quick: boolean }): Promise<{ results: Record<string, unknown>; lines: string[] }>;
}

export interface CaseStudy {
  /** The task name of `flash reproduce <name>`; also the golden file's name. */
  readonly name: string;
  /** One line for `flash tasks` and errors. */
  readonly summary: string;
  /** An RL task run by the shared protocols (experiments/protocols/rl-reproduce.ts). */
  readonly rl?: () => Promise<RlTask>;
  /** Or a task with its own reproduction command (rcs). */
  readonly reproduce?: (opts: ReproduceOptions) => Promise<void>;
  /** Its golden seeded run, when it has one (RL tasks). */
  readonly golden?: GoldenRun;
  /** Its benchmark in `flash bench`, when it has one. */
  readonly bench?: BenchEntry;
}

/** A benchmark figure for a table line: 4 significant digits, whole numbers from 1,000 up. */
export function benchFigure(v: unknown): string {
  return typeof v === "number" ? (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4)) : String(v);
}
