/**
 * Pair files: a family's pairs as JSON, so users can bring their own parameter
 * sets and an experiment's pool is a file under version control.
 *
 * Format (UTF-8 JSON):
 *
 *     {
 *       "family": "pendulum",                  // "pendulum" | "cartpole"
 *       "description": "optional free text",
 *       "pairs": [
 *         { "id": "heavy-short", "params": { "m": 1.2, "l": 0.8, "g": 9.8 } }
 *       ]
 *     }
 *
 * `params` must hold every required parameter of the family and nothing else
 * (see `FAMILIES` in family.ts; optional ones such as the pendulum's
 * `maxTorque` may be omitted), each a finite number > 0; ids are non-empty,
 * unique strings. Every error names the file and the field.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { familySpec, validateParams, validatePairId, type FamilyName, type PairSpec } from "./family.js";
import { DataError, MissingPathError } from "../../errors.js";

/** A loaded pair file. */
export interface PairFile {
  family: FamilyName;
  description?: string;
  pairs: PairSpec[];
}

const TOP_KEYS = ["family", "description", "pairs"];
const PAIR_KEYS = ["id", "params"];

/** Validates a parsed pair file; `source` names it in errors. */
export function parsePairFile(data: unknown, source: string): PairFile {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new DataError(`${source}: expected a JSON object with "family" and "pairs"`);
  }
  const obj = data as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!TOP_KEYS.includes(key)) throw new DataError(`${source}: unknown field "${key}"; expected ${TOP_KEYS.join(", ")}`);
  }
  if (obj.family === undefined) throw new DataError(`${source}: missing field "family"`);
  const family = familySpec(obj.family as string, `${source}: family`).name;
  if (obj.description !== undefined && typeof obj.description !== "string") {
    throw new DataError(`${source}: description: expected a string`);
  }
  if (!Array.isArray(obj.pairs))
    throw new DataError(`${source}: pairs: expected an array of pairs, got ${obj.pairs === undefined ? "nothing" : typeof obj.pairs}`);
  if (obj.pairs.length === 0) throw new DataError(`${source}: pairs: expected at least one pair`);
  const pairs = validatePairs(family, obj.pairs, source);
  return obj.description === undefined ? { family, pairs } : { family, description: obj.description, pairs };
}

/** Checks each pair's shape, id and parameters, and that ids are unique. */
export function validatePairs(family: FamilyName, pairs: readonly unknown[], source: string): PairSpec[] {
  const seen = new Map<string, number>();
  return pairs.map((raw, i) => {
    const where = `${source}: pairs[${i}]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new DataError(`${where}: expected an object with "id" and "params"`);
    const entry = raw as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!PAIR_KEYS.includes(key)) throw new DataError(`${where}: unknown field "${key}"; expected id, params`);
    }
    const id = validatePairId(entry.id, `${where}.id`);
    const first = seen.get(id);
    if (first !== undefined) throw new DataError(`${where}.id: duplicate id "${id}" (also pairs[${first}])`);
    seen.set(id, i);
    return { id, params: validateParams(family, entry.params, `${where}.params`) };
  });
}

/** Reads and validates a pair file. */
export function loadPairFile(path: string): PairFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new MissingPathError(path, `pair file ${path}: no such file`);
    throw new DataError(`pair file ${path}: cannot read it (${code ?? (e as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DataError(`pair file ${path}: malformed JSON (${(e as Error).message})`);
  }
  return parsePairFile(data, `pair file ${path}`);
}

/**
 * Validates and writes a pair file. Written to a temporary file and renamed,
 * so a crash never leaves a half-written file where a valid one was.
 */
export function savePairFile(path: string, family: FamilyName, pairs: readonly PairSpec[], description?: string): void {
  const source = `pair file ${path}`;
  const fam = familySpec(family, `${source}: family`).name;
  if (pairs.length === 0) throw new DataError(`${source}: pairs: expected at least one pair`);
  const clean = validatePairs(fam, pairs, source);
  const body: PairFile = description === undefined ? { family: fam, pairs: clean } : { family: fam, description, pairs: clean };
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(body, null, 2) + "\n", "utf8");
  renameSync(tmp, path);
}
