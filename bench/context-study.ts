/**
 * The context study of issue 13 (a measurement, not a test): what FLASH's context length
 * (`maxSteps`), count (`contextSize` M), selection policy, encoder and auxiliary loss
 * change, on an RL task's quick profile, through the task's own protocol steps
 * (`RlTask.reference/pretrain/adapt/serve`, the same code `flash reproduce` runs).
 *
 * Per replicate k (unit seeds derived as the runner derives them, environment seeds
 * shared by every variant on a pair as `flash reproduce` shares them):
 *   - shared by every setting: the reference (scratch) run on each new pair, TL's
 *     pretraining, TL served on each new pair and (with `--adapt`) TL's fine-tuning;
 *   - per setting: FLASH's pretraining with the setting's `flash` block, FLASH served with
 *     its own context and with another pool pair's embedding (the shuffled control) on
 *     each new pair and on `--probe-pairs` more pairs drawn for the probe only, and (with
 *     `--adapt`) FLASH's fine-tuning on each new pair.
 * Reported per setting: the probe's leave-one-out R^2 (pool + new + probe pairs'
 * embeddings against `RlTask.oracle`, only parameters that vary over the pool, as the
 * reproduction's control), the served drop of FLASH and of TL, the shuffled-minus-own
 * drop gap (paired per pair and replicate; > 0: the agent uses its own embedding), the
 * speedup over TL (paired ratios), and FLASH's pretraining wall time with the load average.
 * Every step's result is written to OUT/steps/<id>.json and reused on a re-run.
 *
 * Run: `npm run build && node dist/bench/context-study.js --task pendulum-family
 * --settings default,tcn,tcn-aux --reps 2 [--adapt] [--probe-pairs 5] --out runs/ctx-pf`;
 * `--report` only summarises the steps already in OUT (a run still going, or cut).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { selectBackend } from "../flash/backend.js";
import { probeR2 } from "../experiments/protocols/controls.js";
import { adaptationCosts, speedup, type Curve } from "../experiments/protocols/adaptation.js";
import { rewardDrop, type PairReference } from "../experiments/protocols/reward-drop.js";
import { curveOf, envSeedOf } from "../experiments/protocols/rl-reproduce.js";
import { deriveSeed } from "../experiments/runner/units.js";
import { meanCi95, formatMeanCi } from "../experiments/stats.js";
import { rlTask } from "../experiments/tasks/index.js";
import type { FlashSettings, RlFlashConfig } from "../experiments/tasks/rl-flash-kit.js";
import type { RlTask } from "../experiments/tasks/types.js";
import { UsageError } from "../errors.js";

/** Settings as changes to the profile's `flash` block ("default": none). */
export const SETTINGS: Record<string, Partial<FlashSettings>> = {
  default: {},
  "bigru-aux": { auxLoss: "dynamics" },
  "bigru-50": { maxSteps: 50 },
  "bigru-m16": { contextSize: 16, contextSubsample: 4 },
  "bigru-random": { selection: "random" },
  "bigru-latest": { selection: "latest" },
  tcn: { encoder: "tcn", layers: 3 },
  "tcn-50": { encoder: "tcn", layers: 3, maxSteps: 50 },
  "tcn-full": { encoder: "tcn", layers: 3, maxSteps: 10_000, patch: 4 },
  "tcn-m16": { encoder: "tcn", layers: 3, contextSize: 16, contextSubsample: 4 },
  "tcn-random": { encoder: "tcn", layers: 3, selection: "random" },
  "tcn-aux": { encoder: "tcn", layers: 3, auxLoss: "dynamics" },
  "tcn-full-aux": { encoder: "tcn", layers: 3, maxSteps: 10_000, patch: 4, auxLoss: "dynamics" },
};

type Cfg = RlFlashConfig & Record<string, unknown>;

interface Study {
  /** Only summarise: a missing step ends its replicate instead of running. */
  reportOnly?: boolean;
  task: RlTask<Cfg>;
  cfg: Cfg;
  out: string;
  adapt: boolean;
  probePairs: string[];
}

const silent = () => {};

/** `--report`: a step that has not run. */
class NotRun extends Error {}

