/**
 * `flash reproduce`, `flash sweep`, `flash report`, `flash rerun` and `flash golden`.
 *
 *   flash reproduce <task> [--profile quick|full] [--seeds N] [--seed S] [--out DIR] [--workers W] [--backend B]
 *                          [--traces NAME|PATH] [--apps DIR] [--data NAME|DIR[,...]]
 *   flash sweep <task> --pool-sizes 2,4,8 [--budget total:N|per-pair:N] [--profile quick] [--seeds N] [--seed S] [--out DIR] [--workers W]
 *                      [--traces NAME|PATH] [--apps DIR]
 *   flash report DIR                 re-render report.md and figures from DIR/results.json
 *   flash rerun DIR [--out NEW]      repeat the run recorded in DIR/config.json (default NEW: DIR, i.e. resume)
 *   ... --plan [--timings DIR]       reproduce, sweep, rerun: print the units, their count by kind and an estimated
 *                                    wall time (plan-run.ts), and run nothing
 *   ... --queue redis://[USER:PASSWORD@]HOST[:PORT][/DB]  run the units on `flash worker` processes through that queue (queue/)
 *   flash golden [--update]          check (or deliberately refresh) the golden seeded runs
 *   flash room <task> [--profile quick] [--seed S] [--out DIR] [--references [--seeds N]] [--workers W] [--traces NAME|PATH] [--apps DIR]
 *                                    the room benchmark (fixed actions on every pair) and, with --references, the reference rule
 *   flash datasets                   the dataset names data options accept and where they resolve
 *
 * `reproduce` dispatches through the task registry (experiments/tasks/index.ts): RL
 * tasks run the shared protocols; a task with its own `reproduce` runs that.
 * `--traces` / `--apps` go to an RL task's `profile` (only a task that lists them in
 * `folderOptions`) and into config.json, so `flash rerun` repeats them; `--data` goes to
 * a task with its own reproduction (rcs). Data options take a dataset name or a path
 * (experiments/datasets.ts, data/README.md).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { DataError, MissingPathError, OptionValueError, UsageError } from "../../errors.js";
import { intOption, type Command, type OptionSpec, type ParsedOptions } from "../args.js";
import { dataRoot, DATASETS, isDatasetName, resolveDataset, SYNTHETIC, type DatasetName } from "../datasets.js";
import { rlTask, taskEntry, taskNames } from "../tasks/index.js";
import type { FolderOption } from "../tasks/types.js";
import { checkTaskOptions, rerunOptions, runRl, type RlRunOptions } from "./run-rl.js";
import { planRun } from "./plan-run.js";
import { parseQueueUrl } from "./queue/url.js";
import { parseSweepBudget } from "../protocols/sweep-budget.js";

/** `--queue URL`, checked now (a typo should not surface after planning): a QueueUrlError is a usage error. */
function queueOpt(o: ParsedOptions): string | null {
  const v = o.queue;
  if (v === undefined) return null;
  parseQueueUrl(String(v));
  return String(v);
}

function oneTask(positionals: string[]): string {
  if (positionals.length !== 1)
    throw new UsageError(`expected one task name (known: ${taskNames().join(", ")}), got ${positionals.length ? positionals.join(" ") : "none"}`);
  const name = positionals[0];
  taskEntry(name); // an UnknownNameError (a usage error) listing the known tasks
  return name;
}

