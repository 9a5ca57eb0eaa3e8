/**
 * How much room the autoscaling task leaves for a context: do its (application, trace)
 * pairs need different policies? Measured without RL, by search over two simple policy
 * families on every pair of a profile (pool, new and update pairs):
 *
 *   - fixed: one constant allocation (CPU limit, memory limit, replicas) for the whole
 *     episode, searched in action space (a 5x5x5 grid over [-1, 1]^3, then two local
 *     refinements at half the step);
 *   - rule: a feedback controller that reads only the observation, as the agent does:
 *     a constant CPU limit, replicas = ceil(replicas x CPU utilisation / cpuTarget)
 *     (the HPA's formula without its tolerance and window) and memory = memory x memory
 *     utilisation / memTarget (doubled after an OOM kill); searched over CPU limit x
 *     cpuTarget x memTarget the same way.
 *
 * Each pair's best policy is chosen on `selectEpisodes` windows that the harness never
 * evaluates on (seeds EVAL_SEED + 500 + e), then every pair's best is served on every
 * pair on the harness's evaluation windows (EVAL_SEED + e, e < evalEpisodes): the
 * cross-pair matrix D[i][j] = (R_i(best_i) - R_i(best_j)) / (R_i(best_i) - B_i), with
 * B_i a uniform-random policy's return: the harness's reward drop (random = 1) with the
 * pair's own best as the reference. Its off-diagonal mean is how much a policy tuned
 * for one pair loses on another; the "universal" policy (the candidate with the best
 * mean normalised reward over all pairs on the selection windows) says how much the best
 * context-free policy of the family loses. Small numbers: the task leaves no room for
 * an embedding in that family.
 *
 * Run: `npm run build && node dist/bench/autoscaling-room.js [--profile quick] [--seed 0] [--out runs/room] [--same-app] [--wide-traces]`.
 *
 * The room benchmark of every task, with leave-one-application-out, is `flash room <task>`
 * (experiments/protocols/room.ts; fixed actions only, no refinement, and in every
 * reproduction's report); this bench keeps the autoscaling-only studies: the rule family,
 * the refined search, one application on every trace and the widened traces.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { decodeObservation, encodeAction, type ActionScale } from "../envs/autoscaling/spaces.js";
import type { AutoscalingEnv } from "../envs/autoscaling/env.js";
import { Rng } from "../flash/rng.js";
import { meanCi95, type MeanCi } from "../experiments/stats.js";
import { standardise } from "../agents/constant-input.js";
import { probeR2 } from "../experiments/protocols/controls.js";
import { makePairEnv, pairOracle, type AutoscalingPair } from "../experiments/tasks/autoscaling-pairs.js";
import { autoscalingProfile, type AutoscalingConfig } from "../experiments/tasks/autoscaling.js";
import { EVAL_SEED } from "../experiments/tasks/rl-flash-kit.js";
import { writeFigure, type VegaLiteSpec } from "../experiments/report/figures.js";

export type Family = "fixed" | "rule";
/** A policy of a family as three numbers in [-1, 1] (fixed: the action; rule: CPU action, cpuTarget, memTarget scaled to [-1, 1]). */
export type Params = [number, number, number];

const SELECT_OFFSET = 500;
const CPU_TARGET: [number, number] = [0.2, 0.95];
const MEM_TARGET: [number, number] = [0.4, 0.95];

function fromUnit(a: number, [lo, hi]: [number, number]): number {
  return lo + ((a + 1) / 2) * (hi - lo);
}

/** The controller of `p`: observation -> action. */
export function controller(family: Family, p: Params, s: ActionScale): (obs: Float32Array) => Float32Array {
  if (family === "fixed") {
    const a = Float32Array.from(p);
    return () => a;
  }
  const cpuTarget = fromUnit(p[1], CPU_TARGET);
  const memTarget = fromUnit(p[2], MEM_TARGET);
  const cpu = s.cpuMin * Math.pow(s.cpuMax / s.cpuMin, (p[0] + 1) / 2);
  return (obs) => {
    const d = decodeObservation(obs, s);
    const replicas = Math.min(s.maxReplicas, Math.max(1, Math.ceil((Math.max(1, d.replicas) * d.cpuUtil) / cpuTarget - 1e-6)));
    const memoryLimitMB = d.memUtil >= 0.999 ? 2 * d.memoryLimitMB : (d.memoryLimitMB * d.memUtil) / memTarget;
    return encodeAction({ cpuLimit: cpu, memoryLimitMB: Math.max(s.memMinMB, memoryLimitMB), replicas }, s);
  };
}

