/**
 * The cost plan of a run before it runs (`flash reproduce|sweep|rerun ... --plan`): its
 * units with their counts by kind, the episodes each runs (protocols/unit-work.ts), and
 * an estimated wall time on this machine from per-episode costs, either calibrated just
 * now (calibrate.ts) or fitted to the finished units of a run directory (`ratesFromRun`:
 * the last run's timings). The wall time is the pool's own schedule (critical path first,
 * `workers` at a time) replayed with the estimated unit times (`simulateWall`). Nothing is
 * run and nothing is written.
 *
 * A unit's estimate: overhead + episodes x (rate of its group + distinct pairs per batch x
 * the per-distinct-pair rate, FLASH pretraining only) + evaluation episodes x the
 * evaluation rate. References trained to a plateau (budgets.referenceCap) give a range:
 * from their minimum to their cap.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RlTask } from "../tasks/types.js";
import { unitWork, WORK_GROUPS, type UnitWork, type WorkGroup } from "../protocols/unit-work.js";
import type { EpisodeRates } from "./calibrate.js";
import { criticalPathOrder, formatSeconds, unitsDir, type UnitRecord } from "./pool.js";
import type { PlannedUnit } from "./units.js";

export interface UnitEstimate extends UnitWork {
  id: string;
  kind: string;
  /** Estimated seconds at the minimum and at the most episodes. */
  seconds: number;
  secondsMax: number;
  /** Finished already (a record with the unit's key in the run directory). */
  done: boolean;
}

/** A unit's estimated seconds for `episodes` training episodes (null: no rate for its group). */
function secondsOf(w: UnitWork, episodes: number, r: EpisodeRates): number | null {
  const rate = w.group === "serve" ? 0 : r.perEpisode[w.group];
  if (rate === undefined || (w.evals > 0 && r.perEval === null)) return null;
  const perEpisode = rate + (w.group === "pretrain/flash" ? r.perDistinctPair * w.distinct : 0);
  return (r.overhead[w.group] ?? 0) + episodes * perEpisode + w.evals * (r.perEval ?? 0);
}

/** Each planned unit's work and estimated seconds; `done` ids are marked (their time is not left to spend). */
export function estimateUnits(
  plan: readonly PlannedUnit[],
  task: Pick<RlTask, "budgets" | "baselineLabels">,
  rates: EpisodeRates,
  done: ReadonlySet<string>,
): UnitEstimate[] {
  return plan.map((u) => {
    const w = unitWork(u, task);
    const s = secondsOf(w, w.episodes, rates);
    const sMax = secondsOf(w, w.episodesMax, rates);
    return { id: u.id, kind: u.kind, ...w, seconds: s ?? NaN, secondsMax: sMax ?? NaN, done: done.has(u.id) };
  });
}

/**
 * The wall time of running the units not yet done on `workers` workers as the pool
 * schedules them (critical path first, a unit starts once its dependencies finished),
 * with each unit taking `seconds.get(id)`.
 */
export function simulateWall(plan: readonly PlannedUnit[], seconds: ReadonlyMap<string, number>, workers: number, done: ReadonlySet<string>): number {
  // The pool's order (its planned relative costs), the estimated durations.
  const order = criticalPathOrder(plan.filter((u) => !done.has(u.id))).map((u) => ({ ...u, cost: seconds.get(u.id) ?? 0 }));
  const finish = new Map<string, number>(); // unit id -> simulated end time
  const free = Array.from({ length: Math.max(1, workers) }, () => 0); // each worker's next free time
  const pending = new Set(order.map((u) => u.id));
  let now = 0;
  while (pending.size > 0) {
    const readyAt = (u: PlannedUnit) => Math.max(0, ...u.deps.map((d) => (done.has(d) ? 0 : (finish.get(d) ?? Infinity))));
    // The first unit in priority order whose dependencies have finished by the earliest free worker's time, else wait for one.
    free.sort((a, b) => a - b);
    now = Math.max(now, free[0]);
    const next = order.find((u) => pending.has(u.id) && readyAt(u) <= now);
    if (!next) {
      const soonest = Math.min(...order.filter((u) => pending.has(u.id)).map(readyAt));
      if (!Number.isFinite(soonest)) break; // a dependency never finishes: cannot happen for a planned DAG
      now = soonest;
      continue;
    }
    pending.delete(next.id);
    const end = now + (next.cost ?? 0);
    finish.set(next.id, end);
    free[0] = end;
  }
  return Math.max(0, ...finish.values());
}

/** Every unit record stored in run directory `dir`, by unit id (torn files left out). */
export function storedRecords(dir: string): Map<string, UnitRecord> {
  const out = new Map<string, UnitRecord>();
  const udir = unitsDir(dir);
  if (!existsSync(udir)) return out;
  for (const f of readdirSync(udir).filter((x) => x.endsWith(".json"))) {
    try {
      const r = JSON.parse(readFileSync(path.join(udir, f), "utf8")) as UnitRecord;
      out.set(r.id, r);
    } catch {
      // a torn file: not finished
    }
  }
  return out;
}

