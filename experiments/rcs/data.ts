/**
 * What `flash reproduce rcs --data` reads. The task has two datasets, one per layout
 * (envs/rcs/README.md): serverless functions (the fit, splits a, b and the generated
 * splits) and multi-cloud runs (splits c-workloads and c-providers). `--data` names either or both, comma-separated,
 * each as a dataset name or a folder in its layout; a folder holding
 * `serverless-functions/` and `multi-cloud/` (the repository's `data/`, or any copy of it)
 * gives both. Without `--data` both of the repository's datasets are read, as the paper
 * evaluated on both.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { detectLayout } from "../../envs/rcs/load.js";
import { UsageError } from "../../errors.js";
import { datasetPath, resolveDataset } from "../datasets.js";

/** The folder of each layout a run reads; null where `--data` named none. */
export interface RcsDataFolders {
  serverless: string | null;
  multicloud: string | null;
}

/**
 * The splits of `flash reproduce rcs` (reproduce.ts) and the layout each one reads: the
 * segment model's fit and the generated splits are fitted to the serverless data.
 */
export const RCS_SPLITS = {
  fit: "serverless",
  a: "serverless",
  b: "serverless",
  "c-workloads": "multicloud",
  "c-providers": "multicloud",
  "gen-new": "serverless",
  "gen-real": "serverless",
  "gen-loao": "serverless",
} as const;
export type RcsSplit = keyof typeof RCS_SPLITS;

/** The folders `--data` names (null: the repository's two datasets); errors are usage errors naming the value. */
export function rcsDataFolders(data: string | null): RcsDataFolders {
  if (data === null) return { serverless: datasetPath("serverless-functions"), multicloud: datasetPath("multi-cloud") };
  const out: RcsDataFolders = { serverless: null, multicloud: null };
  const put = (layout: keyof RcsDataFolders, dir: string, given: string) => {
    if (out[layout]) throw new UsageError(`--data: "${given}" gives a second ${layout} dataset beside ${out[layout]}; name one of each layout`);
    out[layout] = dir;
  };
  for (const given of data.split(",").map((s) => s.trim())) {
    const dir = resolveDataset(given, { option: "--data", kinds: ["serverless", "multi-cloud"] });
    const holds = { serverless: path.join(dir, "serverless-functions"), multicloud: path.join(dir, "multi-cloud") };
    if (existsSync(holds.serverless) || existsSync(holds.multicloud)) {
      for (const k of ["serverless", "multicloud"] as const) if (existsSync(holds[k])) put(k, holds[k], given);
    } else put(detectLayout(dir), dir, given);
  }
  return out;
}

/** The splits a run can make from `folders` (`wanted`: the caller's subset, each of which must have its data). */
export function rcsSplits(folders: RcsDataFolders, wanted?: readonly string[]): RcsSplit[] {
  const all = Object.keys(RCS_SPLITS) as RcsSplit[];
  for (const w of wanted ?? []) {
    if (!all.includes(w as RcsSplit)) throw new UsageError(`rcs: unknown split ${JSON.stringify(w)}; known splits: ${all.join(", ")}`);
    if (!folders[RCS_SPLITS[w as RcsSplit]]) throw new UsageError(`rcs: split ${w} needs ${RCS_SPLITS[w as RcsSplit]} data, which --data did not name`);
  }
  return wanted ? all.filter((s) => wanted.includes(s)) : all.filter((s) => folders[RCS_SPLITS[s]] !== null);
}
