/**
 * A deterministic executor without TensorFlow.js, for testing the runner (pool.ts) and
 * for smoke-testing a machine's worker set-up: a unit's result is a seeded random
 * number plus the sum of its dependencies' values; `input.sleepMs` waits first,
 * `input.failOnce` (a marker file path) fails the first attempt only, `input.fail` always.
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Rng } from "../../flash/rng.js";
import type { PlannedUnit, UnitContext } from "./units.js";

export interface TestingInput {
  sleepMs?: number;
  failOnce?: string;
  fail?: boolean;
}

export async function executeUnit(unit: PlannedUnit, ctx: UnitContext): Promise<{ value: number; seed: number; deps: number }> {
  const inp = (unit.input ?? {}) as TestingInput;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep((inp.sleepMs ?? 0) / 2);
  ctx.progress(0.5, "half way");
  await sleep((inp.sleepMs ?? 0) / 2);
  if (inp.fail) throw new Error(`unit ${unit.id} was told to fail`);
  if (inp.failOnce && !existsSync(inp.failOnce)) {
    writeFileSync(inp.failOnce, "failed once\n");
    throw new Error(`unit ${unit.id} fails its first attempt`);
  }
  writeFileSync(path.join(ctx.workDir, "out.txt"), unit.id);
  let deps = 0;
  for (const d of unit.deps) deps += (ctx.deps[d] as { value: number }).value;
  return { value: new Rng(unit.seed).next() + deps, seed: unit.seed, deps };
}
