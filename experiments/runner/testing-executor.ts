/**
 * A deterministic executor without TensorFlow.js, for testing the runner (pool.ts) and
 * for smoke-testing a machine's worker set-up: a unit's result is a seeded random
 * number plus the sum of its dependencies' values; `input.sleepMs` waits first,
 * `input.failOnce` (a marker file name) fails the first attempt only, `input.fail` always.
 *
 * Reachable by its name in the registry (executors.ts), so by any job in a queue: it
 * writes nothing outside the run's directories (the marker is a name in `ctx.outDir`).
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DataError } from "../../errors.js";
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
  if (inp.failOnce !== undefined && !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(inp.failOnce))
    throw new DataError(`unit ${unit.id}: input.failOnce: expected a file name, got ${JSON.stringify(inp.failOnce)}`);
  const marker = inp.failOnce ? path.join(ctx.outDir, inp.failOnce) : undefined;
  if (marker && !existsSync(marker)) {
    writeFileSync(marker, "failed once\n");
    throw new Error(`unit ${unit.id} fails its first attempt`);
  }
  writeFileSync(path.join(ctx.workDir, "out.txt"), unit.id);
  let deps = 0;
  for (const d of unit.deps) deps += (ctx.deps[d] as { value: number }).value;
  return { value: new Rng(unit.seed).next() + deps, seed: unit.seed, deps };
}