/**
 * Pendulum: what a trajectory can reveal. The dynamics are theta_dot' = theta_dot +
 * (a sin theta + b u) dt with a = 3g/(2l) and b = 3/(m l^2) (bench/encoder-quality.ts), so
 * m, l and g are not identifiable one by one; the probe on (log a, log b) is the fair one.
 */
function identifiable(cfg: Cfg, pair: string): number[] | undefined {
  const all = [...cfg.poolPairs, ...cfg.testPairs, ...(cfg.updatePairs ?? [])] as { id: string; params?: Record<string, number> }[];
  const p = all.find((x) => x.id === pair)?.params;
  if (!p || p.m === undefined || p.l === undefined || p.g === undefined) return undefined;
  return [Math.log((3 * p.g) / (2 * p.l)), Math.log(3 / (p.m * p.l * p.l))];
}

/** Runs `f` once per id: its result (and wall seconds, load average) is kept in OUT/steps. */
async function step<T>(s: Study, id: string, f: (workDir: string) => Promise<T>): Promise<T & { wall: number; load: number }> {
  const file = path.join(s.out, "steps", `${id.replace(/\//g, "__")}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as T & { wall: number; load: number };
  if (s.reportOnly) throw new NotRun(id);
  const workDir = path.join(s.out, "work", id);
  // Emptied first, as the runner does: a step cut earlier must not leave episodes in its buffer.
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  mkdirSync(path.dirname(file), { recursive: true });
  const t0 = performance.now();
  const load0 = os.loadavg()[0];
  const r = await f(workDir);
  const res = { ...r, wall: (performance.now() - t0) / 1000, load: (load0 + os.loadavg()[0]) / 2 };
  writeFileSync(file, JSON.stringify(res));
  console.error(`${new Date().toISOString()} ${id}: ${res.wall.toFixed(0)} s, load ${res.load.toFixed(1)}`);
  return res;
}

/** The shared steps of replicate k: references, TL. */
async function shared(s: Study, k: number) {
  const { task, cfg } = s;
  const test = cfg.testPairs.map((p) => p.id);
  const refs = new Map<string, PairReference>();
  const curve = curveOf(task);
  for (const pair of test) {
    const id = `ref/${pair}/r${k}`;
    const r = await step(s, id, (w) => task.reference(cfg, pair, deriveSeed(0, id), w, silent, envSeedOf(0, pair, k)));
    const c = curve(r);
    refs.set(pair, {
      pair,
      evalReturn: r.evalReturn,
      baseline: r.baseline,
      trainLevel: c.slice(-cfg.budgets.window).reduce((a, b) => a + b, 0) / cfg.budgets.window,
    });
  }
  const pool = cfg.poolPairs.map((p) => p.id);
  const tlId = `pretrain/tl/r${k}`;
  await step(s, tlId, (w) => task.pretrain(cfg, "tl", pool, deriveSeed(0, tlId), w, silent));
  const tlDir = path.join(s.out, "work", tlId);
  const served = await step(s, `serve/tl/r${k}`, async (w) => ({
    rows: await task.serve(cfg, { variant: "tl", modelDir: tlDir, pairs: test, seed: deriveSeed(0, `ab/r${k}`), workDir: w }),
  }));
  const curves: Curve[] = [];
  if (s.adapt)
    for (const pair of test) {
      const id = `adapt/tl/${pair}/r${k}`;
      const r = await step(s, id, (w) => task.adapt(cfg, "tl", tlDir, pair, deriveSeed(0, id), w, silent, envSeedOf(0, pair, k)));
      curves.push({ variant: "tl", pair, replicate: k, returns: curve(r) });
    }
  return { refs, tlServed: served.rows, curves };
}

/** One setting on replicate k: FLASH pretrained, served (own and shuffled), probed, fine-tuned. */
async function flashSetting(s: Study, name: string, k: number) {
  const cfg = { ...s.cfg, flash: { ...s.cfg.flash, ...SETTINGS[name] } } as Cfg;
  const { task } = s;
  const test = cfg.testPairs.map((p) => p.id);
  const pool = cfg.poolPairs.map((p) => p.id);
  const preId = `${name}/pretrain/r${k}`;
  // The unit seed of FLASH's pretraining is the reproduction's, whatever the setting.
  const pre = await step(s, preId, (w) => task.pretrain(cfg, "flash", pool, deriveSeed(0, `pretrain/flash/r${k}`), w, silent));
  const dir = path.join(s.out, "work", preId);
  const served: Record<string, { pair: string; reward: number; embedding?: number[] }[]> = {};
  for (const v of ["flash", "shuffled"] as const) {
    const pairs = v === "flash" ? [...test, ...s.probePairs] : test;
    const r = await step(s, `${name}/serve/${v}/r${k}`, async (w) => ({
      rows: await task.serve(cfg, { variant: v, modelDir: dir, pairs, seed: deriveSeed(0, `ab/r${k}`), workDir: w }),
    }));
    served[v] = r.rows;
  }
  const poolEmb = await step(s, `${name}/pool-embeddings/r${k}`, async (w) => ({ emb: await task.poolEmbeddings(cfg, dir, w) }));
  const curves: Curve[] = [];
  if (s.adapt)
    for (const pair of test) {
      const id = `${name}/adapt/${pair}/r${k}`;
      const r = await step(s, id, (w) => task.adapt(cfg, "flash", dir, pair, deriveSeed(0, `adapt/flash/${pair}/r${k}`), w, silent, envSeedOf(0, pair, k)));
      curves.push({ variant: "flash", pair, replicate: k, returns: curveOf(task)(r) });
    }
  return { pretrainWall: pre.wall, pretrainLoad: pre.load, served, poolEmb: poolEmb.emb, curves };
}

/** The probe's leave-one-out R^2 over the pool pairs' and every served pair's embeddings. */
function probe(
  s: Study,
  poolEmb: Record<string, number[]>,
  served: { pair: string; embedding?: number[] }[],
  target: ((cfg: Cfg, pair: string) => number[] | undefined) | undefined = s.task.oracle?.bind(s.task),
): number | null {
  const oracle = target;
  if (!oracle || poolEmb === undefined) return null;
  const emb: Record<string, number[]> = { ...poolEmb };
  for (const r of served) if (r.embedding) emb[r.pair] = r.embedding;
  const ids = Object.keys(emb).sort();
  const truth = ids.map((p) => oracle(s.cfg, p) as number[]);
  if (truth.some((x) => x === undefined)) return null;
  const pool = ids.filter((p) => p in poolEmb).map((p) => truth[ids.indexOf(p)]);
  const varying = truth[0].map((_, j) => pool.some((x) => Math.abs(x[j] - pool[0][j]) > 1e-12));
  return probeR2(
    ids.map((p) => emb[p]),
    truth.map((x) => x.filter((_, j) => varying[j])),
  );
}

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const taskName = arg("task") ?? "pendulum-family";
  const names = (arg("settings") ?? "default").split(",");
  for (const n of names) if (!(n in SETTINGS)) throw new UsageError(`--settings: unknown setting "${n}"; expected some of ${Object.keys(SETTINGS).join(", ")}`);
  const reps = Number(arg("reps") ?? 2);
  const extra = Number(arg("probe-pairs") ?? 0);
  const out = arg("out") ?? `runs/context-${taskName}`;
  const backend = await selectBackend(arg("backend"));
  const task = (await rlTask(taskName)) as unknown as RlTask<Cfg>;
  // Extra pairs for the probe only: a larger pool's last pairs, served but never pretrained on.
  const profile = arg("profile") ?? "quick";
  const base = task.profile(profile, 0);
  const big = extra > 0 ? task.profile(profile, 0, { poolSize: base.poolPairs.length + extra }) : base;
  const probeSpecs = big.poolPairs.slice(base.poolPairs.length);
  // Serving the probe pairs needs them in the config the kit reads (as update pairs: never pretrained on, never adapted).
  const probeAsUpdates = probeSpecs.map((p) => ({ ...p, from: p.id, scenario: "probe" }));
  const cfg = { ...base, updatePairs: [...(base.updatePairs ?? []), ...probeAsUpdates] } as Cfg;
  const s: Study = {
    task,
    cfg,
    out,
    adapt: process.argv.includes("--adapt"),
    probePairs: probeSpecs.map((p) => p.id),
    reportOnly: process.argv.includes("--report"),
  };
  console.error(`backend ${backend.name}, ${os.cpus().length} x ${os.cpus()[0]?.model}, task ${taskName}, settings ${names.join(",")}, reps ${reps}`);
  // Replicate-major, the summary rewritten after each replicate: a cut run still reports its finished replicates.
  const sh: Awaited<ReturnType<typeof shared>>[] = [];
  const runs = new Map<string, Awaited<ReturnType<typeof flashSetting>>[]>(names.map((n) => [n, []]));
  for (let k = 0; k < reps; k++) {
    try {
      sh.push(await shared(s, k));
    } catch (e) {
      if (e instanceof NotRun) break;
      throw e;
    }
    for (const name of names) {
      const got = runs.get(name) as Awaited<ReturnType<typeof flashSetting>>[];
      // A replicate counts for a setting only if every earlier one did (its rows pair with the shared steps by index).
      if (got.length < k) continue;
      try {
        got.push(await flashSetting(s, name, k));
      } catch (e) {
        if (e instanceof NotRun) continue;
        throw e;
      }
      const rows = names.filter((n) => (runs.get(n) ?? []).length > 0).map((n) => summarise(s, n, runs.get(n) ?? [], sh));
      writeFileSync(
        path.join(out, "study.json"),
        JSON.stringify({ task: taskName, backend: backend.name, reps: k + 1, probePairs: s.probePairs, rows }, null, 2),
      );
    }
  }
  for (const n of names) console.log(JSON.stringify(summarise(s, n, runs.get(n) ?? [], sh)));
}

/** One setting's row over its finished replicates. */
function summarise(s: Study, name: string, rs: Awaited<ReturnType<typeof flashSetting>>[], sh: Awaited<ReturnType<typeof shared>>[]) {
  const drops: number[] = [];
  const tlDrops: number[] = [];
  const gaps: number[] = [];
  const probes: number[] = [];
  const probesId: number[] = [];
  const curves: Curve[] = [];
  rs.forEach((r, k) => {
    const p = probe(s, r.poolEmb, r.served.flash);
    if (p !== null) probes.push(p);
    const q = probe(s, r.poolEmb, r.served.flash, identifiable);
    if (q !== null) probesId.push(q);
    for (const own of r.served.flash) {
      const ref = sh[k].refs.get(own.pair);
      if (!ref) continue;
      const sf = r.served.shuffled.find((x) => x.pair === own.pair);
      const tl = sh[k].tlServed.find((x) => x.pair === own.pair);
      const d = rewardDrop(own.reward, ref.evalReturn, ref.baseline);
      drops.push(d);
      if (sf) gaps.push(rewardDrop(sf.reward, ref.evalReturn, ref.baseline) - d);
      if (tl) tlDrops.push(rewardDrop(tl.reward, ref.evalReturn, ref.baseline));
    }
    curves.push(...r.curves, ...sh[k].curves);
  });
  const refs = new Map(sh.slice(0, rs.length).flatMap((x) => [...x.refs]));
  const b = s.cfg.budgets;
  const sp = s.adapt
    ? speedup(adaptationCosts(curves, refs, { cap: b.adaptEpisodes, window: b.window, tolerance: b.tolerance }), "flash", "tl", b.adaptEpisodes)
    : null;
  const fmt = (xs: number[]) => (xs.filter(Number.isFinite).length > 0 ? formatMeanCi(meanCi95(xs.filter(Number.isFinite))) : "n/a");
  return {
    setting: name,
    flash: { ...s.cfg.flash, ...SETTINGS[name] },
    reps: rs.length,
    probe_r2: fmt(probes),
    probe_by_rep: probes,
    ...(probesId.length ? { probe_r2_identifiable: fmt(probesId), probe_identifiable_by_rep: probesId } : {}),
    drop_flash: fmt(drops),
    drop_tl: fmt(tlDrops),
    shuffled_minus_own: fmt(gaps),
    speedup_vs_tl: sp ? `${formatMeanCi(sp.meanRatio)} (ratio of means ${sp.ratioOfMeans.toFixed(2)}, ${sp.capped}/${sp.n} capped)` : "not measured",
    pretrain_wall_s: fmt(rs.map((r) => r.pretrainWall)),
    load: fmt(rs.map((r) => r.pretrainLoad)),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