/** The ids of `plan`'s units that a resume would reuse: a stored record with the unit's key. */
export function finishedIds(plan: readonly PlannedUnit[], records: ReadonlyMap<string, UnitRecord>): Set<string> {
  return new Set(plan.filter((u) => records.get(u.id)?.key === u.key).map((u) => u.id));
}

/** Training episodes a finished unit actually ran (references stop on a plateau; others as planned). */
function episodesRun(r: UnitRecord, w: UnitWork): number {
  const res = r.result as { returns?: unknown[]; episodes?: number } | null;
  if (r.kind === "reference" || r.kind === "adapt") return Array.isArray(res?.returns) ? res.returns.length : w.episodes;
  if (r.kind === "pretrain") return typeof res?.episodes === "number" ? res.episodes : w.episodes;
  return w.episodes;
}

/**
 * A finished unit's seconds on a core of its own: its wall seconds over the share of a core
 * it had, from the load average recorded when it finished (max(1, load / cores)); as
 * recorded when the record has no load (older records, queue runs).
 */
export function coreSeconds(r: Pick<UnitRecord, "seconds" | "load">, cores = os.cpus().length): number {
  return r.load === undefined ? r.seconds : r.seconds / Math.max(1, r.load / Math.max(1, cores));
}

/**
 * Per-episode costs fitted to the finished units of a run (`records`, planned as `plan`),
 * in seconds on a core of their own (`coreSeconds`):
 * evaluation from its serving units, each group from its units (seconds less their
 * evaluation episodes, over their training episodes; FLASH pretraining against distinct
 * pairs per batch when the run has more than one pool size). Groups the run has no unit
 * of are absent (the caller calibrates them).
 */
export function ratesFromRun(
  plan: readonly PlannedUnit[],
  records: ReadonlyMap<string, UnitRecord>,
  task: Pick<RlTask, "budgets" | "baselineLabels">,
  dir: string,
): EpisodeRates {
  const rows = plan
    .filter((u) => records.has(u.id))
    .map((u) => {
      const r = records.get(u.id) as UnitRecord;
      return { r: { ...r, seconds: coreSeconds(r) }, w: unitWork(u, task) };
    });
  const of = (g: WorkGroup) => rows.filter((x) => x.w.group === g);
  const serve = of("serve");
  const evals = serve.reduce((a, x) => a + x.w.evals, 0);
  const perEval = evals > 0 ? serve.reduce((a, x) => a + x.r.seconds, 0) / evals : null;
  const scaled = rows.filter((x) => x.r.load !== undefined).length;
  const source = `the ${rows.length} finished units of ${dir} (wall seconds${scaled ? `, ${scaled} of them scaled to a core of their own by the load when they finished` : " as they ran"})`;
  const rates: EpisodeRates = { perEpisode: {}, perDistinctPair: 0, perEval, overhead: {}, source };
  for (const g of WORK_GROUPS) {
    if (g === "serve") continue;
    const xs = of(g);
    const eps = xs.reduce((a, x) => a + episodesRun(x.r, x.w), 0);
    if (xs.length === 0 || eps === 0) continue;
    const left = xs.reduce((a, x) => a + x.r.seconds - x.w.evals * (perEval ?? 0), 0);
    rates.perEpisode[g] = Math.max(0, left / eps);
  }
  // FLASH pretraining: seconds per episode against distinct pairs, when the run has two or more pool sizes.
  const flash = of("pretrain/flash").map((x) => ({ x: x.w.distinct, y: (x.r.seconds - x.w.evals * (perEval ?? 0)) / episodesRun(x.r, x.w) }));
  if (new Set(flash.map((f) => f.x.toFixed(3))).size >= 2) {
    const n = flash.length;
    const mx = flash.reduce((a, f) => a + f.x, 0) / n;
    const my = flash.reduce((a, f) => a + f.y, 0) / n;
    const b = flash.reduce((a, f) => a + (f.x - mx) * (f.y - my), 0) / flash.reduce((a, f) => a + (f.x - mx) ** 2, 0);
    // Only a line that makes sense: cost rising with the distinct pairs, and a positive cost at none (else the mean rate stays).
    if (b > 0 && my - b * mx > 0) {
      rates.perDistinctPair = b;
      rates.perEpisode["pretrain/flash"] = my - b * mx;
    }
  }
  return rates;
}

/** `base` with the groups (and evaluation rate) it lacks taken from `fill`. */
export function mergeRates(base: EpisodeRates, fill: EpisodeRates): EpisodeRates {
  const missing = WORK_GROUPS.filter((g) => g !== "serve" && base.perEpisode[g] === undefined);
  return {
    perEpisode: { ...fill.perEpisode, ...base.perEpisode },
    perDistinctPair: base.perEpisode["pretrain/flash"] === undefined ? fill.perDistinctPair : base.perDistinctPair,
    perEval: base.perEval ?? fill.perEval,
    overhead: { ...fill.overhead, ...base.overhead },
    source:
      missing.length || base.perEval === null
        ? `${base.source}; ${[...missing, ...(base.perEval === null ? ["evaluation"] : [])].join(", ")} from ${fill.source}`
        : base.source,
  };
}

