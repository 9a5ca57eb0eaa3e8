/**
 * A seeded generator of serverless applications from the fitted segment model
 * (segment-model.ts), written in the serverless layout so every loader and command reads
 * it (`flash rcs generate`). FLASH's pretraining pool (paper Appendix A.2: 1,000
 * applications composed from Sizeless's 16 segments).
 *
 * Application i (its own fork of the seed, so apps are independent of how many are drawn):
 *  - runtime: drawn with the measured data's share of applications per runtime;
 *  - 1-4 segments, each kind uniform over the 16 (repeats allowed, as in the measured
 *    names `compress-compress`, `ftpread-ftpread`), each at an input size 2^U(-s, s) times
 *    the reference, clipped to the segment's range. s = `inputSpread`; by default the
 *    measured spread: the composed applications' level about their composition (log sd
 *    `noise.levelLogSd`, what their names do not tell, i.e. their input sizes) read as the
 *    input spread of a segment whose time is linear in its input (s = sd sqrt(3) / ln 2);
 *  - the runtime's own working set, drawn from the measured runtimes' (percentiles);
 *  - its demand composed (sim/serverless/execution.ts `composeDemand`).
 * At each memory size: the model's execution and a log residual: the application borrows
 * one measured workload's residual vector (its residual at each size, so the real data's
 * few noisy functions stay few and their slow sizes stay together); where that workload or
 * the generated application pages, a residual is drawn from the measured (paging)
 * residuals' percentiles. Then `invocations` rows
 * with the measured coefficients of variation of duration, CPU time and maxRss; extra time
 * a paging residual adds is paging (system time, voluntary switches), as the model has it;
 * gauges through the runtime's gauge maps. Values are rounded as the CSV writer writes
 * them, so the in-memory dataset (`generateDataset`) equals the written one loaded back.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Rng } from "../../flash/rng.js";
import { SEGMENT_KINDS, SEGMENTS, type SegmentKind } from "../../sim/k8s/segments.js";
import { COUNTERS, composeDemand, executionAt, type Demand } from "../../sim/serverless/execution.js";
import { RcsDataError } from "./errors.js";
import { roundTrip, writeAppsCsv, writeSizeFile } from "./layout-write.js";
import { aggregateInvocations, REQUIRED_COLUMNS, SERVERLESS_METRICS } from "./serverless.js";
import { PAGING } from "./segment-fit.js";
import { fromPercentiles, type SegmentModel } from "./segment-model.js";
import { GAUGES, TOKEN_OF } from "./segment-reading.js";
import type { RcsDataset, RcsPoint } from "./types.js";

export const GENERATED_SOURCE = "generated";

export interface GenerateOptions {
  /** Applications to draw (> 0). */
  apps: number;
  seed: number | string;
  /** Invocations per memory size (default: the measured data's median, at most 100). */
  invocations?: number;
  /** Segments per application, at most (default 4). */
  maxSegments?: number;
  /** Input sizes are 2^U(-s, s) times a segment's reference size (default: the measured spread, `defaultInputSpread`). */
  inputSpread?: number;
  /** Index of the first application (names g<index>-...; default 0). */
  firstIndex?: number;
}

export interface GeneratedApp {
  name: string;
  runtime: string;
  segments: { kind: SegmentKind; scale: number }[];
  /** The runtime's own working set, MB. */
  baseMemMb: number;
  demand: Demand;
}

function checkOptions(o: GenerateOptions): void {
  if (!Number.isInteger(o.apps) || o.apps < 1) throw new RcsDataError(`generate: apps must be a positive integer, got ${o.apps}`);
  if (o.invocations !== undefined && (!Number.isInteger(o.invocations) || o.invocations < 1))
    throw new RcsDataError(`generate: invocations must be a positive integer, got ${o.invocations}`);
  if (o.maxSegments !== undefined && (!Number.isInteger(o.maxSegments) || o.maxSegments < 1 || o.maxSegments > 16))
    throw new RcsDataError(`generate: maxSegments must be an integer in 1..16, got ${o.maxSegments}`);
  if (o.inputSpread !== undefined && !(o.inputSpread >= 0)) throw new RcsDataError(`generate: inputSpread must be >= 0, got ${o.inputSpread}`);
}

