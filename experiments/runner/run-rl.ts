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
import { drawsPerReplicate, replicateConfigs } from "../protocols/replicates.js";
import { applySweepBudget, type SweepBudget } from "../protocols/sweep-budget.js";
import { writeRlReport } from "../report/rl-report.js";
import { rlTask } from "../tasks/index.js";
import type { FolderOption, RlTask } from "../tasks/types.js";
import { loadRunConfig, RUN_CONFIG_FORMAT, saveRunConfig, type RunConfig } from "./config.js";
import { runUnits, type PoolOptions, type UnitRecord } from "./pool.js";
import { provenance } from "./provenance.js";
import { migrateResults, provenanceJson, RESULTS_FORMAT, snakeKeys, type RlResults } from "./results.js";
import { planUnits, type PlannedUnit } from "./units.js";
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
  /**
   * A sweep's pretraining budget (`--budget`): a fixed total, or episodes per pool pair.
   * Default: a fresh run takes the profile's `sweepPerPair` when it has one, else the
   * config's total; a rerun (`taskConfig` given) passes what config.json recorded.
   */
  budget?: SweepBudget;
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

/**
 * CPU seconds (user + system) of this process since `from`: every worker thread of the
 * local pool included. On a shared machine a unit's wall seconds grow with the load; its
 * CPU seconds much less, so CPU seconds / cores estimates the wall time on a quiet machine.
 */
function cpuSecondsSince(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

/** The options that repeat the run recorded in `dir` (as `flash rerun DIR`). */
export function rerunOptions(dir: string): RlRunOptions {
  const c = loadRunConfig(dir);
  return {
    task: c.task,
    profile: c.profile,
    seeds: c.seeds,
    seed: c.seed,
    out: dir,
    workers: c.workers,
    backend: c.backend,
    poolSizes: c.poolSizes,
    ...(c.pretrainPerPair !== undefined ? { budget: { kind: "per-pair", episodes: c.pretrainPerPair } as const } : {}),
    taskOptions: c.taskOptions,
    taskConfig: c.taskConfig,
  };
}

/** A run resolved but not started: its task, validated config, config.json and planned units (runRl runs it; `--plan` prints it). */
export interface PreparedRl {
  task: RlTask;
  cfg: Record<string, unknown>;
  config: RunConfig;
  plan: PlannedUnit[];
  perPair: number | undefined;
}

/** Resolve a run's config (profile, folders, sweep budget), validate it and plan its units; writes nothing. */
export async function prepareRl(o: RlRunOptions): Promise<PreparedRl> {
  const task = await rlTask(o.task);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(o.seeds) || o.seeds < 1) throw new OptionValueError("--seeds", "a positive integer", o.seeds);
  const maxPool = o.poolSizes ? Math.max(...o.poolSizes) : undefined;
  const taskOptions = checkTaskOptions(task, o.task, o.taskOptions);
  const raw =
    o.taskConfig ?? (task.profile(o.profile, seed, { ...(maxPool === undefined ? {} : { poolSize: maxPool }), ...taskOptions }) as Record<string, unknown>);
  const validated = task.validateConfig(structuredClone(raw), "taskConfig") as Record<string, unknown>;
  if (o.poolSizes) for (const n of o.poolSizes) task.pairs(validated, n); // errors early on a pool size the config cannot give
  if (o.budget && !o.poolSizes) throw new UsageError("--budget: only a sweep (flash sweep --pool-sizes ...) has a pretraining budget per pool size");
  const perPairDefault = o.taskConfig === undefined ? task.profileTable?.[o.profile]?.sweepPerPair : undefined;
  const budget = o.budget ?? (perPairDefault ? ({ kind: "per-pair", episodes: perPairDefault } as const) : undefined);
  const { cfg, perPair } = o.poolSizes ? applySweepBudget(task, validated, budget, o.poolSizes, o.profile) : { cfg: validated, perPair: undefined };
  // Each replicate's own pairs, when the task draws them (checked disjoint); recorded so config.json lists every pair.
  const more = drawsPerReplicate(task)
    ? replicateConfigs(task, cfg, seed, o.seeds)
        .slice(1)
        .map((c, i) => task.validateConfig(structuredClone(c), `replicate ${i + 1}'s taskConfig`) as Record<string, unknown>)
    : [];
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
    ...(perPair !== undefined ? { pretrainPerPair: perPair } : {}),
    ...(Object.keys(taskOptions).length ? { taskOptions } : {}),
    taskConfig: cfg,
    ...(more.length ? { replicateConfigs: more } : {}),
  };
  const plan = planUnits(planRl(task, o.task, cfg, o.seeds, o.poolSizes, seed, perPair), seed, RL_EXECUTOR);
  return { task, cfg, config, plan, perPair };
}

export async function runRl(o: RlRunOptions): Promise<RlResults> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const started = new Date().toISOString();
  const { task, cfg, config, plan } = await prepareRl(o);
  saveRunConfig(o.out, config);
  const backend = await selectBackend(o.backend ?? undefined);
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
    summarise(task, cfg, records, o.poolSizes, { seed: config.seed, replicates: o.seeds }),
    backend.name,
    {
      seconds: (performance.now() - t0) / 1000,
      cpuSeconds: cpuSecondsSince(cpu0),
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
  w: { seconds: number; cpuSeconds: number; workers: number; ran: number; resumed: number; started: string; previous: RlResults["wall"]["invocations"] },
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
      cpu_seconds: w.cpuSeconds,
      invocations: [...w.previous, { started: w.started, seconds: w.seconds, cpu_seconds: w.cpuSeconds, ran_units: w.ran, workers: w.workers }],
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
