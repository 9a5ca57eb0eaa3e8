/**
 * The room benchmark, for every RL task with a fixed-action grid: do the task's pairs
 * need different policies? Measured without RL, on the rows of the fixed-action search
 * (room-units.ts: every candidate's return on every pair's selection and evaluation
 * windows). For each pair i, with own_i its best candidate (chosen on i's selection
 * windows) and every return read on i's evaluation windows:
 *
 *   - gain: R_i(own_i) - R_i(random), the room a fixed action has over acting at random;
 *   - pair-blind: the one candidate with the best mean normalised return over every pair
 *     ((R_j(c) - random_j) / (max_c R_j(c) - random_j) on the selection windows): the best
 *     policy of the family that ignores the pair;
 *   - another pair's best: the mean over j != i of R_i(own_j);
 *   - leave-one-application-out (LOAO) pair-blind: the pair-blind candidate chosen on the
 *     pairs of every other application (`RlTask.applicationOf`: an updated pair, a
 *     processor change and the pair they came from are one application, left out whole);
 *     what a context-free policy tuned on other applications gives a new one;
 *   - LOAO oracle: own_j of the pair j of another application nearest to i in the task's
 *     oracle features (standardised over the pairs): what knowing the pair's true
 *     parameters, and nothing learned, gives;
 *   - before the update (updated pairs): the best of the pair it was made from, per scenario.
 *
 * Each is a loss R_i(own_i) - R_i(policy) in reward per episode, with mean and 95% CI
 * over pairs; as a fraction of the gain per pair (null where the gain is not positive;
 * mean and CI over those pairs: heavy-tailed where a gain is small); and as the share of
 * the mean gain, mean loss / mean gain over the same pairs (robust to small gains).
 *
 * Verdict, on the LOAO pair-blind loss (what a context would remove on an application it
 * never saw) against the convergence band in reward, tolerance x mean gain: "room" when
 * the loss's interval lies above the band (a loss no drop or convergence test could
 * miss), "no room" when it lies below it (inside what every protocol treats as
 * converged), else "undecided"; each names the loss measured and the smallest effect this
 * many pairs could detect (the interval's half-width; (t + 0.84) SE for 80% power).
 */
import { meanCi95, meanCiJson, t975 } from "../stats.js";
import type { UnitRecord } from "../runner/pool.js";
import type { MeanCiJson, RoomJson, RoomLossJson, RoomPairJson, RoomPolicyJson, RoomVerdictJson } from "../runner/results.js";
import type { RlTask, UpdatePair } from "../tasks/types.js";
import { argmax, roomRows, roomWindows, type RoomRow } from "./room-units.js";

type Cfg = Record<string, unknown>;

/** One pair of the benchmark with its search row. */
export interface RoomPairInput {
  id: string;
  application: string;
  role: RoomPairJson["role"];
  /** Updated pairs: the pair it was made from and the scenario. */
  from?: string;
  scenario?: string;
  /** The task's oracle features (absent: no oracle). */
  oracle?: number[];
  row: RoomRow;
}

export interface RoomInput {
  labels: string[];
  windows: { select: number[]; eval: number[] };
  pairs: RoomPairInput[];
  /** The convergence tolerance (fraction of the gain) the verdict compares with. */
  tolerance: number;
}

const mc = (xs: readonly number[]): MeanCiJson | null => (xs.length ? meanCiJson(meanCi95(xs)) : null);

/**
 * The candidate with the best mean normalised selection return over `rows`; rows whose
 * best is no better than random carry no scale and are left out (all of them: raw means).
 */
export function pairBlindChoice(rows: readonly RoomRow[]): number {
  const scaled = rows.filter((r) => Math.max(...r.select) > r.randomSelect);
  const use = scaled.length ? scaled : rows;
  const score = rows[0].select.map((_, c) =>
    use.reduce((a, r) => a + (scaled.length ? (r.select[c] - r.randomSelect) / (Math.max(...r.select) - r.randomSelect) : r.select[c]), 0),
  );
  return argmax(score);
}

/** Standardised features (z-scores per column over the rows; constant columns become 0). */
function standardised(xs: readonly number[][]): number[][] {
  const n = xs.length;
  const d = xs[0].length;
  const mean = Array.from({ length: d }, (_, j) => xs.reduce((a, x) => a + x[j], 0) / n);
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(xs.reduce((a, x) => a + (x[j] - mean[j]) ** 2, 0) / n));
  return xs.map((x) => x.map((v, j) => (sd[j] > 1e-12 ? (v - mean[j]) / sd[j] : 0)));
}