/** The one positional folder, which must exist and hold `file` (named in the error when it does not). */
function oneDir(positionals: string[], what: string, file: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one ${what}, got ${positionals.length ? positionals.join(" ") : "none"}`);
  const dir = positionals[0];
  if (!existsSync(dir)) throw new MissingPathError(dir, `${what} "${dir}" does not exist`);
  if (!existsSync(path.join(dir, file)))
    throw new MissingPathError(dir, `${what} "${dir}" holds no ${file} (is it a run directory written by flash reproduce or flash sweep?)`);
  return dir;
}

/** Parses `file` as JSON, or a DataError naming the file: a malformed file is a failure, not a crash. */
function checkJsonFile(file: string): void {
  try {
    JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new DataError(`${file}: malformed JSON (${(e as Error).message})`);
  }
}

const FOLDER_OPTIONS: FolderOption[] = ["traces", "apps"];

/**
 * `--traces`: a dataset name or `synthetic` stays a name (config.json records it, and the
 * task resolves it against the kind of traces it reads); a path must exist (a folder, or
 * one trace file) and becomes absolute.
 */
function traceSource(v: string): string {
  if (isDatasetName(v) || v === SYNTHETIC) return v;
  return resolveDataset(v, { option: "--traces", kinds: ["load-traces", "link-traces"], synthetic: true }) as string;
}

/** `--apps`: an existing folder, as an absolute path. */
function folderPath(v: string, k: FolderOption): string {
  let isDir = false;
  try {
    isDir = statSync(v).isDirectory();
  } catch {
    throw new MissingPathError(v, `--${k}: folder "${v}" does not exist`);
  }
  if (!isDir) throw new MissingPathError(v, `--${k}: "${v}" is not a folder`);
  return path.resolve(v);
}

/**
 * `--traces` / `--apps`, checked: names stay names, paths become absolute (so `flash
 * rerun` works from any directory) and must exist, and the task must read the option;
 * errors name the option and the value.
 */
async function folderOptions(o: ParsedOptions, task: string): Promise<Partial<Record<FolderOption, string>>> {
  const out: Partial<Record<FolderOption, string>> = {};
  for (const k of FOLDER_OPTIONS) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "") throw new OptionValueError(`--${k}`, k === "traces" ? "a dataset name or a path" : "a folder path", v);
    out[k] = k === "traces" ? traceSource(v) : folderPath(v, k);
  }
  if (Object.keys(out).length === 0) return out;
  const entry = taskEntry(task);
  if (!entry.rl)
    throw new UsageError(
      `${Object.keys(out)
        .map((k) => `--${k}`)
        .join(", ")}: task ${task} does not read this folder${entry.reproduce ? " (it reads --data DIR)" : ""}`,
    );
  try {
    return checkTaskOptions(await rlTask(task), task, out);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function printHeadline(out: string, r: Awaited<ReturnType<typeof runRl>>): void {
  const f = (m: { mean: number; ci95: number | null; n: number } | null) =>
    m ? `${m.mean.toFixed(3)} ± ${m.ci95 === null ? "n/a" : m.ci95.toFixed(3)} (n=${m.n})` : "n/a";
  console.log(
    JSON.stringify(
      {
        out,
        backend: r.backend,
        seeds: r.seeds.replicates.length,
        wall_seconds: Math.round(r.wall.seconds),
        units_span_seconds: Math.round(r.wall.units_span_seconds),
        adaptation_speedup_vs_tl: f(r.adaptation_speedup_vs_tl),
        reward_drop_flash: f(r.reward_drop.flash),
        reward_drop_original: f(r.reward_drop.original),
        reward_drop_tl: f(r.reward_drop.tl),
        ...(r.reference_rule
          ? { references_reached: r.reference_rule.fraction_reached, reference_sources: r.reference_rule.by_source, room: r.room?.verdict.outcome ?? null }
          : {}),
        ...(Object.keys(r.baselines ?? {}).length
          ? { baselines: Object.fromEntries(Object.entries(r.baselines).map(([k, b]) => [k, { reward: f(b.reward), reward_drop: f(b.reward_drop) }])) }
          : {}),
        ...(r.sweep
          ? {
              sweep: r.sweep.map((s) => ({
                pool: s.pool_size,
                speedup_vs_tl: f(s.speedup_vs_tl),
                episodes: Object.fromEntries(s.adaptation.map((a) => [a.variant, f(a.episodes)])),
              })),
            }
          : {}),
      },
      null,
      2,
    ),
  );
  console.error(`wrote ${out}/results.json, ${out}/report.md and ${out}/figures/`);
}

/** `--plan` and `--timings DIR` (reproduce, sweep, rerun). */
function planOptions() {
  return {
    plan: {
      type: "boolean",
      description:
        "print the units, their count by kind and an estimated wall time on this machine, and run nothing (costs: a short calibration, or --timings)",
    },
    timings: { type: "string", description: "with --plan: per-episode costs from the finished units of this run directory instead of a calibration" },
  } satisfies Record<string, OptionSpec>;
}

/** With `--plan`: print the plan of run `o` and return true (nothing runs); `resumeDir`: the directory a rerun resumes. */
async function maybePlan(o: ParsedOptions, run: RlRunOptions, resumeDir?: string): Promise<boolean> {
  if (o.timings !== undefined && o.plan !== true) throw new UsageError("--timings: only with --plan");
  if (o.plan !== true) return false;
  if (o.queue !== undefined) throw new UsageError("--plan: estimates the local pool's wall time; leave out --queue");
  const timings = o.timings === undefined ? undefined : oneDir([String(o.timings)], "--timings run directory", "config.json");
  for (const l of await planRun(run, { timings, ...(resumeDir ? { resumeDir } : {}) })) console.log(l);
  return true;
}

/** The options reproduce and sweep share (rerun takes some of them). */
function commonOptions(backendOption: OptionSpec) {
  return {
    profile: { type: "string", description: "named preset of the task (`flash tasks` lists each task's profiles and what they are for)", default: "quick" },
    seeds: {
      type: "string",
      description:
        "replicates (each with its own derived seeds and, where the task draws them, its own pairs; default: the profile's, else 2; rcs: iterations, default by profile)",
    },
    seed: { type: "string", description: "run seed: every unit seed and the pairs derive from it", default: "0" },
    workers: { type: "string", description: "worker threads (default: one per core; 0 = this thread); never changes results" },
    backend: backendOption,
    traces: {
      type: "string",
      description:
        "traces for a task that reads them: a dataset name (autoscaling, cpufreq: load-traces or one trace such as azure-functions-2019; congestion: " +
        "network-traces; data/README.md), synthetic, or a path (a folder in the same layout, or one trace file); default: the profile's",
    },
    apps: {
      type: "string",
      description: "folder of application JSON files for a task that reads one (autoscaling; sim/k8s/README.md); default generated applications",
    },
    queue: {
      type: "string",
      description:
        "redis://[USER:PASSWORD@]HOST[:PORT][/DB] (rediss:// for TLS): run the units on `flash worker` processes through this queue instead of local workers (docs/distributed.md)",
    },
    ...planOptions(),
  } satisfies Record<string, OptionSpec>;
}
type CommonOptions = ReturnType<typeof commonOptions>;

/** Replicates without `--seeds`: the profile's own count (its table's `replicates`), else 2. */
async function defaultReplicates(task: string, profile: string): Promise<number> {
  return (await rlTask(task)).profileTable?.[profile]?.replicates ?? 2;
}

/** `flash reproduce TASK`: the paper's protocols on one task. */
function reproduceCommand(common: CommonOptions): Command {
  return {
    summary: "run the paper's protocols on a task: report.md, results.json, figures (resumes from finished units in --out)",
    options: {
      ...common,
      out: { type: "string", description: "output directory (default runs/<task>-<profile>)" },
      data: {
        type: "string",
        description:
          "data of a task with its own reproduction (rcs: serverless-functions, multi-cloud, or both comma-separated, as names or folders in " +
          "their layouts; default both of the repository's)",
      },
      pool: { type: "string", description: "rcs: generated applications per pretraining pool (default by profile: quick 200, full 1000)" },
      splits: { type: "string", description: "rcs: comma-separated subset of fit,a,b,c-workloads,c-providers,gen-new,gen-real,gen-loao (default all)" },
    },
    async run(o, pos) {
      const task = oneTask(pos);
      const explicitSeeds = intOption(o, "seeds", 1);
      const seed = intOption(o, "seed", 0) as number;
      const out = (o.out as string | undefined) ?? `runs/${task}-${o.profile}`;
      const entry = taskEntry(task);
      const workers = intOption(o, "workers", 0) ?? null;
      const backend = (o.backend as string | undefined) ?? null;
      const taskOptions = await folderOptions(o, task);
      const queue = queueOpt(o);
      if (entry.reproduce && queue) throw new UsageError(`--queue: task ${task} runs its own reproduction, not the runner's units`);
      if (entry.reproduce && o.plan) throw new UsageError(`--plan: task ${task} runs its own reproduction, not the runner's units`);
      if (!entry.reproduce && (o.pool !== undefined || o.splits !== undefined)) throw new UsageError(`--pool and --splits: only for rcs, not task ${task}`);
      if (entry.reproduce)
        return entry.reproduce({
          profile: String(o.profile),
          seeds: explicitSeeds ?? null,
          seed,
          out,
          workers,
          backend,
          data: (o.data as string | undefined) ?? null,
          pool: intOption(o, "pool", 1) ?? null,
          splits: typeof o.splits === "string" ? o.splits.split(",").map((x) => x.trim()) : null,
        });
      if (o.data !== undefined) {
        const reads = Object.keys((await rlTask(task)).folderOptions ?? {});
        throw new UsageError(
          `--data: task ${task} does not read a data folder${reads.length ? ` (it reads ${reads.map((k) => `--${k} DIR`).join(", ")})` : ""}`,
        );
      }
      const seeds = explicitSeeds ?? (await defaultReplicates(task, String(o.profile)));
      const run: RlRunOptions = { task, profile: String(o.profile), seeds, seed, out, workers, backend, taskOptions, queue };
      if (await maybePlan(o, run)) return;
      printHeadline(out, await runRl(run));
    },
  };
}