/** The input spread whose log-uniform sizes have the log sd of the measured level spread (for an exponent-1 segment). */
export function defaultInputSpread(model: SegmentModel): number {
  return (model.noise.levelLogSd * Math.sqrt(3)) / Math.LN2;
}

const appRng = (o: GenerateOptions, i: number) => new Rng(o.seed).fork("rcs-generate").fork(`app-${i}`);

/** Application i of the stream (see the module comment). */
export function generateApp(model: SegmentModel, o: GenerateOptions, i: number): GeneratedApp {
  const rng = appRng(o, i).fork("spec");
  const runtimes = Object.keys(model.runtimeShare).sort();
  let u = rng.next() * runtimes.reduce((a, r) => a + model.runtimeShare[r], 0);
  const runtime = runtimes.find((r) => (u -= model.runtimeShare[r]) < 0) ?? runtimes[runtimes.length - 1];
  const count = rng.int(1, (o.maxSegments ?? 4) + 1);
  const spread = o.inputSpread ?? defaultInputSpread(model);
  const segments = Array.from({ length: count }, () => {
    const kind = rng.pick(SEGMENT_KINDS);
    const p = SEGMENTS[kind];
    const size = Math.min(p.maxSize, Math.max(p.minSize, p.refSize * 2 ** rng.uniform(-spread, spread)));
    return { kind, scale: size / p.refSize };
  });
  const rt = model.runtimes[runtime];
  const baseMemMb = fromPercentiles(rt.baseMemMbQuantiles, rng.next());
  const demand = composeDemand(
    { ...rt.base, memMb: baseMemMb },
    segments.map((s) => ({ kind: s.kind, cost: model.segments[s.kind], scale: s.scale })),
  );
  const name = `g${String(i).padStart(4, "0")}-${segments.map((s) => TOKEN_OF[s.kind]).join("-")}`;
  return { name, runtime, segments, baseMemMb, demand };
}

/** A lognormal multiplier with mean 1 and coefficient of variation cv. */
function lognormal(rng: Rng, cv: number): number {
  const s2 = Math.log(1 + cv * cv);
  return Math.exp(rng.normal(-s2 / 2, Math.sqrt(s2)));
}

/**
 * The invocation rows of one application at one memory size (rounded as written);
 * `residual` is the borrowed workload's log residual at this size (null: none).
 */
export function invocationRows(
  model: SegmentModel,
  app: GeneratedApp,
  sizeMb: number,
  invocations: number,
  rng: Rng,
  residual: number | null,
): Record<string, number>[] {
  const ex = executionAt(app.demand, model.platform, sizeMb);
  if (!(ex.durationMs > 0))
    throw new RcsDataError(
      `generate: application ${app.name} takes ${ex.durationMs} ms at ${sizeMb} MB under this segment model; ` +
        `every segment needs a positive time (cpuWallMs + ioMs) for its applications to be measurable`,
    );
  const pages = ex.swapFactor >= PAGING;
  const n = model.noise;
  const drawn = fromPercentiles(pages ? n.pagingLogResidual : n.shapeLogResidual, rng.next());
  const mean = ex.durationMs * Math.exp(pages || residual === null ? drawn : residual);
  // Time a paging residual adds is more paging: the monitoring shows it as the model does.
  const extraPaging = pages ? Math.max(0, mean - ex.durationMs) : 0;
  const sysMs = ex.sysMs + model.platform.swap.sysPerPagingMs * extraPaging;
  const counters = [...ex.counters];
  counters[COUNTERS.indexOf("vContextSwitches")] += model.platform.swap.vcsPerPagingMs * extraPaging;
  const cvD = fromPercentiles(n.cvDuration, rng.next());
  const cvU = fromPercentiles(n.cvUser, rng.next());
  const cvM = fromPercentiles(n.cvMaxRss, rng.next());
  const maps = model.runtimes[app.runtime].gaugeMaps;
  const rows: Record<string, number>[] = [];
  for (let k = 0; k < invocations; k++) {
    const row: Record<string, number> = {
      duration: mean * lognormal(rng, cvD),
      userDiff: ex.userMs * 1000 * lognormal(rng, cvU),
      sysDiff: sysMs * 1000 * lognormal(rng, cvU),
      variant: 0,
    };
    const mem = lognormal(rng, cvM);
    GAUGES.forEach((g, j) => (row[g] = Math.max(0, maps[j].intercept + maps[j].slope * ex.residentMb) * mem));
    COUNTERS.forEach((c, j) => (row[c] = Math.round(counters[j] * lognormal(rng, cvU))));
    for (const c of Object.keys(row)) row[c] = roundTrip(row[c]);
    rows.push(row);
  }
  return rows;
}

