/**
 * A short calibration of per-episode costs on this machine for the cost plan (plan.ts):
 * the task's own pretraining, adaptation and serving, run in this thread with the run's
 * config at small budgets; a difference of two times is the cost of the extra episodes
 * and the rest is the unit's fixed overhead:
 *
 *   pretrain/plain          TL pretraining of `small` and `large` episodes on 4 pool pairs
 *   pretrain/flash          one FLASH pretraining of `flashPool` + 4 episodes on `flashPool`
 *                           pool pairs, timed per episode: a FLASH training step encodes
 *                           every distinct pair of its batch, so the cost per episode is
 *                           fitted as a + b x (distinct pairs per batch, unit-work.ts
 *                           `distinctPairs`) by least squares over its episodes
 *   adapt/plain, adapt/flash  fine-tuning those models on one new pair, `small` and `large`
 *   reference               taken as adapt/plain: a DDPG training episode plus its
 *                           evaluation-curve episode (a reference's first `learningStarts`
 *                           steps are random, so a few-episode reference would not train)
 *   evaluation              serving TL on one new pair, 5 and 25 evaluation episodes
 *
 * Times are this process's CPU seconds, not wall seconds, so that other processes on
 * the same cores do not inflate them: they are what a unit costs on a core of its own
 * (the plan scales its wall time by the load it sees). Nothing is written outside a
 * temporary directory.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RlBudgets, RlTask } from "../tasks/types.js";
import { distinctPairs, type WorkGroup } from "../protocols/unit-work.js";
import { withBudgets } from "../protocols/sweep-budget.js";

type Cfg = Record<string, unknown>;

/** Seconds per training episode by work group (and per distinct pair in a FLASH batch), per evaluation episode, and per unit. */
export interface EpisodeRates {
  perEpisode: Partial<Record<WorkGroup, number>>;
  /** pretrain/flash: the extra seconds per episode for each distinct pair in a training batch. */
  perDistinctPair: number;
  perEval: number | null;
  overhead: Partial<Record<WorkGroup, number>>;
  /** Where the numbers come from, for the printed plan. */
  source: string;
}

export interface CalibrationOptions {
  /** Pool pairs of the FLASH pretraining calibration (default 16, at most the config's pool). */
  flashPool?: number;
  /** Episodes of the two small budgets (default 2 and 6). */
  small?: number;
  large?: number;
  log?: (line: string) => void;
}

/** CPU seconds of this process since `from` (user + system): the work itself, whatever else shares the cores. */
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
};

/** The CPU seconds `f` takes (this thread runs the units in calibration, one backend thread). */
const timed = async (f: () => Promise<unknown>): Promise<number> => {
  const c0 = process.cpuUsage();
  await f();
  return cpuSince(c0);
};

/** Per-episode cost and overhead from two timings of `small` and `large` episodes. */
function fit(tSmall: number, tLarge: number, small: number, large: number): { perEpisode: number; overhead: number } {
  const perEpisode = Math.max(0, (tLarge - tSmall) / (large - small));
  return { perEpisode, overhead: Math.max(0, tSmall - small * perEpisode) };
}

/** Least squares y = a + b x (b = 0 when x does not vary). */
function line(xs: readonly number[], ys: readonly number[]): { a: number; b: number } {
  const n = xs.length;
  const mx = xs.reduce((p, q) => p + q, 0) / n;
  const my = ys.reduce((p, q) => p + q, 0) / n;
  const sxx = xs.reduce((p, x) => p + (x - mx) ** 2, 0);
  const b = sxx > 0 ? xs.reduce((p, x, i) => p + (x - mx) * (ys[i] - my), 0) / sxx : 0;
  return { a: my - b * mx, b };
}