/** Mean return of `act` over the windows `seeds` (the harness's `reset(seed)`). */
function meanReturn(env: AutoscalingEnv, seeds: readonly number[], act: (obs: Float32Array) => Float32Array | number[]): number {
  let sum = 0;
  for (const seed of seeds) {
    let obs = env.reset(seed);
    for (let t = 0; t < env.maxEpisodeSteps; t++) {
      const r = env.step(act(obs));
      sum += r.reward;
      obs = r.observation;
    }
  }
  return sum / seeds.length;
}

function randomReturn(env: AutoscalingEnv, seeds: readonly number[]): number {
  const rng = new Rng(`room/random/${env.pair}`);
  return meanReturn(env, seeds, () => [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)]);
}

function grid(center: Params, step: number, points: number): Params[] {
  const offs = Array.from({ length: points }, (_, k) => (k - (points - 1) / 2) * step);
  const out: Params[] = [];
  for (const a of offs)
    for (const b of offs) for (const c of offs) out.push([center[0] + a, center[1] + b, center[2] + c].map((x) => Math.max(-1, Math.min(1, x))) as Params);
  return out;
}

function key(p: Params): string {
  return p.map((x) => x.toFixed(4)).join(",");
}

/** The coarse grid every pair is scored on (also the universal policy's candidates). */
export const COARSE: Params[] = grid([0, 0, 0], 0.5, 5);

/** Best policy of `family` on one pair: coarse grid, then two refinements. Returns it and the coarse grid's returns. */
function searchPair(env: AutoscalingEnv, family: Family, seeds: number[]): { best: Params; coarse: number[] } {
  const seen = new Map<string, number>();
  const score = (p: Params): number => {
    const k = key(p);
    if (!seen.has(k)) seen.set(k, meanReturn(env, seeds, controller(family, p, env.scale)));
    return seen.get(k)!;
  };
  const coarse = COARSE.map(score);
  let best = COARSE[coarse.indexOf(Math.max(...coarse))];
  for (const step of [0.25, 0.125]) {
    for (const p of grid(best, step, 3)) if (score(p) > score(best)) best = p;
  }
  return { best, coarse };
}

export interface RoomFamily {
  family: Family;
  pairs: string[];
  best: Params[];
  /** R_i(best_j) on the evaluation windows: rewards[i][j]. */
  rewards: number[][];
  /** D[i][j], the drop of pair j's best served on pair i (random = 1, own best = 0). */
  drop: number[][];
  /** Per pair i, the mean of D[i][j] over j != i. */
  offDiagonal: MeanCi;
  /** The best context-free policy of the family and its drop on each pair. */
  universal: { params: Params; drop: number[]; summary: MeanCi };
}

export interface RoomResult {
  profile: string;
  seed: number;
  pairs: string[];
  random: number[];
  families: RoomFamily[];
  /**
   * Per family, the leave-one-out R^2 of a ridge map (lambda 1) from the oracle's features
   * (`pairOracle`, standardised over these pairs) to each pair's best policy: how much
   * of the optimal policy the oracle's input determines linearly.
   */
  oracleR2: Record<string, number | null>;
}

function dropOf(own: number, got: number, base: number): number {
  return (own - got) / (own - base);
}