/** The room numbers of every pair and their summary; see the module comment. */
export function analyseRoom(input: RoomInput): RoomJson {
  const P = input.pairs;
  if (P.length === 0) throw new RangeError("analyseRoom: expected at least one pair");
  const own = P.map((p) => argmax(p.row.select));
  const blind = pairBlindChoice(P.map((p) => p.row));
  const apps = P.map((p) => p.application);
  const index = new Map(P.map((p, i) => [p.id, i]));
  const z = P.every((p) => p.oracle) ? standardised(P.map((p) => p.oracle as number[])) : null;
  const loaoCache = new Map<string, number>();
  const loaoChoice = (app: string): number | null => {
    const rows = P.filter((p) => p.application !== app).map((p) => p.row);
    if (rows.length === 0) return null;
    if (!loaoCache.has(app)) loaoCache.set(app, pairBlindChoice(rows));
    return loaoCache.get(app) as number;
  };

  const pairs: RoomPairJson[] = P.map((p, i) => {
    const r = p.row;
    const mine = r.eval[own[i]];
    const gain = mine - r.randomEval;
    const served = (reward: number, label: string | null): RoomPolicyJson => ({
      label,
      reward,
      loss: mine - reward,
      loss_fraction: gain > 0 ? (mine - reward) / gain : null,
    });
    const at = (c: number) => served(r.eval[c], input.labels[c]);
    const others = P.map((_, j) => j).filter((j) => j !== i);
    const u = loaoChoice(p.application);
    let nearest: number | null = null;
    if (z) {
      let best = Infinity;
      for (const j of others) {
        if (apps[j] === p.application) continue;
        const d = z[i].reduce((a, v, k) => a + (v - z[j][k]) ** 2, 0);
        if (d < best) [best, nearest] = [d, j];
      }
    }
    const from = p.from !== undefined ? index.get(p.from) : undefined;
    return {
      pair: p.id,
      application: p.application,
      role: p.role,
      random: r.randomEval,
      own: { label: input.labels[own[i]], reward: mine, select_reward: r.select[own[i]] },
      gain,
      pair_blind: at(blind),
      other_pairs: served(others.length ? others.reduce((a, j) => a + r.eval[own[j]], 0) / others.length : mine, null),
      loao_pair_blind: u === null ? null : at(u),
      loao_oracle: nearest === null ? null : { ...at(own[nearest]), nearest: P[nearest].id },
      before_update: from === undefined || p.scenario === undefined ? null : { ...at(own[from]), from: P[from].id, scenario: p.scenario },
    };
  });

  const lossOf = (xs: (RoomPolicyJson | null)[]): RoomLossJson => {
    const have = xs.map((x, i) => ({ x, gain: pairs[i].gain })).filter((v): v is { x: RoomPolicyJson; gain: number } => v.x !== null);
    const gain = have.reduce((a, v) => a + v.gain, 0);
    return {
      loss: mc(have.map((v) => v.x.loss)),
      loss_fraction: mc(have.map((v) => v.x.loss_fraction).filter((f): f is number => f !== null)),
      share: have.length && gain > 0 ? have.reduce((a, v) => a + v.x.loss, 0) / gain : null,
      gain: mc(have.map((v) => v.gain)),
    };
  };
  const scenarios = [...new Set(pairs.map((p) => p.before_update?.scenario).filter((s): s is string => s !== undefined))];
  const counts: Record<string, number> = {};
  for (const p of pairs) counts[p.own.label] = (counts[p.own.label] ?? 0) + 1;
  const loao = lossOf(pairs.map((p) => p.loao_pair_blind));
  return {
    grid: [...input.labels],
    windows: { select: [...input.windows.select], eval: [...input.windows.eval] },
    applications: new Set(apps).size,
    pair_blind_label: input.labels[blind],
    pairs,
    summary: {
      gain: mc(pairs.map((p) => p.gain)),
      pair_blind: lossOf(pairs.map((p) => p.pair_blind)),
      other_pairs: lossOf(pairs.map((p) => (P.length > 1 ? p.other_pairs : null))),
      loao_pair_blind: loao,
      loao_oracle: z ? lossOf(pairs.map((p) => p.loao_oracle)) : null,
      by_scenario: Object.fromEntries(scenarios.map((s) => [s, lossOf(pairs.map((p) => (p.before_update?.scenario === s ? p.before_update : null)))])),
      own_best_counts: counts,
    },
    verdict: roomVerdict(loao, input.tolerance),
    seconds: P.reduce((a, p) => a + p.row.seconds, 0),
  };
}

