/**
 * The reference rule, once for every task: a pair's reference is the stronger of its RL
 * reference (agents trained on the pair alone, `pairReferences`) and the best policy
 * that needs no learning on that pair, so a drop's zero and a convergence target never
 * sit below what a fixed rule achieves (a reference below it makes everyone "converge"
 * at once and every speedup read ~1).
 *
 * The policies that need no learning on a pair, all scored on the agents' evaluation
 * windows (common random numbers):
 *   - the best fixed action: the task's grid (`RlTask.fixedActionGrid`) searched on the
 *     pair's selection windows (room-units.ts), then refined locally where the task's grid
 *     samples a continuous box (`RlTask.refineFixedAction`), its return on the evaluation
 *     windows; named `fixed:<label>`;
 *   - the task's baselines (`ReferenceResult.baselines`: autoscaling's HPA and VPA,
 *     cpufreq's five governors, congestion's AIMD and BBR-like sender), mean over the
 *     reference replicates; named by their id.
 * Baselines that read state no agent sees (`RlTask.boundBaselines`: congestion's sender
 * at the link's capacity) are bounds: reported beside, never a reference.
 *
 * Per pair: `reached` = the RL reference's evaluation return >= the best such policy's
 * (paired: the same windows). When it does, the RL reference is used (`source` "rl");
 * when it does not, the policy is: the drop's zero R_ref is its evaluation return, and
 * the convergence target is the RL reference's learning-curve level raised by the
 * policy's margin (R_nl - R_rl), so that a target on training returns (which carry the
 * agent's exploration) stays on the curve's own scale. The random baseline B is the
 * pair's, unchanged. A test on such a pair is kept and flagged (`reference_source`),
 * never excluded; tests are still excluded when even the stronger reference is no better
 * than random (reward-drop.ts), and counted.
 */
import type { UnitRecord } from "../runner/pool.js";
import type { FixedReferenceJson, ReferenceJson, ReferenceRuleJson } from "../runner/results.js";
import type { ReferenceResult, RlTask } from "../tasks/types.js";
import type { PairReference } from "./reward-drop.js";
import { bestFixed, roomRows, roomWindows } from "./room-units.js";

type Cfg = Record<string, unknown>;

/** The pair and replicate of a reference unit id `ref/<pair>/r<k>` (pair ids may hold "/"). */
export function refUnit(id: string): { pair: string; replicate: number } {
  return { pair: id.split("/").slice(1, -1).join("/"), replicate: Number(id.slice(id.lastIndexOf("/r") + 2)) };
}

/** What needs no learning on one pair. */
export interface NonLearning {
  /** The best fixed action (null: no grid, or no search for this pair). */
  fixed: { label: string; selectReturn: number; evalReturn: number; refinedFrom?: string } | null;
  /** Baselines that count, by id (mean over the reference replicates). */
  baselines: Record<string, number>;
  /** Baselines that read hidden state: reported only. */
  bounds: Record<string, number>;
}

/** One pair's reference after the rule. */
export interface RuledReference {
  rl: PairReference;
  nonLearning: NonLearning;
  /** The best policy that needs no learning (null: none). */
  best: { source: string; evalReturn: number } | null;
  /** "rl" or `best.source`. */
  source: string;
  /** RL >= best (null: nothing to compare with). */
  reached: boolean | null;
  /** What the drop and convergence use. */
  used: PairReference;
}

/** The rule on one pair (see the module comment). */
export function ruleReference(rl: PairReference, nl: NonLearning): RuledReference {
  const candidates = [
    ...(nl.fixed ? [{ source: `fixed:${nl.fixed.label}`, evalReturn: nl.fixed.evalReturn }] : []),
    ...Object.entries(nl.baselines).map(([source, evalReturn]) => ({ source, evalReturn })),
  ];
  const best = candidates.reduce<RuledReference["best"]>((b, c) => (b === null || c.evalReturn > b.evalReturn ? c : b), null);
  if (best === null || rl.evalReturn >= best.evalReturn) {
    return { rl, nonLearning: nl, best, source: "rl", reached: best === null ? null : true, used: { ...rl, source: "rl" } };
  }
  const margin = best.evalReturn - rl.evalReturn;
  const used: PairReference = { ...rl, evalReturn: best.evalReturn, trainLevel: rl.trainLevel + margin, source: best.source };
  return { rl, nonLearning: nl, best, source: best.source, reached: false, used };
}

/** Each pair's baselines, mean over its reference replicates, split into policies and bounds. */
function baselinesByPair(records: ReadonlyMap<string, UnitRecord>, bounds: ReadonlySet<string>): Map<string, Pick<NonLearning, "baselines" | "bounds">> {
  const sums = new Map<string, Map<string, number[]>>();
  for (const r of records.values()) {
    const b = r.kind === "reference" ? (r.result as ReferenceResult).baselines : undefined;
    if (!b) continue;
    const { pair } = refUnit(r.id);
    const m = sums.get(pair) ?? new Map<string, number[]>();
    for (const [name, v] of Object.entries(b)) m.set(name, [...(m.get(name) ?? []), v]);
    sums.set(pair, m);
  }
  const out = new Map<string, Pick<NonLearning, "baselines" | "bounds">>();
  for (const [pair, m] of sums) {
    const x = { baselines: {} as Record<string, number>, bounds: {} as Record<string, number> };
    for (const [name, vs] of m) (bounds.has(name) ? x.bounds : x.baselines)[name] = vs.reduce((a, v) => a + v, 0) / vs.length;
    out.set(pair, x);
  }
  return out;
}