/** The groups a run's plan needs a rate for, that `rates` lacks. */
export function missingGroups(estimates: readonly UnitEstimate[]): WorkGroup[] {
  return [...new Set(estimates.filter((e) => Number.isNaN(e.seconds)).map((e) => e.group))];
}

/** How much slower `workers` new CPU-bound threads run with `load` others on `cores` cores: (load + workers) / cores, at least 1. */
export function loadFactor(load: number, workers: number, cores: number): number {
  return Math.max(1, (load + workers) / Math.max(1, cores));
}

/** "3.6 h" from an hour on, "12m30s" below. */
const hours = (s: number) => (!Number.isFinite(s) ? "?" : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : formatSeconds(s));
const range = (a: number, b: number) => (Math.abs(a - b) < 1e-9 ? String(Math.round(a)) : `${Math.round(a)}-${Math.round(b)}`);

/** What `--plan` prints: the units (id, episodes, estimate), counts by kind and group, the rates and the wall time. */
export function planLines(
  heading: string,
  plan: readonly PlannedUnit[],
  estimates: readonly UnitEstimate[],
  rates: EpisodeRates,
  workers: number,
  machine: string,
): string[] {
  const done = new Set(estimates.filter((e) => e.done).map((e) => e.id));
  const L: string[] = [heading, "", "units (id: training episodes + evaluation episodes, estimated time):"];
  for (const e of estimates)
    L.push(
      `  ${e.id}: ${range(e.episodes, e.episodesMax)} + ${Math.round(e.evals)} eval, ${e.done ? "finished" : formatSeconds(e.seconds)}` +
        `${!e.done && e.secondsMax !== e.seconds ? ` to ${formatSeconds(e.secondsMax)}` : ""}`,
    );
  L.push("", "by kind:", `  ${"kind".padEnd(16)}${"units".padStart(6)}${"left".padStart(6)}  episodes per unit   unit-hours left`);
  const groups = [...new Set(estimates.map((e) => e.group))];
  for (const g of groups) {
    const xs = estimates.filter((e) => e.group === g);
    const left = xs.filter((e) => !e.done);
    const lo = Math.min(...xs.map((e) => e.episodes));
    const hi = Math.max(...xs.map((e) => e.episodesMax));
    const h = left.reduce((a, e) => a + e.seconds, 0);
    const hMax = left.reduce((a, e) => a + e.secondsMax, 0);
    L.push(
      `  ${g.padEnd(16)}${String(xs.length).padStart(6)}${String(left.length).padStart(6)}  ${range(lo, hi).padEnd(19)}${hours(h)}${hMax !== h ? ` to ${hours(hMax)}` : ""}`,
    );
  }
  const total = estimates.filter((e) => !e.done).reduce((a, e) => a + e.seconds, 0);
  const totalMax = estimates.filter((e) => !e.done).reduce((a, e) => a + e.secondsMax, 0);
  const wall = simulateWall(plan, new Map(estimates.map((e) => [e.id, e.seconds])), workers, done);
  const wallMax = simulateWall(plan, new Map(estimates.map((e) => [e.id, e.secondsMax])), workers, done);
  const r = rates.perEpisode;
  const s = (x: number | undefined | null, d = 2) => (x === undefined || x === null ? "?" : x.toFixed(d));
  L.push(
    "",
    `per-episode seconds (${rates.source}): reference ${s(r.reference)}, TL/oracle pretraining ${s(r["pretrain/plain"])}, ` +
      `FLASH pretraining ${s(r["pretrain/flash"])} + ${s(rates.perDistinctPair, 3)} per distinct pair in a batch, ` +
      `adaptation TL ${s(r["adapt/plain"])} / FLASH ${s(r["adapt/flash"])}, evaluation ${s(rates.perEval, 3)}`,
    `machine: ${machine}`,
    `${estimates.length} units, ${done.size} finished; unit time left ${hours(total)}${totalMax !== total ? ` to ${hours(totalMax)}` : ""}`,
    `estimated wall time on ${workers} worker(s), each with a core of its own: ${hours(wall)}` +
      `${wallMax !== wall ? ` (references at their minimum) to ${hours(wallMax)} (at their cap)` : ""}`,
  );
  const slow = loadFactor(os.loadavg()[0], workers, os.cpus().length);
  if (slow > 1.05)
    L.push(
      `at the current load (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores, plus ${workers} worker(s)) each worker gets about ` +
        `1/${slow.toFixed(1)} of a core: about ${hours(wall * slow)}${wallMax !== wall ? ` to ${hours(wallMax * slow)}` : ""} if that load stays`,
    );
  return L;
}