/** Calibrates `task` on `cfg` (the run's resolved config) on this thread's backend. */
export async function calibrate(task: RlTask, cfg: Cfg, o: CalibrationOptions = {}): Promise<EpisodeRates> {
  const small = o.small ?? 2;
  const large = o.large ?? 6;
  const log = o.log ?? (() => {});
  const b = task.budgets(cfg);
  const withB = (x: Partial<RlBudgets>) => withBudgets(task, cfg, { ...b, ...x, referenceCap: undefined });
  const { pool: allPool, test } = task.pairs(cfg);
  const flashPool = allPool.slice(0, Math.min(o.flashPool ?? 16, allPool.length));
  const pair = test[0];
  const root = mkdtempSync(path.join(os.tmpdir(), "flash-calibrate-"));
  const dir = (name: string) => {
    const d = path.join(root, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const rates: EpisodeRates = { perEpisode: {}, perDistinctPair: 0, perEval: null, overhead: {}, source: "" };
  const set = (g: WorkGroup, r: { perEpisode: number; overhead: number }) => {
    rates.perEpisode[g] = r.perEpisode;
    rates.overhead[g] = r.overhead;
    log(`calibration: ${g} ${r.perEpisode.toFixed(2)} s per episode (+ ${r.overhead.toFixed(1)} s per unit)`);
  };
  const none = () => {};
  try {
    const serve = (evalEpisodes: number, name: string) =>
      timed(() => task.serve(withB({ evalEpisodes }), { variant: "tl", modelDir: path.join(root, "tl"), pairs: [pair], seed: 3, workDir: dir(name) }));
    // TL: two small pretrainings; the larger one is the model the adaptation and serving calibrations load.
    const ts = await timed(() => task.pretrain(withB({ pretrainEpisodes: small }), "tl", flashPool.slice(0, 4), 1, dir("tl-s"), none));
    const tl = await timed(() => task.pretrain(withB({ pretrainEpisodes: large }), "tl", flashPool.slice(0, 4), 1, dir("tl"), none));
    set("pretrain/plain", fit(ts, tl, small, large));
    const ev = fit(await serve(5, "serve-s"), await serve(25, "serve-l"), 5, 25);
    rates.perEval = ev.perEpisode;
    rates.overhead.serve = ev.overhead;
    log(`calibration: evaluation ${ev.perEpisode.toFixed(3)} s per episode`);
    // FLASH: one pretraining timed per episode, fitted against the distinct pairs of its batches.
    const n = flashPool.length + 4;
    const stamps: number[] = [];
    const c0 = process.cpuUsage();
    await task.pretrain(withB({ pretrainEpisodes: n }), "flash", flashPool, 1, dir("flash"), () => stamps.push(cpuSince(c0)));
    const per = stamps.slice(1).map((t, i) => t - stamps[i]); // episodes 2..n
    const batch = (cfg.agent as { batchSize?: number } | undefined)?.batchSize;
    const fitF = line(
      per.map((_, i) => distinctPairs(Math.min(i + 2, flashPool.length), batch)), // episode i + 2 draws from the pairs seen so far
      per,
    );
    // A line that makes sense (rising with the pairs, positive at none), else the mean cost per episode.
    const sane = fitF.b >= 0 && fitF.a > 0;
    const flash = sane ? fitF : { a: per.reduce((x, y) => x + y, 0) / Math.max(1, per.length), b: 0 };
    rates.perEpisode["pretrain/flash"] = flash.a;
    rates.perDistinctPair = flash.b;
    rates.overhead["pretrain/flash"] = Math.max(0, stamps[0] - flash.a - flash.b - flashPool.length * ev.perEpisode);
    log(`calibration: pretrain/flash ${flash.a.toFixed(2)} s per episode + ${flash.b.toFixed(3)} s per distinct pair in a batch`);
    for (const [variant, model, group] of [
      ["tl", "tl", "adapt/plain"],
      ["flash", "flash", "adapt/flash"],
    ] as const) {
      const as = await timed(() => task.adapt(withB({ adaptEpisodes: small }), variant, path.join(root, model), pair, 2, dir(`a-${variant}-s`), none));
      const al = await timed(() => task.adapt(withB({ adaptEpisodes: large }), variant, path.join(root, model), pair, 2, dir(`a-${variant}-l`), none));
      set(group, fit(as, al, small, large));
    }
    set("reference", { perEpisode: rates.perEpisode["adapt/plain"] as number, overhead: rates.overhead["adapt/plain"] as number });
    rates.source = `CPU seconds of a calibration on this machine just now (FLASH on ${flashPool.length} pool pairs; load average ${os.loadavg()[0].toFixed(1)})`;
    return rates;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