function measureFamily(envs: AutoscalingEnv[], family: Family, select: number[], evalSeeds: number[], random: number[], randomSel: number[]): RoomFamily {
  const searched = envs.map((env) => searchPair(env, family, select));
  const best = searched.map((s) => s.best);
  // Universal: the candidate (coarse point or a pair's best) with the best mean normalised reward on the selection windows.
  const candidates: Params[] = [...COARSE, ...best];
  const selRewards = envs.map((env, i) => [...searched[i].coarse, ...best.map((p) => meanReturn(env, select, controller(family, p, env.scale)))]);
  const norm = selRewards.map((row, i) => {
    const top = Math.max(...row);
    return row.map((r) => (r - randomSel[i]) / (top - randomSel[i]));
  });
  const meanNorm = candidates.map((_, c) => norm.reduce((a, row) => a + row[c], 0) / norm.length);
  const universal = candidates[meanNorm.indexOf(Math.max(...meanNorm))];
  const rewards = envs.map((env) => best.map((p) => meanReturn(env, evalSeeds, controller(family, p, env.scale))));
  const drop = rewards.map((row, i) => row.map((r) => dropOf(row[i], r, random[i])));
  const off = drop.map((row, i) => row.reduce((a, d, j) => a + (j === i ? 0 : d), 0) / (row.length - 1));
  const uDrop = envs.map((env, i) => dropOf(rewards[i][i], meanReturn(env, evalSeeds, controller(family, universal, env.scale)), random[i]));
  return {
    family,
    pairs: envs.map((e) => e.pair),
    best,
    rewards,
    drop,
    offDiagonal: meanCi95(off),
    universal: { params: universal, drop: uDrop, summary: meanCi95(uDrop) },
  };
}

/** Every pair of a profile: new (test) pairs, update pairs, pool pairs. */
export function roomPairs(cfg: AutoscalingConfig): AutoscalingPair[] {
  return [...cfg.testPairs, ...cfg.updatePairs, ...cfg.poolPairs];
}

/**
 * The trace-only variant: the first pair's application on every distinct trace of the
 * profile's pairs, so the matrix measures what the traces alone change.
 */
export function sameAppPairs(pairs: readonly AutoscalingPair[]): AutoscalingPair[] {
  const app = pairs[0].app;
  const seen = new Set<string>();
  return pairs.filter((p) => !seen.has(p.traceKey) && seen.add(p.traceKey)).map((p) => ({ ...p, app, id: `${app.name}@${p.traceKey}` }));
}

/**
 * The pairs with their synthetic traces redrawn over wider ranges than the task's
 * (diurnal amplitude 0.05-0.9, log-noise 0.1-0.6, 0-3 bursts/h), seeded by the pair's
 * index: would traces matter if they differed more? File traces are kept.
 */
export function widenTraces(pairs: readonly AutoscalingPair[], seed: number): AutoscalingPair[] {
  const rng = new Rng(`room/wide-traces/${seed}`);
  return pairs.map((p, i) => {
    if (p.trace.source !== "synthetic") return p;
    const r = rng.fork(`pair-${i}`);
    return { ...p, trace: { ...p.trace, diurnalAmplitude: r.uniform(0.05, 0.9), noiseStd: r.uniform(0.1, 0.6), burstsPerHour: r.uniform(0, 3) } };
  });
}

export interface RoomOptions {
  selectEpisodes?: number;
  families?: Family[];
  /** Serve the first pair's application on every trace (`sameAppPairs`). */
  sameApp?: boolean;
  /** Redraw the synthetic traces over wider ranges (`widenTraces`). */
  wideTraces?: boolean;
}

/** The cross-pair matrices of both families on a profile's pairs. */
export function measureRoom(profile: string, seed = 0, opts: RoomOptions = {}): RoomResult {
  const cfg = autoscalingProfile(profile, seed);
  const drawn = opts.sameApp ? sameAppPairs(roomPairs(cfg)) : roomPairs(cfg);
  const pairs = opts.wideTraces ? widenTraces(drawn, seed) : drawn;
  const envs = pairs.map((p) => makePairEnv(cfg.env, p, 0));
  const select = Array.from({ length: opts.selectEpisodes ?? 2 }, (_, e) => EVAL_SEED + SELECT_OFFSET + e);
  const evalSeeds = Array.from({ length: cfg.budgets.evalEpisodes }, (_, e) => EVAL_SEED + e);
  const random = envs.map((env) => randomReturn(env, evalSeeds));
  const randomSel = envs.map((env) => randomReturn(env, select));
  const families = (opts.families ?? ["fixed", "rule"]).map((f) => measureFamily(envs, f, select, evalSeeds, random, randomSel));
  const feats = standardise(
    Object.fromEntries(pairs.map((p) => [p.id, pairOracle(cfg.env, p)])),
    pairs.map((p) => p.id),
  );
  const X = pairs.map((p) => feats[p.id]);
  const oracleR2 = Object.fromEntries(families.map((f) => [f.family, probeR2(X, f.best, 1)]));
  return { profile, seed, pairs: pairs.map((p) => p.id), random, families, oracleR2 };
}

