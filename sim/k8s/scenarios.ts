/**
 * The paper's 7 application update scenarios (FLASH Appendix A.3): an application is
 * "updated" by changing one input characteristic, which changes its resource profile
 * and so what an autoscaling agent trained on the old version should do.
 *
 *   fileSize          size of every file/object segment (compress, decompress, file and
 *                     object-storage read/write/stream)            x factor
 *   databaseTableSize table rows of databaseRead/databaseWrite      x factor
 *   floatOperations   operation count of floatOperations            x factor
 *   imageDimension    image side of imageCompress/Resize/Rotate     x factor
 *   jsonSize          document size of jsonToYaml                   x factor
 *   matrixDimension   n of matrixMultiplication                     x factor
 *   loadLevel         the application's load level                  x factor
 *
 * Sizes are clamped to each segment's documented range (the schema's bounds), so an
 * updated application is always valid. An application without the affected segment is
 * unchanged by that scenario: check `scenarioApplies` first.
 *
 * This file is the one definition of the update experiment every task uses (autoscaling
 * and cpufreq): the scenarios, their factors (`UPDATE_FACTORS`) and which application of
 * a task's new ones each scenario updates (`appUpdatesFor`).
 */
import type { Application } from "./app.js";
import { SchemaError } from "./errors.js";
import { SEGMENTS, type SizeDimension } from "./segments.js";

export const SCENARIOS = ["fileSize", "databaseTableSize", "floatOperations", "imageDimension", "jsonSize", "matrixDimension", "loadLevel"] as const;
export type Scenario = (typeof SCENARIOS)[number];

const DIMENSION: Record<Exclude<Scenario, "loadLevel">, SizeDimension> = {
  fileSize: "fileSizeKB",
  databaseTableSize: "tableRows",
  floatOperations: "floatOpsMillions",
  imageDimension: "imageSidePx",
  jsonSize: "jsonSizeKB",
  matrixDimension: "matrixN",
};

/** True when `scenario` changes something in `app`. */
export function scenarioApplies(app: Application, scenario: Scenario): boolean {
  if (scenario === "loadLevel") return true;
  return app.segments.some((s) => SEGMENTS[s.kind].dimension === DIMENSION[scenario]);
}

/** A new application: `app` updated by `scenario` with multiplicative `factor`. */
export function applyScenario(app: Application, scenario: Scenario, factor: number): Application {
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new SchemaError("<scenario>", "scenario", `one of ${SCENARIOS.join(", ")}`, scenario);
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor <= 0) throw new SchemaError("<scenario>", "factor", "a finite number > 0", factor);
  const name = `${app.name}+${scenario}x${factor}`.slice(0, 128);
  if (scenario === "loadLevel") return { ...app, name, segments: app.segments.map((s) => ({ ...s })), load: Math.min(1000, app.load * factor) };
  const dim = DIMENSION[scenario];
  const segments = app.segments.map((s) => {
    const p = SEGMENTS[s.kind];
    if (p.dimension !== dim) return { ...s };
    return { kind: s.kind, size: Math.min(p.maxSize, Math.max(p.minSize, Number((s.size * factor).toPrecision(6)))) };
  });
  return { ...app, name, segments };
}

/**
 * Update factors (Appendix A.3 does not state them): input sizes x4, so the resource
 * profile changes clearly; the load level x2, so the cluster still fits the load.
 */
export const UPDATE_FACTORS: Readonly<Record<Scenario, number>> = Object.freeze({
  fileSize: 4,
  databaseTableSize: 4,
  floatOperations: 4,
  imageDimension: 4,
  jsonSize: 4,
  matrixDimension: 4,
  loadLevel: 2,
});

/** One application update: `apps[index]` changed by `scenario` x `factor` into `app`. */
export interface AppUpdate {
  index: number;
  scenario: Scenario;
  factor: number;
  app: Application;
}

/**
 * The update experiment's applications: for each of the first `n` scenarios (the paper's
 * order), the first of `apps` (scanning from a different start per scenario, so updates
 * spread over the apps) that the scenario changes, updated by `UPDATE_FACTORS`. A
 * scenario that changes none of them (none holds the affected segment, or its sizes are
 * already at their bound) is left out: `skipped` names it.
 */
export function appUpdatesFor(apps: readonly Application[], n: number): { updates: AppUpdate[]; skipped: Scenario[] } {
  const updates: AppUpdate[] = [];
  const skipped: Scenario[] = [];
  for (const [k, scenario] of SCENARIOS.slice(0, n).entries()) {
    let found: AppUpdate | undefined;
    for (let j = 0; j < apps.length && !found; j++) {
      const index = (k + j) % apps.length;
      const src = apps[index];
      if (!scenarioApplies(src, scenario)) continue;
      const app = applyScenario(src, scenario, UPDATE_FACTORS[scenario]);
      if (JSON.stringify({ ...app, name: "" }) === JSON.stringify({ ...src, name: "" })) continue;
      found = { index, scenario, factor: UPDATE_FACTORS[scenario], app };
    }
    if (found) updates.push(found);
    else skipped.push(scenario);
  }
  return { updates, skipped };
}