/** The rule on every pair with an RL reference: the references to use and each pair's record. */
export function applyReferenceRule(
  task: Pick<RlTask, "fixedActionGrid" | "boundBaselines">,
  cfg: Cfg,
  records: ReadonlyMap<string, UnitRecord>,
  rlRefs: ReadonlyMap<string, PairReference>,
): { refs: Map<string, PairReference>; ruled: Map<string, RuledReference> } {
  const rows = roomRows(records);
  const labels = task.fixedActionGrid?.(cfg) ?? [];
  const base = baselinesByPair(records, new Set(task.boundBaselines ?? []));
  const ruled = new Map<string, RuledReference>();
  for (const [pair, rl] of rlRefs) {
    const row = rows.get(pair);
    const b = base.get(pair) ?? { baselines: {}, bounds: {} };
    const fixed = row && labels.length ? bestFixed(row, labels) : null;
    ruled.set(pair, ruleReference(rl, { ...b, fixed }));
  }
  return { refs: new Map([...ruled].map(([p, r]) => [p, r.used])), ruled };
}

/**
 * The references of pairs without an RL reference: new pairs that are served only
 * (`RlBudgets.referencePairs`) and pool pairs (the pool tests, pool-tests.ts). The best
 * fixed action of the pair's room unit (chosen on the selection windows, its return on the
 * evaluation windows) is the drop's zero, and the random policy's return on the evaluation
 * windows its baseline (source `fixed:<label>`). The task's baselines (HPA, governors, ...)
 * are evaluated in reference units only, so they do not compete here. A pair without a room
 * unit (a task without a fixed-action grid) gets none, and its tests are excluded and counted.
 */
export function fixedReferences(
  task: Pick<RlTask, "fixedActionGrid">,
  cfg: Cfg,
  records: ReadonlyMap<string, UnitRecord>,
  pairs: readonly string[],
): Map<string, PairReference> {
  const rows = roomRows(records);
  const labels = task.fixedActionGrid?.(cfg) ?? [];
  const out = new Map<string, PairReference>();
  for (const pair of pairs) {
    const row = rows.get(pair);
    if (!row || labels.length === 0) continue;
    const f = bestFixed(row, labels);
    out.set(pair, { pair, evalReturn: f.evalReturn, trainLevel: f.evalReturn, baseline: row.randomEval, source: `fixed:${f.label}` });
  }
  return out;
}

/** results.json's `fixed_references[]` entry (a new pair served only, or a pool pair). */
export function fixedReferenceJson(r: PairReference, role: "new" | "pool"): FixedReferenceJson {
  return { pair: r.pair, role, source: r.source ?? "fixed", eval_return: r.evalReturn, baseline: r.baseline };
}

/** results.json's `references[]` entry of a pair (its RL reference, what needs no learning, and what is used). */
export function ruledReferenceJson(r: RuledReference): ReferenceJson {
  const f = r.nonLearning.fixed;
  return {
    pair: r.rl.pair,
    eval_return: r.rl.evalReturn,
    train_level: r.rl.trainLevel,
    baseline: r.rl.baseline,
    non_learning: r.best && { source: r.best.source, eval_return: r.best.evalReturn },
    fixed_action: f && { label: f.label, select_return: f.selectReturn, eval_return: f.evalReturn, ...(f.refinedFrom ? { refined_from: f.refinedFrom } : {}) },
    bounds: { ...r.nonLearning.bounds },
    reference_source: r.source,
    reached: r.reached,
    used: { eval_return: r.used.evalReturn, train_level: r.used.trainLevel },
  };
}

/** results.json's `reference_rule` (the RL-only numbers come from the caller, which owns the A/B and adaptation protocols). */
export function referenceRuleJson(
  task: Pick<RlTask, "fixedActionGrid" | "boundBaselines" | "budgets">,
  cfg: Cfg,
  records: ReadonlyMap<string, UnitRecord>,
  ruled: ReadonlyMap<string, RuledReference>,
  weakTests: number,
  rlOnly: ReferenceRuleJson["rl_only"],
): ReferenceRuleJson {
  const rs = [...ruled.values()];
  const compared = rs.filter((r) => r.reached !== null);
  const bySource: Record<string, number> = {};
  for (const r of rs) bySource[r.source] = (bySource[r.source] ?? 0) + 1;
  const w = roomWindows(task.budgets(cfg));
  const rows = roomRows(records);
  const bounds = new Set(task.boundBaselines ?? []);
  const baselineIds = [...new Set(rs.flatMap((r) => Object.keys(r.nonLearning.baselines)))].filter((b) => !bounds.has(b));
  return {
    grid: task.fixedActionGrid && rows.size ? { size: task.fixedActionGrid(cfg).length, select_windows: w.select, eval_windows: w.eval } : null,
    baselines: baselineIds,
    bounds: [...bounds],
    pairs: rs.length,
    reached: compared.filter((r) => r.reached).length,
    fraction_reached: compared.length ? compared.filter((r) => r.reached).length / compared.length : null,
    by_source: bySource,
    weak_reference_tests: weakTests,
    rl_only: rlOnly,
    seconds: [...rows.values()].reduce((a, r) => a + r.seconds, 0),
  };
}
