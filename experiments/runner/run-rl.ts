/**
 * The programmatic API behind `flash reproduce`, `flash sweep` and `flash rerun` for RL
 * tasks: resolve the config, write it, plan the units, run them on the pool (resuming
 * what finished), summarise with the shared protocols, write results.json and the report.
 *
 *     import { runRl } from "flash-adapt/experiments/runner/run-rl.js";
 *     const results = await runRl({ task: "pendulum-family", profile: "quick", seeds: 2, out: "runs/q" });
 *     await runRl({ task: "autoscaling", profile: "quick", seeds: 1, out: "runs/a", taskOptions: { traces: "/data/load-traces" } });
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { OptionValueError, UsageError } from "../../errors.js";
import { selectBackend } from "../../flash/backend.js";
import { planRl, RL_EXECUTOR, summarise, type RlSummary } from "../protocols/rl-reproduce.js";
import { checkSweepBudget } from "../protocols/pool-sweep.js";
import { writeRlReport } from "../report/rl-report.js";
import { rlTask } from "../tasks/index.js";
import type { FolderOption, RlTask } from "../tasks/types.js";
import { RUN_CONFIG_FORMAT, saveRunConfig, type RunConfig } from "./config.js";
import { runUnits, type PoolOptions, type UnitRecord } from "./pool.js";
import { provenance } from "./provenance.js";
import { migrateResults, provenanceJson, RESULTS_FORMAT, snakeKeys, type RlResults } from "./results.js";
import { planUnits } from "./units.js";
import path from "node:path";

export interface RlRunOptions {
  task: string;
  profile: string;
  /** Replicates 0..seeds-1. */
  seeds: number;
  /** The run seed (default 0). */
  seed?: number;
  out: string;
  workers?: number | null;
  backend?: string | null;
  /** A sweep over pretraining-pool sizes. */
  poolSizes?: number[];
  /** A resolved task config (rerun); default: the profile's for the run seed. */
  taskConfig?: Record<string, unknown>;
  /**
   * Folders for the task's profile (`--traces NAME|PATH`, `--apps DIR`; only those in the task's
   * `folderOptions`). Recorded in config.json; with `taskConfig` (rerun) they are only
   * recorded, the resolved config already holds what they gave.
   */
  taskOptions?: Partial<Record<FolderOption, string>>;
  log?: (line: string) => void;
  heartbeatSeconds?: number;
  /** Skip the figures (tests). */
  noFigures?: boolean;
  /** Run the units through this BullMQ queue (redis://[USER:PASSWORD@]HOST[:PORT][/DB]) on `flash worker` processes instead of the local pool. */
  queue?: string | null;
}

export type { RlResults } from "./results.js";

/** Invocations recorded by an earlier results.json in `out` (resumed runs keep their history). */
function previousInvocations(out: string): RlResults["wall"]["invocations"] {
  const p = path.join(out, "results.json");
  if (!existsSync(p)) return [];
  try {
    const r = migrateResults(JSON.parse(readFileSync(p, "utf8")), p);
    return Array.isArray(r.wall?.invocations) ? r.wall.invocations : [];
  } catch {
    return [];
  }
}

/** `opts` without undefined entries; an error for a folder option the task does not read. */
export function checkTaskOptions(task: RlTask, name: string, opts: RlRunOptions["taskOptions"]): Partial<Record<FolderOption, string>> {
  const out: Partial<Record<FolderOption, string>> = {};
  for (const [k, v] of Object.entries(opts ?? {}) as [FolderOption, string | undefined][]) {
    if (v === undefined) continue;
    if (!task.folderOptions?.[k]) {
      const known = Object.keys(task.folderOptions ?? {});
      throw new UsageError(
        `--${k}: task ${name} does not read this folder (${known.length ? `it reads ${known.map((x) => `--${x}`).join(", ")}` : "it reads no folder"})`,
      );
    }
    if (typeof v !== "string" || v === "") throw new OptionValueError(`--${k}`, "a folder path", v);
    out[k] = v;
  }
  return out;
}

