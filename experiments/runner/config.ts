/**
 * The one run-configuration format. Every `flash reproduce` / `flash sweep` writes
 * `OUT/config.json` before running anything; it records everything the results depend
 * on (task, profile, the task's fully resolved settings, run seed, replicate seeds,
 * sweep values) plus how it ran (workers, backend), so `flash rerun OUT` repeats it.
 *
 *     {
 *       "format": "flash-adapt-run@1",
 *       "command": "reproduce",            // "reproduce" | "sweep"
 *       "task": "pendulum-family",
 *       "profile": "quick",                // the named preset the task settings came from
 *       "seed": 0,                         // run seed: every unit seed derives from it
 *       "seeds": 3,                        // replicates 0..seeds-1
 *       "workers": 2,                      // null: one per core (never changes results)
 *       "backend": null,                   // TF.js backend name or null: best available
 *       "poolSizes": [2, 4],               // sweep only
 *       "pretrainPerPair": 35,             // sweep only, --budget per-pair:35 (absent: a fixed total)
 *       "taskOptions": { "traces": "/abs/load-traces" },  // --traces/--apps, when given
 *       "taskConfig": { ... },             // the task's settings, validated by the task (replicate 0's pairs)
 *       "replicateConfigs": [ { ... } ]    // replicates 1..seeds-1 of a task that draws each replicate's
 *     }                                    //   own pairs (protocols/replicates.ts): for the record; rerun derives them again
 *
 * Unknown fields, wrong types and out-of-range values are errors naming the field.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stableStringify } from "./units.js";
import { ConfigError } from "../../errors.js";

export const RUN_CONFIG_FORMAT = "flash-adapt-run@1";

export interface RunConfig {
  format: typeof RUN_CONFIG_FORMAT;
  command: "reproduce" | "sweep";
  task: string;
  profile: string;
  seed: number;
  seeds: number;
  workers: number | null;
  backend: string | null;
  poolSizes?: number[];
  /** Sweep only: each pool size pretrains for this many episodes per pool pair (`--budget per-pair:N`); absent: the config's fixed total. */
  pretrainPerPair?: number;
  /** The folder options the run was started with (`--traces`, `--apps`), absolute paths; absent when none. */
  taskOptions?: Record<string, string>;
  taskConfig: Record<string, unknown>;
  /**
   * The task configs of replicates 1..seeds-1 when the task draws each replicate's own
   * pairs (`RlTask.replicateConfig`), so that config.json lists every pair the run used.
   * Derived from `taskConfig` and `seed`: not part of what a resumed run must match, and
   * rewritten by every invocation (a rerun with more `seeds` adds the new replicates').
   */
  replicateConfigs?: Record<string, unknown>[];
}

export { ConfigError };

const KEYS = [
  "format",
  "command",
  "task",
  "profile",
  "seed",
  "seeds",
  "workers",
  "backend",
  "poolSizes",
  "pretrainPerPair",
  "taskOptions",
  "taskConfig",
  "replicateConfigs",
];

