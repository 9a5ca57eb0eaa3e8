/**
 * Loader for the serverless layout (envs/rcs/README.md):
 *
 *     apps.csv                 app, source, runtime[, invocations]
 *     <app>/<memory_mb>.csv    one row per invocation at that memory size (or .csv.gz)
 *
 * Each (app, variant) becomes a workload; each size file contributes one point per
 * variant, with the per-invocation metrics aggregated by `aggregateInvocations`.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { CSV_FILE_RE, csvStem, parseCsv, num, readCsvText } from "./csv.js";
import { RcsDataError } from "./errors.js";
import type { RcsDataset, RcsPoint, RcsWorkload } from "./types.js";

/** Columns every runtime records; a size file without one of them is an error. */
export const REQUIRED_COLUMNS = [
  "duration",
  "maxRss",
  "fsRead",
  "fsWrite",
  "vContextSwitches",
  "ivContextSwitches",
  "userDiff",
  "sysDiff",
  "rss",
  "heapTotal",
  "heapUsed",
  "mallocMem",
  "netByRx",
  "netPkgRx",
  "netByTx",
  "netPkgTx",
] as const;

/**
 * Columns only the Node.js wrapper records (event-loop lag, V8 heap details). They are
 * read if present and deliberately not used: a model that needed them could not serve
 * a Python function, and elMin holds a 9.22e18 sentinel when unmeasured.
 */
export const RUNTIME_SPECIFIC_COLUMNS = [
  "external",
  "elMin",
  "elMax",
  "elMean",
  "elStd",
  "bytecodeMetadataSize",
  "heapPhysical",
  "heapAvailable",
  "heapLimit",
] as const;

/** Counters turned into per-second rates (log10(1 + rate)). */
const RATE_COLUMNS = ["fsRead", "fsWrite", "vContextSwitches", "ivContextSwitches", "netByRx", "netPkgRx", "netByTx", "netPkgTx"] as const;
/** Memory gauges (log10(1 + mean); units differ by runtime, hence the runtime flags). */
const MEMORY_COLUMNS = ["maxRss", "rss", "heapTotal", "heapUsed", "mallocMem"] as const;

/** Names of the aggregated monitoring features, in order (see README "Features"). */
export const SERVERLESS_METRICS = [
  "log10_duration_ms",
  "cv_duration",
  "user_cpu_fraction",
  "sys_cpu_fraction",
  "cv_user_cpu",
  ...RATE_COLUMNS.map((c) => `log10_1p_${c}_per_s`),
  ...MEMORY_COLUMNS.map((c) => `log10_1p_${c}`),
  "cv_maxRss",
];

const mean = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
};
const cv = (xs: ArrayLike<number>) => {
  const m = mean(xs);
  if (xs.length < 2 || m === 0) return 0;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / (xs.length - 1)) / Math.abs(m);
};
const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * Aggregate one size's invocations (columns by name, one value per invocation) into
 * SERVERLESS_METRICS. Scale-free where possible: CPU time per wall-clock time, rates
 * per second, coefficients of variation; logs for the rest.
 */
export function aggregateInvocations(cols: Record<string, ArrayLike<number>>): { duration: number; metrics: number[] } {
  const d = cols.duration;
  const duration = mean(d);
  const user = cols.userDiff;
  const sys = cols.sysDiff;
  const metrics = [
    Math.log10(Math.max(duration, 1e-3)),
    cv(d),
    // userDiff/sysDiff are microseconds, duration milliseconds. Clipped: a few runtimes report cumulative counters.
    clip(mean(user) / 1000 / duration, 0, 16),
    clip(mean(sys) / 1000 / duration, 0, 16),
    cv(user),
    ...RATE_COLUMNS.map((c) => Math.log10(1 + Math.max(0, mean(cols[c])) / (duration / 1000))),
    ...MEMORY_COLUMNS.map((c) => Math.log10(1 + Math.max(0, mean(cols[c])))),
    cv(cols.maxRss),
  ];
  return { duration, metrics };
}