export async function runRl(o: RlRunOptions): Promise<RlResults> {
  const t0 = performance.now();
  const started = new Date().toISOString();
  const task = await rlTask(o.task);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(o.seeds) || o.seeds < 1) throw new OptionValueError("--seeds", "a positive integer", o.seeds);
  const maxPool = o.poolSizes ? Math.max(...o.poolSizes) : undefined;
  const taskOptions = checkTaskOptions(task, o.task, o.taskOptions);
  const raw =
    o.taskConfig ?? (task.profile(o.profile, seed, { ...(maxPool === undefined ? {} : { poolSize: maxPool }), ...taskOptions }) as Record<string, unknown>);
  const cfg = task.validateConfig(structuredClone(raw), "taskConfig") as Record<string, unknown>;
  if (o.poolSizes) for (const n of o.poolSizes) task.pairs(cfg, n); // errors early on a pool size the config cannot give
  if (o.poolSizes) checkSweepBudget(task.budgets(cfg), o.poolSizes, o.profile); // fixed total pretraining budget: every pair trained on
  const config: RunConfig = {
    format: RUN_CONFIG_FORMAT,
    command: o.poolSizes ? "sweep" : "reproduce",
    task: o.task,
    profile: o.profile,
    seed,
    seeds: o.seeds,
    workers: o.workers ?? null,
    backend: o.backend ?? null,
    ...(o.poolSizes ? { poolSizes: o.poolSizes } : {}),
    ...(Object.keys(taskOptions).length ? { taskOptions } : {}),
    taskConfig: cfg,
  };
  saveRunConfig(o.out, config);
  const backend = await selectBackend(o.backend ?? undefined);
  const plan = planUnits(planRl(task, o.task, cfg, o.seeds, o.poolSizes, seed), seed, RL_EXECUTOR);
  const pool: PoolOptions = {
    outDir: o.out,
    executor: RL_EXECUTOR,
    workers: o.workers ?? undefined,
    backend: backend.name,
    log: o.log,
    heartbeatSeconds: o.heartbeatSeconds,
    label: `${o.task} ${o.profile}`,
  };
  const res = o.queue ? await (await import("./queue/coordinator.js")).runUnitsOnQueue(plan, { ...pool, queue: o.queue }) : await runUnits(plan, pool);
  // Plan order, not completion order: results.json does not depend on the number of workers.
  const records = new Map(plan.map((u) => [u.id, res.records.get(u.id) as UnitRecord]));
  const results = assemble(
    task.profileTable?.[o.profile]?.purpose ?? null,
    task.describe(cfg),
    task.paper ?? null,
    config,
    records,
    plan.map((u) => ({ id: u.id, seed: u.seed })),
    summarise(task, cfg, records, o.poolSizes),
    backend.name,
    {
      seconds: (performance.now() - t0) / 1000,
      workers: res.workers,
      ran: res.ran,
      resumed: res.resumed,
      started,
      previous: previousInvocations(o.out),
    },
  );
  results.provenance = provenanceJson(provenance(backend));
  writeFileSync(path.join(o.out, "results.json"), JSON.stringify(results, null, 2) + "\n");
  if (!o.noFigures) await writeRlReport(o.out, results);
  return results;
}

function assemble(
  profilePurpose: string | null,
  describe: string,
  paper: unknown,
  config: RunConfig,
  records: ReadonlyMap<string, UnitRecord>,
  seeds: { id: string; seed: number }[],
  summary: RlSummary,
  backend: string,
  w: { seconds: number; workers: number; ran: number; resumed: number; started: string; previous: RlResults["wall"]["invocations"] },
): RlResults {
  const byKind: Record<string, number> = {};
  let sum = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const r of records.values()) {
    byKind[r.kind] = (byKind[r.kind] ?? 0) + r.seconds;
    sum += r.seconds;
    const end = Date.parse(r.finishedAt);
    if (Number.isFinite(end)) {
      first = Math.min(first, end - 1000 * r.seconds);
      last = Math.max(last, end);
    }
  }
  return {
    format: RESULTS_FORMAT,
    task: config.task,
    profile: config.profile,
    profile_purpose: profilePurpose,
    command: config.command,
    describe,
    paper: snakeKeys(paper),
    seeds: { run: config.seed, replicates: Array.from({ length: config.seeds }, (_, i) => i), units: Object.fromEntries(seeds.map((s) => [s.id, s.seed])) },
    backend,
    provenance: undefined as unknown as RlResults["provenance"],
    wall: {
      seconds: w.seconds,
      units_span_seconds: Number.isFinite(first) ? (last - first) / 1000 : 0,
      unit_seconds_sum: sum,
      by_kind: byKind,
      workers: w.workers,
      ran_units: w.ran,
      resumed_units: w.resumed,
      invocations: [...w.previous, { started: w.started, seconds: w.seconds, ran_units: w.ran, workers: w.workers }],
    },
    config,
    units: [...records.values()].map((r) => ({
      id: r.id,
      kind: r.kind,
      seed: r.seed,
      seconds: r.seconds,
      worker: r.worker,
      ...(r.host ? { host: r.host } : {}),
      resumed: r.resumed === true,
    })),
    ...summary,
  };
}