function int(v: unknown, where: string, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new ConfigError(`${where}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** Validate a parsed config; `source` names it in errors. */
export function parseRunConfig(data: unknown, source: string): RunConfig {
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new ConfigError(`${source}: expected a JSON object`);
  const o = data as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new ConfigError(`${source}: unknown field "${k}"; expected ${KEYS.join(", ")}`);
  if (o.format !== RUN_CONFIG_FORMAT) throw new ConfigError(`${source}: format: expected "${RUN_CONFIG_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.command !== "reproduce" && o.command !== "sweep")
    throw new ConfigError(`${source}: command: expected "reproduce" or "sweep", got ${JSON.stringify(o.command)}`);
  for (const k of ["task", "profile"] as const)
    if (typeof o[k] !== "string" || !(o[k] as string)) throw new ConfigError(`${source}: ${k}: expected a non-empty string, got ${JSON.stringify(o[k])}`);
  const cfg: RunConfig = {
    format: RUN_CONFIG_FORMAT,
    command: o.command,
    task: o.task as string,
    profile: o.profile as string,
    seed: int(o.seed, `${source}: seed`, 0),
    seeds: int(o.seeds, `${source}: seeds`, 1),
    workers: o.workers === null || o.workers === undefined ? null : int(o.workers, `${source}: workers`, 0),
    backend:
      o.backend === null || o.backend === undefined
        ? null
        : typeof o.backend === "string"
          ? o.backend
          : (() => {
              throw new ConfigError(`${source}: backend: expected a string or null`);
            })(),
    taskConfig: {},
  };
  if (o.taskConfig === null || typeof o.taskConfig !== "object" || Array.isArray(o.taskConfig))
    throw new ConfigError(`${source}: taskConfig: expected an object`);
  cfg.taskConfig = o.taskConfig as Record<string, unknown>;
  if (o.replicateConfigs !== undefined) {
    if (!Array.isArray(o.replicateConfigs) || o.replicateConfigs.some((c) => c === null || typeof c !== "object" || Array.isArray(c)))
      throw new ConfigError(`${source}: replicateConfigs: expected an array of task config objects (replicates 1..seeds-1)`);
    cfg.replicateConfigs = o.replicateConfigs as Record<string, unknown>[];
  }
  if (o.taskOptions !== undefined) {
    if (o.taskOptions === null || typeof o.taskOptions !== "object" || Array.isArray(o.taskOptions))
      throw new ConfigError(`${source}: taskOptions: expected an object of folder paths`);
    const opts: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.taskOptions)) {
      if (typeof v !== "string" || v === "") throw new ConfigError(`${source}: taskOptions.${k}: expected a folder path, got ${JSON.stringify(v)}`);
      opts[k] = v;
    }
    cfg.taskOptions = opts;
  }
  if (o.command === "sweep") {
    if (!Array.isArray(o.poolSizes) || o.poolSizes.length === 0) throw new ConfigError(`${source}: poolSizes: a sweep needs a non-empty array of pool sizes`);
    cfg.poolSizes = o.poolSizes.map((v, i) => int(v, `${source}: poolSizes[${i}]`, 1));
    if (o.pretrainPerPair !== undefined) cfg.pretrainPerPair = int(o.pretrainPerPair, `${source}: pretrainPerPair`, 1);
  } else if (o.poolSizes !== undefined) {
    throw new ConfigError(`${source}: poolSizes: only a sweep has pool sizes`);
  } else if (o.pretrainPerPair !== undefined) {
    throw new ConfigError(`${source}: pretrainPerPair: only a sweep has a per-pair pretraining budget`);
  }
  return cfg;
}

export const configPath = (outDir: string) => path.join(outDir, "config.json");

export function loadRunConfig(outDir: string): RunConfig {
  const p = configPath(outDir);
  if (!existsSync(p)) throw new ConfigError(`${outDir}: no config.json (is this a run directory written by flash reproduce or flash sweep?)`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(p, "utf8"));
  } catch (e) {
    throw new ConfigError(`${p}: malformed JSON (${(e as Error).message})`);
  }
  return parseRunConfig(data, p);
}

/** The fields that determine results (workers and backend name aside). */
function resultKey(c: RunConfig): string {
  const { command, task, seed, seeds, poolSizes, pretrainPerPair, taskConfig } = c;
  return stableStringify({ command, task, seed, seeds, poolSizes, pretrainPerPair, taskConfig });
}

/**
 * Write `cfg` to `outDir/config.json`. If the directory already holds a run with a
 * different configuration, refuse (resuming it would mix results), naming the fields.
 */
export function saveRunConfig(outDir: string, cfg: RunConfig): void {
  const p = configPath(outDir);
  if (existsSync(p)) {
    const old = loadRunConfig(outDir);
    if (resultKey(old) !== resultKey(cfg)) {
      const diff = (["command", "task", "seed", "seeds", "poolSizes", "pretrainPerPair", "taskConfig"] as const).filter(
        (k) => stableStringify(old[k]) !== stableStringify(cfg[k]),
      );
      throw new ConfigError(
        `${outDir} holds a run with another configuration (differs in ${diff.join(", ")}); use another --out, or \`flash rerun ${outDir}\` to resume it`,
      );
    }
  }
  mkdirSync(outDir, { recursive: true });
  const tmp = `${p}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(cfg, null, 2) + "\n");
  renameSync(tmp, p);
}