/** `flash sweep TASK --pool-sizes ...`: the protocols per pretraining-pool size. */
function sweepCommand(common: CommonOptions): Command {
  return {
    summary: "sweep pretraining-pool sizes: adaptation cost and amortisation per pool size",
    options: {
      ...common,
      "pool-sizes": { type: "string", description: "comma-separated pool sizes, e.g. 2,4,8" },
      budget: {
        type: "string",
        description:
          "pretraining budget per pool size: total:N (N episodes at every size; default: the profile's total) or per-pair:N (N x size episodes; " +
          "the paper's ~35)",
      },
      out: { type: "string", description: "output directory (default runs/<task>-sweep)" },
    },
    async run(o, pos) {
      const task = oneTask(pos);
      if (!taskEntry(task).rl) throw new UsageError(`task ${task} has no RL protocols to sweep`);
      const raw = o["pool-sizes"];
      if (typeof raw !== "string") throw new UsageError("--pool-sizes is required, e.g. --pool-sizes 2,4,8");
      const sizes = raw.split(",").map((s) => Number(s.trim()));
      if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new OptionValueError("--pool-sizes", "positive integers separated by commas", raw);
      const out = (o.out as string | undefined) ?? `runs/${task}-sweep`;
      const taskOptions = await folderOptions(o, task);
      const run: RlRunOptions = {
        task,
        profile: String(o.profile),
        seeds: intOption(o, "seeds", 1) ?? (await defaultReplicates(task, String(o.profile))),
        seed: intOption(o, "seed", 0) as number,
        out,
        workers: intOption(o, "workers", 0) ?? null,
        backend: (o.backend as string | undefined) ?? null,
        poolSizes: [...new Set(sizes)].sort((a, b) => a - b),
        ...(o.budget !== undefined ? { budget: parseSweepBudget(o.budget) } : {}),
        taskOptions,
        queue: queueOpt(o),
      };
      if (await maybePlan(o, run)) return;
      printHeadline(out, await runRl(run));
    },
  };
}

