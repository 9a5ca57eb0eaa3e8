/**
 * What the served autoscaling agents of a finished reproduction do, pair by pair: each
 * pretrained variant's agent (and the original agents, on their A/B targets) is served
 * again with the A/B unit's seed, exactly as the run served it (`RlTask.serve`, so the
 * rewards equal results.json's), recording the first evaluation episode step by step.
 * Per test: the reward, the mean allocation (CPU limit, memory limit as a multiple of the
 * application's peak working set, replicas), OOM kills, SLO preservation and the reward's
 * utilisation terms; then, for the worst tests, every 10th step of the episode.
 *
 * Run: `npm run build && node dist/bench/autoscaling-episodes.js --run runs/as-quick [--replicate 0]
 *   [--variants tl,oracle,flash,original] [--pool] [--pool-size N] [--worst 3] [--json out.json]`
 * (--pool serves each variant on its replicate's own pool pairs instead of the new pairs;
 * --pool-size N reads a pool-size sweep's models of that size, served with its sweep-serve
 * unit's seed, so the rewards equal that unit's samples; the sweep has no original agents).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { selectBackend } from "../flash/backend.js";
import { originalTargets, referencedPairs } from "../experiments/protocols/ab-plan.js";
import { UsageError } from "../errors.js";
import { loadRunConfig } from "../experiments/runner/config.js";
import { workDirOf } from "../experiments/runner/pool.js";
import { deriveSeed } from "../experiments/runner/units.js";
import type { AutoscalingConfig } from "../experiments/tasks/autoscaling-pairs.js";
import { createAutoscalingTask } from "../experiments/tasks/autoscaling.js";
import type { RlTask, ServedStep, ServeVariant } from "../experiments/tasks/types.js";
import { compileApplication } from "../sim/k8s/profile.js";
import { configAtSize } from "../experiments/protocols/sweep-budget.js";

/** One served test, summarised over its first evaluation episode. */
export interface EpisodeRow {
  variant: string;
  pair: string;
  trainedOn?: string;
  reward: number;
  episodeReturn: number;
  cpuLimit: number;
  /** Memory limit / the application's peak working set. */
  memX: number;
  replicas: number;
  oomKills: number;
  killIntervals: number;
  sp: number;
  ruCpu: number;
  ruMem: number;
  steps: ServedStep[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const col = (steps: ServedStep[], k: string) => steps.map((s) => Number(s.info[k]));

function row(variant: string, pair: string, reward: number, steps: ServedStep[], peakMB: number, trainedOn?: string): EpisodeRow {
  const kills = col(steps, "oomKills");
  return {
    variant,
    pair,
    ...(trainedOn ? { trainedOn } : {}),
    reward,
    episodeReturn: steps.reduce((a, s) => a + s.reward, 0),
    cpuLimit: mean(col(steps, "cpuLimit")),
    memX: mean(col(steps, "memoryLimitMB")) / peakMB,
    replicas: mean(col(steps, "replicas")),
    oomKills: kills.reduce((a, b) => a + b, 0),
    killIntervals: kills.filter((k) => k > 0).length,
    sp: mean(col(steps, "sp")),
    ruCpu: mean(col(steps, "ruCpu")),
    ruMem: mean(col(steps, "ruMem")),
    steps,
  };
}

const f = (x: number, d = 2) => x.toFixed(d);

export async function episodes(o: { run: string; replicate: number; variants: string[]; pool: boolean; poolSize?: number }): Promise<EpisodeRow[]> {
  const rc = loadRunConfig(o.run);
  const task = createAutoscalingTask();
  // The pairs the run recorded for the replicate (a run from before per-replicate pairs served the same pairs in every replicate).
  const recorded = (o.replicate === 0 ? rc.taskConfig : (rc.replicateConfigs?.[o.replicate - 1] ?? rc.taskConfig)) as unknown as AutoscalingConfig;
  if (o.replicate >= rc.seeds) throw new UsageError(`--replicate ${o.replicate}: the run has replicates 0..${rc.seeds - 1}`);
  const size = o.poolSize;
  if (size !== undefined && !rc.poolSizes?.includes(size))
    throw new UsageError(`--pool-size ${size}: the run's pool sizes are ${rc.poolSizes?.join(", ") ?? "none (not a sweep)"}`);
  if (size !== undefined && o.variants.includes("original"))
    throw new UsageError("--pool-size: a sweep serves no original agents (drop 'original' from --variants)");
  // A sweep's units at one size read the config at that size (its own pretraining budget) and carry the prefix P<size>/.
  const cfg = (size === undefined
    ? recorded
    : configAtSize(task as unknown as RlTask, recorded as unknown as Record<string, unknown>, size, rc.pretrainPerPair)) as unknown as AutoscalingConfig;
  const prefix = size === undefined ? "" : `P${size}/`;
  // The serving unit's seed (units.ts: from the run seed and the unit id), so a run still in progress can be looked at too.
  const seed = deriveSeed(rc.seed, size === undefined ? `ab/r${o.replicate}` : `${prefix}serve/r${o.replicate}`);
  const peak = new Map([...cfg.testPairs, ...cfg.poolPairs].map((p) => [p.id, compileApplication(p.app).peakMemoryMB]));
  const { pool, test } = task.pairs(cfg, size);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "as-episodes-"));
  const out: EpisodeRow[] = [];
  try {
    for (const v of o.variants) {
      if (v === "original") {
        const originals = referencedPairs(test, cfg.budgets);
        for (const [from, targets] of originalTargets(test, originals, cfg.budgets.abTargets)) {
          const res = await task.serve(cfg, {
            variant: "original",
            modelDir: workDirOf(o.run, `ref/${from}/r${o.replicate}`),
            trainedOn: from,
            pairs: o.pool ? pool : targets,
            seed,
            workDir: tmp,
            recordSteps: true,
          });
          for (const r of res) out.push(row(v, r.pair, r.reward, r.steps ?? [], peak.get(r.pair) as number, from));
        }
        continue;
      }
      const model = v === "shuffled" || v.startsWith("flash") ? "flash" : v;
      const res = await task.serve(cfg, {
        variant: v as ServeVariant,
        modelDir: workDirOf(o.run, `${prefix}pretrain/${model}/r${o.replicate}`),
        pairs: o.pool ? pool : test,
        seed,
        workDir: tmp,
        recordSteps: true,
      });
      for (const r of res) out.push(row(v, r.pair, r.reward, r.steps ?? [], peak.get(r.pair) as number));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

function print(rows: EpisodeRow[], worst: number): void {
  console.log(
    "| variant | pair | trained on | reward (A/B) | episode 0 | CPU limit | memory x peak | replicas | OOM kills (intervals) | SP | RU cpu | RU mem |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${r.variant} | ${r.pair} | ${r.trainedOn ?? ""} | ${f(r.reward, 1)} | ${f(r.episodeReturn, 1)} | ${f(r.cpuLimit)} | ${f(r.memX)} | ${f(r.replicas, 1)} | ` +
        `${r.oomKills} (${r.killIntervals}) | ${f(r.sp)} | ${f(r.ruCpu)} | ${f(r.ruMem)} |`,
    );
  for (const r of [...rows].sort((a, b) => a.reward - b.reward).slice(0, worst)) {
    console.log(`\n${r.variant} on ${r.pair}${r.trainedOn ? ` (trained on ${r.trainedOn})` : ""}: reward ${f(r.reward, 1)}; every 10th step`);
    console.log("| step | CPU limit | memory MB | replicas | ready | OOM kills | backoff | SP | p99 ms | SLO ms | reward |");
    console.log("|---|---|---|---|---|---|---|---|---|---|---|");
    r.steps.forEach((s, i) => {
      if (i % 10 !== 0) return;
      const x = s.info;
      console.log(
        `| ${i} | ${f(Number(x.cpuLimit))} | ${f(Number(x.memoryLimitMB), 0)} | ${x.replicas} | ${x.ready} | ${x.oomKills} | ${f(Number(x.backoffFraction))} | ` +
          `${f(Number(x.sp))} | ${f(Number(x.p99Ms), 0)} | ${x.sloMs} | ${f(s.reward)} |`,
      );
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      run: { type: "string" },
      replicate: { type: "string", default: "0" },
      variants: { type: "string", default: "tl,oracle,flash,original" },
      pool: { type: "boolean", default: false },
      "pool-size": { type: "string" },
      worst: { type: "string", default: "3" },
      json: { type: "string" },
    },
  });
  if (!values.run) throw new UsageError("--run DIR is required (a finished `flash reproduce autoscaling` directory)");
  await selectBackend(loadRunConfig(values.run).backend ?? undefined);
  const poolSize = values["pool-size"] === undefined ? undefined : Number(values["pool-size"]);
  const rows = await episodes({ run: values.run, replicate: Number(values.replicate), variants: values.variants.split(","), pool: values.pool, poolSize });
  print(rows, Number(values.worst));
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 1));
}