export interface AppInfo {
  app: string;
  source: string;
  runtime: string;
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/**
 * Load one function folder (`<memory_mb>.csv` files). Returns one workload per variant
 * (a file without a `variant` column is variant 0).
 */
export function loadServerlessApp(dir: string, info: AppInfo): RcsWorkload[] {
  if (!isDir(dir)) throw new RcsDataError(`app "${info.app}": folder ${dir} is missing`);
  const files = readdirSync(dir).filter((f) => CSV_FILE_RE.test(f));
  if (files.length === 0) throw new RcsDataError(`app "${info.app}": folder ${dir} holds no <memory_mb>.csv file (nor <memory_mb>.csv.gz)`);
  const byVariant = new Map<string, RcsPoint[]>();
  const seenSizes = new Map<number, string>();
  for (const f of files.sort((a, b) => parseFloat(a) - parseFloat(b))) {
    const file = path.join(dir, f);
    const stem = csvStem(f);
    if (!/^\d+$/.test(stem) || Number(stem) <= 0) {
      throw new RcsDataError(`app "${info.app}": ${file} lacks a memory size: expected a file name <memory_mb>.csv such as 512.csv`);
    }
    const memoryMb = Number(stem);
    // 512.csv beside 512.csv.gz would count one size twice.
    const twin = seenSizes.get(memoryMb);
    if (twin) throw new RcsDataError(`app "${info.app}": ${file} and ${twin} both hold memory size ${memoryMb} MB; keep one`);
    seenSizes.set(memoryMb, file);
    const table = parseCsv(readCsvText(file), file);
    const missing = REQUIRED_COLUMNS.filter((c) => !table.header.includes(c));
    if (missing.length) throw new RcsDataError(`app "${info.app}": ${file} lacks required column(s) ${missing.join(", ")}`);
    if (table.rows.length === 0) throw new RcsDataError(`app "${info.app}": ${file} has a header but no invocation rows`);
    const idx = Object.fromEntries(REQUIRED_COLUMNS.map((c) => [c, table.header.indexOf(c)]));
    const vIdx = table.header.indexOf("variant");
    const groups = new Map<string, Record<string, number[]>>();
    for (const r of table.rows) {
      const variant = vIdx >= 0 ? String(num(file, r.line, "variant", r.fields[vIdx])) : "0";
      let g = groups.get(variant);
      if (!g) groups.set(variant, (g = Object.fromEntries(REQUIRED_COLUMNS.map((c) => [c, [] as number[]]))));
      for (const c of REQUIRED_COLUMNS) g[c].push(num(file, r.line, c, r.fields[idx[c]]));
    }
    for (const [variant, g] of groups) {
      if (g.duration.some((v) => v <= 0)) throw new RcsDataError(`app "${info.app}": ${file} variant ${variant} has a non-positive duration`);
      const { duration, metrics } = aggregateInvocations(g);
      const pts = byVariant.get(variant) ?? [];
      pts.push({ key: String(memoryMb), env: "serverless", config: [Math.log2(memoryMb)], memoryMb, duration, metrics, runs: g.duration.length });
      byVariant.set(variant, pts);
    }
  }
  const multi = byVariant.size > 1;
  return [...byVariant.entries()]
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([variant, points]) => ({
      id: multi ? `${info.app}#${variant}` : info.app,
      app: info.app,
      variant,
      source: info.source,
      runtime: info.runtime,
      points,
    }));
}

/** Load a folder in the serverless layout. */
export function loadServerless(root: string): RcsDataset {
  if (!existsSync(root)) throw new RcsDataError(`serverless dataset folder ${root} does not exist`);
  if (!isDir(root)) throw new RcsDataError(`${root} is not a folder`);
  const appsFile = path.join(root, "apps.csv");
  if (!existsSync(appsFile)) {
    const empty = readdirSync(root).length === 0;
    throw new RcsDataError(
      `serverless dataset folder ${root} ${empty ? "is empty" : "has no apps.csv"}; expected apps.csv and one <app>/<memory_mb>.csv folder per app`,
    );
  }
  const table = parseCsv(readCsvText(appsFile), appsFile);
  for (const c of ["app", "source", "runtime"]) if (!table.header.includes(c)) throw new RcsDataError(`${appsFile} lacks column "${c}"`);
  if (table.rows.length === 0) throw new RcsDataError(`${appsFile} lists no app`);
  const col = (r: string[], c: string) => r[table.header.indexOf(c)].trim();
  const listed = new Set<string>();
  const workloads: RcsWorkload[] = [];
  for (const r of table.rows) {
    const info = { app: col(r.fields, "app"), source: col(r.fields, "source"), runtime: col(r.fields, "runtime").toLowerCase() };
    if (!info.app) throw new RcsDataError(`${appsFile}:${r.line}: empty app name`);
    if (listed.has(info.app)) throw new RcsDataError(`${appsFile}:${r.line}: app "${info.app}" listed twice`);
    listed.add(info.app);
    workloads.push(...loadServerlessApp(path.join(root, info.app), info));
  }
  const notes = readdirSync(root)
    .filter((f) => isDir(path.join(root, f)) && !listed.has(f))
    .map((f) => `folder ${f} is not listed in apps.csv: skipped`);
  return { layout: "serverless", root, configNames: ["log2_memory_mb"], metricNames: [...SERVERLESS_METRICS], workloads, notes };
}