interface Drawn {
  app: GeneratedApp;
  bySize: { sizeMb: number; rows: Record<string, number>[] }[];
}

function draw(model: SegmentModel, o: GenerateOptions): { drawn: Drawn[]; invocations: number } {
  checkOptions(o);
  const invocations = o.invocations ?? Math.min(100, Math.round(model.noise.invocations));
  const first = o.firstIndex ?? 0;
  const drawn = Array.from({ length: o.apps }, (_, k) => {
    const i = first + k;
    const app = generateApp(model, o, i);
    const rng = appRng(o, i).fork("invocations");
    const vectors = model.noise.residualVectors;
    const donor = vectors[rng.int(0, vectors.length)];
    return {
      app,
      bySize: model.platform.sizesMb.map((sizeMb, j) => ({ sizeMb, rows: invocationRows(model, app, sizeMb, invocations, rng.fork(sizeMb), donor[j]) })),
    };
  });
  return { drawn, invocations };
}

/** The generated applications as a dataset in memory, exactly as `loadServerless` reads them back from `writeGenerated`. */
export function generateDataset(model: SegmentModel, o: GenerateOptions, root = "<generated>"): RcsDataset & { apps: GeneratedApp[] } {
  const { drawn } = draw(model, o);
  const workloads = drawn.map(({ app, bySize }) => ({
    id: app.name,
    app: app.name,
    variant: "0",
    source: GENERATED_SOURCE,
    runtime: app.runtime,
    points: bySize.map(({ sizeMb, rows }): RcsPoint => {
      const cols = Object.fromEntries(REQUIRED_COLUMNS.map((c) => [c, rows.map((r) => r[c])]));
      const { duration, metrics } = aggregateInvocations(cols);
      return { key: String(sizeMb), env: "serverless", config: [Math.log2(sizeMb)], memoryMb: sizeMb, duration, metrics, runs: rows.length };
    }),
  }));
  return {
    layout: "serverless",
    root,
    configNames: ["log2_memory_mb"],
    metricNames: [...SERVERLESS_METRICS],
    workloads,
    notes: [],
    apps: drawn.map((d) => d.app),
  };
}

/** Write the generated applications in the serverless layout under `dir`; returns their specs. */
export function writeGenerated(dir: string, model: SegmentModel, o: GenerateOptions): GeneratedApp[] {
  const { drawn, invocations } = draw(model, o);
  mkdirSync(dir, { recursive: true });
  for (const { app, bySize } of drawn) for (const { sizeMb, rows } of bySize) writeSizeFile(path.join(dir, app.name), sizeMb, app.runtime, rows);
  writeAppsCsv(
    dir,
    drawn.map(({ app }) => ({ app: app.name, source: GENERATED_SOURCE, runtime: app.runtime, invocations: invocations * model.platform.sizesMb.length })),
  );
  return drawn.map((d) => d.app);
}