/** A heatmap of D[i][j] (row: pair served, column: pair whose best policy serves it). */
export function roomHeatmap(f: RoomFamily, title: string): VegaLiteSpec {
  const short = f.pairs.map((p, i) => `${i} ${p.replace(/@.*/, "")}`);
  const values = f.drop.flatMap((row, i) => row.map((d, j) => ({ served: short[i], policyOf: short[j], drop: Math.min(2, Math.max(-0.5, d)) })));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    data: { values },
    width: 16 * f.pairs.length,
    height: 16 * f.pairs.length,
    mark: "rect",
    description: "drop clipped to [-0.5, 2]; colour scale 0 to 1.5",
    encoding: {
      x: { field: "policyOf", type: "ordinal", sort: short, title: "best policy of pair j" },
      y: { field: "served", type: "ordinal", sort: short, title: "served on pair i" },
      color: { field: "drop", type: "quantitative", scale: { scheme: "viridis", domain: [0, 1.5] }, title: "drop" },
    },
  };
}

function fmt(m: MeanCi): string {
  return `${m.mean.toFixed(2)} ± ${m.ci95.toFixed(2)}`;
}

/** The result as markdown: a summary row per family, then each family's matrix (rows: pair served; columns: whose best policy). */
export function roomMarkdown(r: RoomResult): string {
  const lines = [
    `Profile ${r.profile}, run seed ${r.seed}, ${r.pairs.length} pairs. Drop: random = 1, the pair's own best policy = 0 (mean ± 95% CI over pairs).`,
    "",
    "| family | off-diagonal drop (pair j's best on pair i) | best context-free policy's drop | oracle features -> best policy, LOO R² |",
    "|---|---|---|---|",
    ...r.families.map((f) => `| ${f.family} | ${fmt(f.offDiagonal)} | ${fmt(f.universal.summary)} | ${r.oracleR2[f.family]?.toFixed(2) ?? "n/a"} |`),
  ];
  for (const f of r.families) {
    lines.push("", `${f.family}: D[i][j] (row i: pair served; column j: pair whose best policy serves it)`, "");
    lines.push(`| i | pair | own best | random | ${f.pairs.map((_, j) => j).join(" | ")} |`, `|${"---|".repeat(f.pairs.length + 4)}`);
    f.drop.forEach((row, i) =>
      lines.push(`| ${i} | ${f.pairs[i]} | ${f.rewards[i][i].toFixed(1)} | ${r.random[i].toFixed(1)} | ${row.map((d) => d.toFixed(2)).join(" | ")} |`),
    );
  }
  return lines.join("\n") + "\n";
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, dflt: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const profile = arg("profile", "quick");
  const seed = Number(arg("seed", "0"));
  const out = arg("out", "runs/autoscaling-room");
  const t0 = performance.now();
  const r = measureRoom(profile, seed, { sameApp: argv.includes("--same-app"), wideTraces: argv.includes("--wide-traces") });
  const wall = (performance.now() - t0) / 1000;
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "room.json"), JSON.stringify({ ...r, wallSeconds: wall }, null, 1) + "\n");
  writeFileSync(path.join(out, "room.md"), roomMarkdown(r));
  for (const f of r.families) {
    await writeFigure(out, `room-${f.family}`, roomHeatmap(f, `autoscaling ${profile}: cross-pair drop, ${f.family} policies`));
    const o = f.offDiagonal;
    const u = f.universal.summary;
    console.log(`${f.family}: off-diagonal drop ${o.mean.toFixed(3)} ± ${o.ci95.toFixed(3)}; universal ${u.mean.toFixed(3)} ± ${u.ci95.toFixed(3)} (n ${o.n})`);
  }
  console.log(`oracle features -> best policy, leave-one-out R^2: ${JSON.stringify(r.oracleR2)}`);
  console.log(`wall ${wall.toFixed(0)} s; ${out}/room.json`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
