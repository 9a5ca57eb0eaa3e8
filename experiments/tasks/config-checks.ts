/**
 * Field validators for the RL tasks' JSON configs: every error names the field
 * (`where.field`) and what it got. Shared by the task files (classic-family.ts,
 * autoscaling-pairs.ts), with the checks of the blocks every RL-FLASH kit config holds
 * (`flash`, `budgets`, distinct pair ids, `agent.netArch`).
 */
import type { FlashSettings } from "./rl-flash-kit.js";
import type { RlBudgets } from "./types.js";
import { ConfigError } from "../../errors.js";

/** `o[k]`: a finite number >= min (and <= max), an integer unless `integer` is false. */
export function num(o: Record<string, unknown>, k: string, where: string, min: number, integer = true, max = Infinity): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new ConfigError(
      `${where}.${k}: expected ${integer ? "an integer" : "a number"} >= ${min}${max < Infinity ? ` and <= ${max}` : ""}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** `o[k]`: a finite number > 0 (and <= max). */
export function pos(o: Record<string, unknown>, k: string, where: string, max = Infinity): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > max)
    throw new ConfigError(`${where}.${k}: expected a number > 0${max < Infinity ? ` and <= ${max}` : ""}, got ${JSON.stringify(v)}`);
  return v;
}

/** `o[k]`: a non-empty string. */
export function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== "string" || v.length === 0) throw new ConfigError(`${where}.${k}: expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** `v`: an object with exactly the fields `keys` (those in `optional` may be absent). */
export function obj(v: unknown, where: string, keys: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ConfigError(`${where}: expected an object, got ${JSON.stringify(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ConfigError(`${where}.${k}: unknown field; expected ${keys.join(", ")}`);
  for (const k of keys) if (!(k in o) && !optional.includes(k)) throw new ConfigError(`${where}.${k}: missing`);
  return o;
}

/** `a.netArch` (`where` is the agent block): a copy of a non-empty array of positive integers. */
export function netArch(a: Record<string, unknown>, where: string): number[] {
  if (!Array.isArray(a.netArch) || a.netArch.length === 0 || !a.netArch.every((x) => Number.isInteger(x) && x > 0))
    throw new ConfigError(`${where}.netArch: expected a non-empty array of positive integers, got ${JSON.stringify(a.netArch)}`);
  return [...(a.netArch as number[])];
}

/** Pool, test (and update) pairs together: every id once. */
export function distinctPairIds(pairs: readonly { id: string }[], where: string): void {
  const ids = new Set<string>();
  for (const p of pairs) {
    if (ids.has(p.id)) throw new ConfigError(`${where}: pair id "${p.id}" appears twice (pool, test and update pairs must be distinct)`);
    ids.add(p.id);
  }
}

const FLASH_KEYS = ["hidden", "layers", "fcHidden", "embeddingDim", "contextSize", "maxSteps", "contextSubsample"] as const;
const EPISODE_KEYS = ["referenceEpisodes", "pretrainEpisodes", "adaptEpisodes", "embedEpisodes", "evalEpisodes", "abTargets", "window"] as const;

/** The fields `keys` of `o`, each an integer >= 1, in that order. */
function counts<K extends string>(o: Record<string, unknown>, keys: readonly K[], where: string): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = num(o, k, where, 1);
  return out;
}

/** The `flash` block's optional choices (absent: the defaults, as in every config written before them). */
const FLASH_CHOICES = {
  encoder: ["bigru", "tcn"],
  selection: ["paper", "earliest", "latest", "random"],
  auxLoss: ["none", "dynamics"],
} as const;
const FLASH_OPTIONAL = [...Object.keys(FLASH_CHOICES), "patch", "auxWeight"];

/** `o[k]`, when present, one of `choices`. */
function choice<T extends string>(o: Record<string, unknown>, k: string, where: string, choices: readonly T[]): T | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (!(choices as readonly unknown[]).includes(v))
    throw new ConfigError(`${where}.${k}: expected one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, got ${JSON.stringify(v)}`);
  return v as T;
}

/**
 * The `flash` block: every size an integer >= 1; the optional encoder ("bigru" | "tcn"),
 * context selection, TCN patch (integer >= 1), auxiliary loss ("none" | "dynamics") and
 * its weight (a number > 0), each checked when present and left out when absent.
 */
export function validateFlashSettings(v: unknown, where: string): FlashSettings {
  const o = obj(v, where, [...FLASH_KEYS, ...FLASH_OPTIONAL], FLASH_OPTIONAL);
  const out: FlashSettings = counts(o, FLASH_KEYS, where);
  const encoder = choice(o, "encoder", where, FLASH_CHOICES.encoder);
  const selection = choice(o, "selection", where, FLASH_CHOICES.selection);
  const auxLoss = choice(o, "auxLoss", where, FLASH_CHOICES.auxLoss);
  return {
    ...out,
    ...(encoder ? { encoder } : {}),
    ...(o.patch !== undefined ? { patch: num(o, "patch", where, 1) } : {}),
    ...(selection ? { selection } : {}),
    ...(auxLoss ? { auxLoss } : {}),
    ...(o.auxWeight !== undefined ? { auxWeight: pos(o, "auxWeight", where) } : {}),
  };
}

const BUDGET_OPTIONAL = ["referencePairs", "adaptPairs", "referenceCap"] as const;

/**
 * The `budgets` block: episode counts (and the window) integers >= 1, tolerance a number
 * >= 0; the optional `referencePairs` and `adaptPairs` (>= 1, adaptPairs <= referencePairs:
 * an adapted pair needs an RL reference) and `referenceCap` (>= referenceEpisodes), each
 * checked when present and left out when absent (configs written before them).
 */
export function validateBudgets(v: unknown, where: string): RlBudgets {
  const b = obj(v, where, [...EPISODE_KEYS, "tolerance", ...BUDGET_OPTIONAL], BUDGET_OPTIONAL);
  const out: RlBudgets = { ...counts(b, EPISODE_KEYS, where), tolerance: num(b, "tolerance", where, 0, false) };
  if (b.referencePairs !== undefined) out.referencePairs = num(b, "referencePairs", where, 1);
  if (b.adaptPairs !== undefined) out.adaptPairs = num(b, "adaptPairs", where, 1);
  if (b.referenceCap !== undefined) out.referenceCap = num(b, "referenceCap", where, out.referenceEpisodes);
  if (out.adaptPairs !== undefined && out.adaptPairs > (out.referencePairs ?? Infinity))
    throw new ConfigError(
      `${where}.adaptPairs: expected at most referencePairs (${out.referencePairs}): an adapted pair needs an RL reference, got ${out.adaptPairs}`,
    );
  return out;
}