/** The 95% half-width and the 80%-power detectable effect of a mean over n values (null below two). */
export function detectableEffects(m: MeanCiJson | null): { detectable: number | null; detectable_80: number | null } {
  if (!m || m.ci95 === null || m.n < 2) return { detectable: null, detectable_80: null };
  const t = t975(m.n - 1);
  return { detectable: m.ci95, detectable_80: (t + 0.84) * (m.ci95 / t) };
}

/** The verdict on the LOAO pair-blind loss (see the module comment). */
export function roomVerdict(loao: RoomLossJson, tolerance: number): RoomVerdictJson {
  const l = loao.loss;
  const g = loao.gain;
  const { detectable, detectable_80 } = detectableEffects(l);
  const per = (x: number | null) => (x === null || !g || !(g.mean > 0) ? null : x / g.mean);
  const band = g && g.mean > 0 ? tolerance * g.mean : null;
  const base = {
    measure: "loao_pair_blind" as const,
    loss: l,
    gain: g,
    share: loao.share,
    tolerance,
    band,
    detectable,
    detectable_share: per(detectable),
    detectable_80,
    detectable_80_share: per(detectable_80),
  };
  if (!l || band === null)
    return { ...base, outcome: "undecided", text: "no room could be measured: a single application, or no fixed action better than random on average" };
  const h = l.ci95;
  const measured =
    `a fixed action that ignores the pair, chosen on the other applications, loses ${l.mean.toFixed(2)}${h === null ? "" : ` ± ${h.toFixed(2)}`} ` +
    `reward per episode against each pair's own best (${(loao.share ?? NaN).toFixed(3)} of the mean gain over random, ${(g as MeanCiJson).mean.toFixed(2)}; ` +
    `n = ${l.n} pairs)`;
  const detect =
    h === null
      ? "one pair: no interval, so no effect size can be excluded"
      : `the smallest loss these ${l.n} pairs can tell from zero is ${h.toFixed(2)} reward per episode (${(per(h) as number).toFixed(3)} of the ` +
        `gain; ${(detectable_80 as number).toFixed(2)}, ${(per(detectable_80) as number).toFixed(3)} of the gain, with 80% power)`;
  const bandWords = `the convergence band (tolerance ${tolerance} x mean gain = ${band.toFixed(2)})`;
  if (h !== null && l.mean - h > band) return { ...base, outcome: "room", text: `room: ${measured}, above ${bandWords}; ${detect}` };
  if (h !== null && l.mean + h < band)
    return { ...base, outcome: "no room", text: `no room: ${measured}, below ${bandWords}, where every protocol counts as converged; ${detect}` };
  return { ...base, outcome: "undecided", text: `undecided: ${measured}; its interval reaches ${bandWords}; ${detect}` };
}

/** The room of a run from its finished room units (null: fewer than two pairs searched). */
export function summariseRoom(
  task: Pick<RlTask, "fixedActionGrid" | "applicationOf" | "oracle" | "updates" | "pairs" | "budgets">,
  cfgs: readonly Cfg[],
  records: ReadonlyMap<string, UnitRecord>,
): RoomJson | null {
  const rows = roomRows(records);
  if (!task.fixedActionGrid || rows.size < 2) return null;
  const cfg = cfgs[0];
  // Each replicate's pairs with its own config (protocols/replicates.ts): the task resolves a pair from the config that holds it.
  const cfgOf = new Map<string, Cfg>();
  const testSet = new Set<string>();
  const poolSet = new Set<string>();
  const updates = new Map<string, UpdatePair>();
  for (const c of [...cfgs].reverse()) {
    const { pool, test } = task.pairs(c);
    for (const p of test) testSet.add(p);
    for (const p of pool) poolSet.add(p);
    for (const u of task.updates?.(c) ?? []) updates.set(u.pair, u);
    for (const p of [...pool, ...test, ...(task.updates?.(c) ?? []).map((u) => u.pair)]) cfgOf.set(p, c);
  }
  const pairs: RoomPairInput[] = [...rows.values()].map((row) => {
    const u = updates.get(row.pair);
    const oracle = task.oracle?.(cfgOf.get(row.pair) ?? cfg, row.pair);
    return {
      id: row.pair,
      application: task.applicationOf?.(cfgOf.get(row.pair) ?? cfg, row.pair) ?? row.pair,
      role: testSet.has(row.pair) ? "new" : u ? "updated" : poolSet.has(row.pair) ? "pool" : "new",
      ...(u ? { from: u.from, scenario: u.scenario } : {}),
      ...(oracle ? { oracle } : {}),
      row,
    };
  });
  const b = task.budgets(cfg);
  return analyseRoom({ labels: task.fixedActionGrid(cfg), windows: roomWindows(b), pairs, tolerance: b.tolerance });
}
