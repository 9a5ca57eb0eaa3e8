/**
 * Loader for the multi-cloud layout (the CloudBandit dataset; envs/rcs/README.md):
 * a folder with one or more CSV files (or one CSV file) with columns
 *
 *     provider, <P>_<param>..., nodes, workload, target_runtime (s), target_cost (USD), status
 *
 * `<P>_<param>` columns are label-encoded configuration parameters of provider P, empty
 * on other providers' rows. A workload is "<dataset>-<task>": the task is the app (all
 * of its data sets stay on one side of a split), the data set is the variant. Rows with
 * a `status` other than "ok" are skipped (failed runs: their runtime is the time to the
 * failure) unless `includeFailed`; repeated runs of one configuration are averaged.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { CSV_FILE_RE, num, parseCsv, readCsvText } from "./csv.js";
import { RcsDataError } from "./errors.js";
import type { RcsDataset, RcsPoint, RcsWorkload } from "./types.js";

const FIXED = new Set(["", "provider", "nodes", "workload", "target_runtime", "target_cost", "status"]);
const REQUIRED = ["provider", "nodes", "workload", "target_runtime"];

export const MULTICLOUD_METRICS = ["log10_duration_ms", "log10_cost_usd"];

export interface MultiCloudOptions {
  includeFailed?: boolean;
}

export function loadMultiCloud(where: string, opts: MultiCloudOptions = {}): RcsDataset {
  if (!existsSync(where)) throw new RcsDataError(`multi-cloud dataset ${where} does not exist`);
  const files = statSync(where).isDirectory()
    ? readdirSync(where)
        .filter((f) => CSV_FILE_RE.test(f))
        .sort()
        .map((f) => path.join(where, f))
    : [where];
  if (files.length === 0) throw new RcsDataError(`multi-cloud dataset folder ${where} ${readdirSync(where).length ? "holds no .csv file" : "is empty"}`);
  let configCols: string[] | undefined;
  let providers: string[] = [];
  const notes: string[] = [];
  // workload -> config key -> accumulated runs
  const acc = new Map<string, Map<string, { env: string; config: number[]; runtime: number[]; cost: number[] }>>();
  let failed = 0;
  for (const file of files) {
    const t = parseCsv(readCsvText(file), file);
    const missing = REQUIRED.filter((c) => !t.header.includes(c));
    if (missing.length) throw new RcsDataError(`${file} lacks required column(s) ${missing.join(", ")}`);
    const cols = t.header.filter((h) => !FIXED.has(h));
    for (const c of cols) if (!/^[^_]+_.+$/.test(c)) throw new RcsDataError(`${file}: column "${c}" is not <provider>_<parameter>`);
    if (configCols && cols.join() !== configCols.join())
      throw new RcsDataError(`${file}: configuration columns ${cols.join(", ")} differ from ${configCols.join(", ")} in the first file`);
    configCols = cols;
    providers = [...new Set(cols.map((c) => c.split("_")[0]))].sort();
    const at = (c: string) => t.header.indexOf(c);
    if (t.rows.length === 0) throw new RcsDataError(`${file} has a header but no rows`);
    for (const r of t.rows) {
      const f = r.fields;
      const status = at("status") >= 0 ? f[at("status")].trim() : "ok";
      if (status !== "ok" && !opts.includeFailed) {
        failed++;
        continue;
      }
      const provider = f[at("provider")].trim();
      if (!providers.includes(provider))
        throw new RcsDataError(`${file}:${r.line}: unparsable row: provider "${provider}" has no <provider>_ columns (known: ${providers.join(", ")})`);
      const workload = f[at("workload")].trim();
      if (!workload) throw new RcsDataError(`${file}:${r.line}: unparsable row: empty workload`);
      const nodes = num(file, r.line, "nodes", f[at("nodes")]);
      const parts: string[] = [provider];
      const config: number[] = providers.map((p) => (p === provider ? 1 : 0));
      for (const c of cols) {
        const v = f[at(c)].trim();
        if (v === "") {
          config.push(0);
          continue;
        }
        if (!c.startsWith(`${provider}_`)) throw new RcsDataError(`${file}:${r.line}: unparsable row: column ${c} is set on a provider ${provider} row`);
        config.push(num(file, r.line, c, v) + 1);
        parts.push(`${c}=${v}`);
      }
      config.push(nodes);
      parts.push(`nodes=${nodes}`);
      const runtime = num(file, r.line, "target_runtime", f[at("target_runtime")]);
      if (runtime <= 0) throw new RcsDataError(`${file}:${r.line}: unparsable row: target_runtime ${runtime} is not positive`);
      const cost = at("target_cost") >= 0 ? num(file, r.line, "target_cost", f[at("target_cost")]) : NaN;
      const key = parts.join("/");
      let w = acc.get(workload);
      if (!w) acc.set(workload, (w = new Map()));
      let p = w.get(key);
      if (!p) w.set(key, (p = { env: provider, config, runtime: [], cost: [] }));
      p.runtime.push(runtime * 1000);
      p.cost.push(cost);
    }
  }
  if (failed) notes.push(`${failed} rows with a status other than "ok" skipped (failed runs)`);
  const workloads: RcsWorkload[] = [...acc.entries()].map(([name, pts]) => {
    const dash = name.indexOf("-");
    const app = dash > 0 ? name.slice(dash + 1) : name;
    const variant = dash > 0 ? name.slice(0, dash) : "0";
    const points: RcsPoint[] = [...pts.entries()].map(([key, p]) => {
      const duration = p.runtime.reduce((a, b) => a + b, 0) / p.runtime.length;
      const cost = p.cost.reduce((a, b) => a + b, 0) / p.cost.length;
      const hasCost = Number.isFinite(cost) && cost > 0;
      return {
        key,
        env: p.env,
        config: p.config,
        duration,
        pricePerMs: hasCost ? cost / duration : undefined,
        metrics: [Math.log10(duration), hasCost ? Math.log10(cost) : 0],
        runs: p.runtime.length,
      };
    });
    points.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { id: name, app, variant, source: "cloudbandit", runtime: "dask", points };
  });
  workloads.sort((a, b) => (a.id < b.id ? -1 : 1));
  if (workloads.length === 0) throw new RcsDataError(`multi-cloud dataset ${where}: no usable row`);
  const configNames = [...providers.map((p) => `provider_${p}`), ...(configCols ?? []).map((c) => `${c}_plus1`), "nodes"];
  return { layout: "multicloud", root: where, configNames, metricNames: [...MULTICLOUD_METRICS], workloads, notes };
}

/** Restrict a dataset to the points of some environments (providers); drops workloads left with none. */
export function filterEnvs(ds: RcsDataset, envs: readonly string[]): RcsDataset {
  const keep = new Set(envs);
  const workloads = ds.workloads.map((w) => ({ ...w, points: w.points.filter((p) => keep.has(p.env)) })).filter((w) => w.points.length > 0);
  return { ...ds, workloads, notes: [...ds.notes, `restricted to environment(s) ${envs.join(", ")}`] };
}
