/**
 * Units of work: the runner's scheduling atom. A run is a list of units with
 * dependencies (a DAG); each unit gets a seed derived from the run seed and its own id
 * only, so its result depends on neither the number of workers nor the order in which
 * units ran, and adding units elsewhere never shifts another unit's seed.
 *
 * A unit is executed by an *executor* (an ES module of the harness exporting
 * `executeUnit(unit, ctx)`), named in the registry (executors.ts) and loaded by that
 * name in whichever worker runs it; the unit's `input` and its result are plain JSON.
 */
import { createHash } from "node:crypto";
import { InternalError } from "../../errors.js";

/** One unit of work. */
export interface Unit {
  /** Unique within the run; also names its result and work files (`/` allowed). */
  id: string;
  /** What the executor does with it (e.g. "reference", "pretrain", "adapt"). */
  kind: string;
  /** Ids of units whose results this unit reads; they run first. */
  deps: string[];
  /** JSON input for the executor. */
  input: unknown;
  /** Relative cost for the time estimate (e.g. environment episodes); default 1. */
  cost?: number;
}

/** A unit as scheduled: with its derived seed and a hash of what determines its result. */
export interface PlannedUnit extends Unit {
  seed: number;
  /** sha256 of (executor, kind, input, seed, deps): a finished result is reused only when it matches. */
  key: string;
}

/** What an executor gets besides the unit. */
export interface UnitContext {
  /** The run's output directory. */
  outDir: string;
  /** A directory of this unit's own (checkpoints, buffers); emptied before the unit runs. */
  workDir: string;
  /** Work directories of the unit's dependencies, by id. */
  depDirs: Record<string, string>;
  /** Results of the unit's dependencies, by id. */
  deps: Record<string, unknown>;
  /** Report progress (fraction in [0, 1] and a short message). */
  progress(fraction: number, message?: string): void;
}

/** An executor module's export. */
export type ExecuteUnit = (unit: PlannedUnit, ctx: UnitContext) => Promise<unknown>;

/** A 31-bit seed from the run seed and a label (the unit id): sha256, first 4 bytes. */
export function deriveSeed(runSeed: number | string, label: string): number {
  const h = createHash("sha256").update(`flash-adapt/${runSeed}/${label}`).digest();
  return h.readUInt32BE(0) & 0x7fffffff;
}

/** A stable JSON string (object keys sorted), for hashing. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(",")}}`;
}

export function hashOf(v: unknown): string {
  return createHash("sha256").update(stableStringify(v)).digest("hex").slice(0, 16);
}

/** A planned unit's key: the hash of everything that determines its result. */
export function unitKeyOf(executor: string, u: Pick<PlannedUnit, "kind" | "input" | "seed" | "deps">): string {
  return hashOf({ executor, kind: u.kind, input: u.input, seed: u.seed, deps: u.deps });
}

/** Whether `id` may name a unit (it also names the unit's files): a non-empty relative name. */
export function isUnitId(id: unknown): id is string {
  return typeof id === "string" && id.length > 0 && !id.includes("..") && !id.startsWith("/");
}

/**
 * Check a unit list (unique ids, known deps, no cycle) and give each unit its seed and
 * key; returned in a dependency-respecting order (stable: input order where free).
 */
export function planUnits(units: readonly Unit[], runSeed: number | string, executor: string): PlannedUnit[] {
  const byId = new Map<string, Unit>();
  for (const u of units) {
    if (!isUnitId(u.id)) throw new InternalError(`unit id ${JSON.stringify(u.id)}: expected a non-empty relative name`);
    if (byId.has(u.id)) throw new InternalError(`unit id "${u.id}" appears twice`);
    byId.set(u.id, u);
  }
  for (const u of units) for (const d of u.deps) if (!byId.has(d)) throw new InternalError(`unit "${u.id}" depends on "${d}", which is not in the run`);
  const order: Unit[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (u: Unit, path: string[]) => {
    const s = state.get(u.id);
    if (s === 2) return;
    if (s === 1) throw new InternalError(`dependency cycle: ${[...path, u.id].join(" -> ")}`);
    state.set(u.id, 1);
    for (const d of u.deps) visit(byId.get(d) as Unit, [...path, u.id]);
    state.set(u.id, 2);
    order.push(u);
  };
  for (const u of units) visit(u, []);
  return order.map((u) => {
    const seed = deriveSeed(runSeed, u.id);
    return { ...u, cost: u.cost ?? 1, seed, key: unitKeyOf(executor, { ...u, seed }) };
  });
}

/** A file-system-safe name for a unit id. */
export function unitFileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, (c) => (c === "/" ? "__" : `~${c.charCodeAt(0).toString(16)}`));
}
