/**
 * Golden seeded runs: small runs whose key numbers are checked in
 * (experiments/golden/<name>.json) and compared by the test suite, so a change that
 * silently alters results fails CI; `flash golden --update` refreshes them deliberately
 * (commit the new file with a message that says why the numbers moved). A case study
 * declares its golden run in its descriptor (experiments/tasks/case-study.ts).
 *
 * The same seed on the same backend gives the same numbers (ARCHITECTURE.md "Determinism"),
 * so the tolerance is tight: |actual - expected| <= absolute + relative * |expected|
 * (defaults 1e-6 and 1e-5, room for float32 summation order only). Numbers are recorded
 * per backend: another backend's floating point differs and RL amplifies it, so a
 * backend without recorded numbers is reported as "not recorded", not compared.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { selectBackend } from "../../flash/backend.js";
import { gitCommit } from "../runner/provenance.js";
import { runRl, type RlResults } from "../runner/run-rl.js";
import { CASE_STUDIES } from "../tasks/index.js";

export const GOLDEN_FORMAT = "flash-adapt-golden@1";

export interface GoldenFile {
  format: typeof GOLDEN_FORMAT;
  name: string;
  description: string;
  run: { task: string; profile: string; seeds: number; seed: number };
  tolerance: { relative: number; absolute: number };
  recorded: Record<string, { commit: string | null; date: string; values: Record<string, number> }>;
}

export interface GoldenDefinition {
  name: string;
  description: string;
  run: GoldenFile["run"];
}

/** The golden runs: one per case study that gives one (`golden` in its descriptor, experiments/tasks/case-study.ts). */
export const GOLDENS: readonly GoldenDefinition[] = CASE_STUDIES.flatMap((c) =>
  c.golden
    ? [{ name: c.name, description: c.golden.description, run: { task: c.name, profile: c.golden.profile, seeds: c.golden.seeds, seed: c.golden.seed } }]
    : [],
);

export const goldenDir = (): string => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Compiled code runs from dist/experiments/golden; the checked-in files live in the source tree.
  const src = path.resolve(here, "..", "..", "..", "experiments", "golden");
  return here.includes(`${path.sep}dist${path.sep}`) && existsSync(src) ? src : here;
};

/** The key numbers of a run, by stable name. */
export function keyNumbers(r: RlResults): Record<string, number> {
  const v: Record<string, number> = {};
  for (const x of r.references) {
    v[`reference/${x.pair}/eval`] = x.eval_return;
    v[`reference/${x.pair}/train_level`] = x.train_level;
    v[`reference/${x.pair}/random`] = x.baseline;
    // The reference rule: what the drop and convergence read.
    if (x.used) {
      v[`reference/${x.pair}/used_eval`] = x.used.eval_return;
      v[`reference/${x.pair}/used_train_level`] = x.used.train_level;
    }
  }
  for (const p of r.room?.pairs ?? []) v[`room/${p.pair}/own_best`] = p.own.reward;
  for (const s of r.reward_drop.served ?? []) v[`served/${s.variant}/${s.trained_on ? `${s.trained_on}->` : ""}${s.pair}/r${s.replicate}`] = s.reward;
  for (const s of r.reward_drop.samples) v[`drop/${s.variant}/${s.trained_on ? `${s.trained_on}->` : ""}${s.pair}/r${s.replicate}`] = s.drop;
  for (const c of r.adaptation.costs) v[`episodes/${c.variant}/${c.pair}/r${c.replicate}`] = c.episodes;
  for (const c of r.adaptation.curves) v[`curve/${c.variant}/e${c.episode}`] = c.mean;
  if (r.adaptation_speedup_vs_tl) v["speedup_vs_tl"] = r.adaptation_speedup_vs_tl.mean;
  return v;
}

export interface GoldenCheck {
  name: string;
  status: "passed" | "failed" | "updated" | "not recorded";
  failures: string[];
  backend: string;
}

export function compareNumbers(expected: Record<string, number>, actual: Record<string, number>, tol: GoldenFile["tolerance"]): string[] {
  const failures: string[] = [];
  for (const k of Object.keys(expected)) {
    if (!(k in actual)) failures.push(`${k}: missing (expected ${expected[k]})`);
    else if (!(Math.abs(actual[k] - expected[k]) <= tol.absolute + tol.relative * Math.abs(expected[k])))
      failures.push(`${k}: expected ${expected[k]}, got ${actual[k]} (tolerance ${tol.absolute} + ${tol.relative} x |expected|)`);
  }
  for (const k of Object.keys(actual)) if (!(k in expected)) failures.push(`${k}: new number ${actual[k]} not in the golden file`);
  return failures;
}

export async function checkGoldens(o: { update?: boolean; backend?: string; only?: string; log?: (l: string) => void } = {}): Promise<GoldenCheck[]> {
  const b = await selectBackend(o.backend);
  const out: GoldenCheck[] = [];
  for (const g of GOLDENS) {
    if (o.only && g.name !== o.only) continue;
    const file = path.join(goldenDir(), `${g.name}.json`);
    const tmp = mkdtempSync(path.join(os.tmpdir(), `golden-${g.name}-`));
    let values: Record<string, number>;
    try {
      const r = await runRl({ ...g.run, out: tmp, workers: 0, backend: b.name, noFigures: true, log: o.log ?? (() => {}) });
      values = keyNumbers(r);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const existing: GoldenFile | undefined = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as GoldenFile) : undefined;
    if (o.update) {
      const next: GoldenFile = existing ?? {
        format: GOLDEN_FORMAT,
        name: g.name,
        description: g.description,
        run: g.run,
        tolerance: { relative: 1e-5, absolute: 1e-6 },
        recorded: {},
      };
      next.description = g.description;
      next.run = g.run;
      next.recorded[b.name] = { commit: gitCommit().commit, date: new Date().toISOString(), values };
      writeFileSync(file, JSON.stringify(next, null, 2) + "\n");
      out.push({ name: g.name, status: "updated", failures: [], backend: b.name });
      continue;
    }
    const rec = existing?.recorded[b.name];
    if (!existing || !rec) {
      out.push({
        name: g.name,
        status: "not recorded",
        failures: [`no numbers recorded for backend ${b.name} in ${file}; run \`flash golden --update\``],
        backend: b.name,
      });
      continue;
    }
    if (JSON.stringify(existing.run) !== JSON.stringify(g.run)) {
      out.push({
        name: g.name,
        status: "failed",
        failures: [`${file} records run ${JSON.stringify(existing.run)}, the code defines ${JSON.stringify(g.run)}`],
        backend: b.name,
      });
      continue;
    }
    const failures = compareNumbers(rec.values, values, existing.tolerance);
    out.push({ name: g.name, status: failures.length ? "failed" : "passed", failures, backend: b.name });
  }
  return out;
}

/** Whether `name`'s golden file records numbers for `backend` (false when the file is missing). */
export function goldenRecorded(name: string, backend: string): boolean {
  const file = path.join(goldenDir(), `${name}.json`);
  return existsSync(file) && backend in (JSON.parse(readFileSync(file, "utf8")) as GoldenFile).recorded;
}

/** Golden files present (for tests). */
export function goldenFiles(): string[] {
  return readdirSync(goldenDir()).filter((f) => f.endsWith(".json"));
}