/** `flash report DIR`: re-render a run's report. */
function reportCommand(): Command {
  return {
    summary: "re-render DIR/report.md and DIR/figures from DIR/results.json (no re-running)",
    options: {},
    async run(_o, pos) {
      const dir = oneDir(pos, "run directory", "results.json");
      checkJsonFile(path.join(dir, "results.json"));
      const { rerender } = await import("../report/rl-report.js");
      const figs = await rerender(dir);
      console.error(`wrote ${dir}/report.md and ${figs.length} figures in ${dir}/figures/`);
    },
  };
}

/** `flash room TASK`: the room benchmark (and the reference rule with --references), no pretraining or A/B tests. */
function roomCommand(common: CommonOptions): Command {
  return {
    summary: "room benchmark: every fixed action on every pair, pair-blind and leave-one-application-out losses (room.json, room.md)",
    options: {
      profile: common.profile,
      seed: common.seed,
      workers: common.workers,
      backend: common.backend,
      traces: common.traces,
      apps: common.apps,
      out: { type: "string", description: "output directory (default runs/<task>-room-<profile>)" },
      references: { type: "boolean", description: "also train the RL references (as flash reproduce does) and compare them with the best non-learning policy" },
      seeds: { type: "string", description: "with --references: reference replicates (default 2)" },
    },
    async run(o, pos) {
      const task = oneTask(pos);
      if (!taskEntry(task).rl) throw new UsageError(`task ${task} has no RL pairs to measure room on`);
      if (o.seeds !== undefined && o.references !== true)
        throw new UsageError("--seeds: only with --references (the room search does not depend on replicates)");
      const out = (o.out as string | undefined) ?? `runs/${task}-room-${o.profile}`;
      const { runRoom } = await import("./run-room.js");
      const r = await runRoom({
        task,
        profile: String(o.profile),
        seed: intOption(o, "seed", 0) as number,
        out,
        references: o.references === true,
        seeds: intOption(o, "seeds", 1) ?? 2,
        workers: intOption(o, "workers", 0) ?? null,
        backend: (o.backend as string | undefined) ?? null,
        taskOptions: await folderOptions(o, task),
      });
      const v = r.room?.verdict;
      console.log(
        JSON.stringify(
          {
            out,
            backend: r.backend,
            wall_seconds: Math.round(r.wall.seconds),
            room: v?.outcome ?? null,
            verdict: v?.text ?? null,
            fraction_reached: r.reference_rule?.fraction_reached ?? null,
            by_source: r.reference_rule?.by_source ?? null,
          },
          null,
          2,
        ),
      );
      console.error(`wrote ${out}/room.json and ${out}/room.md`);
    },
  };
}

