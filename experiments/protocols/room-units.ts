/**
 * The fixed-action search as runner units, one per pair (`room/<pair>`): every candidate
 * of the task's fixed-action grid (`RlTask.fixedActionGrid`) and a uniform-random policy
 * played on the pair's selection windows and on its evaluation windows. The reference
 * rule (reference.ts) and the room benchmark (room.ts) read these rows; `flash room`
 * runs them alone, `flash reproduce` beside the agents, `flash sweep` on the new pairs.
 *
 *   - evaluation windows: `reset(EVAL_SEED + e)`, e < evalEpisodes, the agents' and the
 *     baselines' (common random numbers: a candidate's return is comparable with the
 *     reference agent's on the same episodes);
 *   - selection windows: `reset(EVAL_SEED + SELECT_OFFSET + e)`, as many, which no agent
 *     is evaluated on. A pair's best fixed action is chosen on them and scored on the
 *     evaluation windows, so the choice is not fitted to the numbers it is judged by.
 *
 * On a pair with a reference (new and updated pairs) of a task whose grid samples a
 * continuous box (`RlTask.refineFixedAction`), the grid's best is then refined locally on
 * the same selection windows (`refined`): the reference rule reads it; the room benchmark
 * compares grid candidates only, which every pair shares.
 *
 * A row does not depend on the replicate (an episode is drawn from its window seed
 * alone), so each pair is searched once per run.
 */
import { StateError } from "../../errors.js";
import type { UnitRecord } from "../runner/pool.js";
import type { Unit, UnitContext } from "../runner/units.js";
import { EVAL_SEED } from "../tasks/rl-flash-kit.js";
import type { RlBudgets, RlTask } from "../tasks/types.js";

type Cfg = Record<string, unknown>;

/** Selection windows start this far past the evaluation windows (the room bench's offset). */
export const SELECT_OFFSET = 500;

/** A room unit's input. */
export interface RoomUnitInput {
  kind: "room";
  task: string;
  cfg: Cfg;
  pair: string;
  /** Refine the grid's best (a pair with a reference, on a task that refines). */
  refine?: true;
}

/** One pair's row: mean returns per grid candidate (grid order) and of the random policy. */
export interface RoomRow {
  pair: string;
  select: number[];
  eval: number[];
  randomSelect: number;
  randomEval: number;
  /** The grid's best refined locally (absent: not refined). */
  refined?: { label: string; select: number; eval: number; from: string };
  seconds: number;
}

/** The window seeds of the search. */
export function roomWindows(b: Pick<RlBudgets, "evalEpisodes">): { select: number[]; eval: number[] } {
  const n = b.evalEpisodes;
  return {
    select: Array.from({ length: n }, (_, e) => EVAL_SEED + SELECT_OFFSET + e),
    eval: Array.from({ length: n }, (_, e) => EVAL_SEED + e),
  };
}

export const roomUnitId = (pair: string): string => `room/${pair}`;

/** The pair of a room unit id. */
export const roomUnitPair = (id: string): string => id.slice("room/".length);

/** The pairs a run searches: new and updated pairs (they have references), and with `pool` the pool pairs too (the room benchmark). */
export function roomPairs(task: Pick<RlTask, "pairs" | "updates">, cfg: Cfg, pool: boolean): string[] {
  const p = task.pairs(cfg);
  return [...new Set([...p.test, ...(task.updates?.(cfg) ?? []).map((u) => u.pair), ...(pool ? p.pool : [])])];
}

/** One room unit per pair (none when the task has no fixed-action grid); the pairs in `refine` (those with references) are refined. */
export function roomUnits(task: RlTask, taskName: string, cfg: Cfg, pairs: readonly string[], refine: ReadonlySet<string> = new Set()): Unit[] {
  if (!task.fixedActionGrid) return [];
  const grid = task.fixedActionGrid(cfg).length;
  const b = task.budgets(cfg);
  return [...new Set(pairs)].map((pair) => {
    const input: RoomUnitInput = { kind: "room", task: taskName, cfg, pair, ...(task.refineFixedAction && refine.has(pair) ? { refine: true as const } : {}) };
    // ~1/100 of a training episode per fixed-action episode (no network): only for the ETA and ordering.
    return { id: roomUnitId(pair), kind: "room", deps: [], cost: ((grid + 1) * 2 * b.evalEpisodes) / 100, input };
  });
}

/** Runs a room unit. */
export function executeRoom(task: RlTask, inp: RoomUnitInput, ctx: Pick<UnitContext, "progress">): RoomRow {
  if (!task.fixedActionReturns)
    throw new StateError(`${task.name}: a room unit needs the task's fixedActionReturns hook (RlTask.fixedActionReturns), which this task does not define`);
  const t0 = performance.now();
  const w = roomWindows(task.budgets(inp.cfg));
  ctx.progress(0, "selection windows");
  const sel = task.fixedActionReturns(inp.cfg, inp.pair, w.select);
  ctx.progress(0.5, "evaluation windows");
  const ev = task.fixedActionReturns(inp.cfg, inp.pair, w.eval);
  let refined: RoomRow["refined"];
  if (inp.refine && task.refineFixedAction && task.fixedActionGrid) {
    ctx.progress(0.75, "refining the best");
    const from = task.fixedActionGrid(inp.cfg)[argmax(sel.fixed)];
    refined = { ...task.refineFixedAction(inp.cfg, inp.pair, from, w.select, w.eval), from };
  }
  const seconds = (performance.now() - t0) / 1000;
  return { pair: inp.pair, select: sel.fixed, eval: ev.fixed, randomSelect: sel.random, randomEval: ev.random, ...(refined ? { refined } : {}), seconds };
}

/** The finished room rows by pair. */
export function roomRows(records: ReadonlyMap<string, UnitRecord>): Map<string, RoomRow> {
  const out = new Map<string, RoomRow>();
  for (const r of records.values()) if (r.kind === "room") out.set(roomUnitPair(r.id), r.result as RoomRow);
  return out;
}

/** The index of the largest value (the first on ties). */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/**
 * A row's best fixed action: chosen on the selection windows (the refined one when it is
 * at least as good there as the grid's best), scored on the evaluation windows.
 */
export function bestFixed(row: RoomRow, labels: readonly string[]): { label: string; selectReturn: number; evalReturn: number; refinedFrom?: string } {
  const index = argmax(row.select);
  const r = row.refined;
  if (r && r.select >= row.select[index]) return { label: r.label, selectReturn: r.select, evalReturn: r.eval, refinedFrom: r.from };
  return { label: labels[index], selectReturn: row.select[index], evalReturn: row.eval[index] };
}
