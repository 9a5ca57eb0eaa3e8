import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { RcsDataError } from "./errors.js";
import { loadMultiCloud, type MultiCloudOptions } from "./multicloud.js";
import { loadServerless } from "./serverless.js";
import type { RcsDataset, RcsLayout } from "./types.js";

/** Which layout a folder is in: apps.csv means serverless, otherwise CSV files are multi-cloud. */
export function detectLayout(where: string): RcsLayout {
  if (!existsSync(where)) throw new RcsDataError(`dataset ${where} does not exist`);
  if (statSync(where).isDirectory() && existsSync(path.join(where, "apps.csv"))) return "serverless";
  return "multicloud";
}

export function loadRcsDataset(where: string, opts: MultiCloudOptions & { layout?: RcsLayout } = {}): RcsDataset {
  const layout = opts.layout ?? detectLayout(where);
  return layout === "serverless" ? loadServerless(where) : loadMultiCloud(where, opts);
}