/** `flash rerun DIR`: repeat (or resume) a recorded run. */
function rerunCommand(common: CommonOptions, backendOption: OptionSpec): Command {
  return {
    summary: "repeat the run recorded in DIR/config.json (into --out; default DIR itself, which resumes)",
    options: {
      out: { type: "string", description: "output directory (default: DIR)" },
      workers: common.workers,
      backend: backendOption,
      queue: common.queue,
      ...planOptions(),
    },
    async run(o, pos) {
      const dir = oneDir(pos, "run directory", "config.json");
      const recorded = rerunOptions(dir);
      const out = (o.out as string | undefined) ?? dir;
      const run: RlRunOptions = {
        ...recorded,
        out,
        workers: intOption(o, "workers", 0) ?? recorded.workers,
        backend: (o.backend as string | undefined) ?? recorded.backend,
        queue: queueOpt(o),
      };
      // A plan of a resume (into DIR itself) leaves out DIR's finished units.
      if (await maybePlan(o, run, out === dir ? dir : undefined)) return;
      printHeadline(out, await runRl(run));
    },
  };
}

/** The lines `flash tasks` prints: each task, its summary and its profiles (from the task's profile table). */
export async function taskLines(): Promise<string[]> {
  const lines: string[] = [];
  for (const name of taskNames()) {
    const entry = taskEntry(name);
    lines.push(`${name}: ${entry.summary}`);
    if (!entry.rl) continue;
    const task = await entry.rl();
    const table = task.profileTable;
    if (table) for (const [p, x] of Object.entries(table)) lines.push(`  --profile ${p} (pool ${x.pool}, ${x.test} new pairs): ${x.purpose}`);
    else lines.push(`  --profile ${task.profiles.join(" | ")}`);
  }
  return lines;
}

/** `flash tasks`: the tasks and their profiles. */
function tasksCommand(): Command {
  return {
    summary: "list the tasks and, for each, its profiles (--profile) and what they are for",
    options: {},
    async run() {
      for (const l of await taskLines()) console.log(l);
    },
  };
}

/** `flash datasets`: the dataset names data options accept, and where each resolves. */
function datasetsCommand(): Command {
  return {
    summary: "list the datasets the repository carries: the names --traces and --data accept, what each holds, where it resolves",
    options: {},
    async run() {
      for (const name of Object.keys(DATASETS) as DatasetName[]) {
        const d = DATASETS[name];
        const where = path.join(dataRoot(), d.path);
        console.log(`${name} (${d.kind}): ${d.what}\n  ${where}${existsSync(where) ? "" : "  (missing)"}`);
      }
    },
  };
}

/** `flash golden`: check or refresh the golden seeded runs. */
function goldenCommand(backendOption: OptionSpec): Command {
  return {
    summary: "run the golden seeded runs and compare with experiments/golden/*.json; --update rewrites them",
    options: { update: { type: "boolean", description: "rewrite the golden files with this run's numbers" }, backend: backendOption },
    async run(o) {
      const { checkGoldens } = await import("../golden/golden.js");
      const res = await checkGoldens({
        update: o.update === true,
        backend: (o.backend as string | undefined) ?? undefined,
        log: (l) => process.stderr.write(l + "\n"),
      });
      for (const r of res) console.log(`${r.name}: ${r.status}${r.failures.length ? `\n  ${r.failures.join("\n  ")}` : ""}`);
      if (res.some((r) => r.status === "failed")) process.exitCode = 1;
    },
  };
}

export function harnessCommands(backendOption: OptionSpec): Record<string, Command> {
  const common = commonOptions(backendOption);
  return {
    reproduce: reproduceCommand(common),
    sweep: sweepCommand(common),
    report: reportCommand(),
    rerun: rerunCommand(common, backendOption),
    golden: goldenCommand(backendOption),
    room: roomCommand(common),
    tasks: tasksCommand(),
    datasets: datasetsCommand(),
  };
}
