/**
 * What travels between a coordinator and its workers: one BullMQ job per unit, its
 * result, and its progress. The executor module travels as a path relative to the code
 * root (the checkout, or dist/ when built), so machines with the code in different
 * places, or run from source and from a build, load the same module.
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ExecutorRef } from "../pool.js";
import type { PlannedUnit } from "../units.js";

export interface UnitJob {
  /** The run (its coordinator's host and output directory, hashed): names its jobs, blobs and lock. */
  runId: string;
  /** The coordinator's code version; a worker with another refuses the job. */
  version: string;
  /** `module`: relative to the code root, without extension; or an absolute URL (then every worker must see it). */
  executor: { name: string; module: string };
  unit: PlannedUnit;
  /** Results of the unit's dependencies, by id. */
  deps: Record<string, unknown>;
  /** Unit keys of the dependencies (their blobs), by id. */
  depKeys: Record<string, string>;
}

/** A job's return value. */
export interface UnitJobResult {
  result: unknown;
  /** Where it ran: `host/pid`, and the worker's slot. */
  host: string;
  slot: number;
  seconds: number;
  blobBytes: number;
}

/** A job's progress (also sent once as it starts, so the coordinator can say where it runs). */
export interface UnitJobProgress {
  fraction: number;
  message: string;
  host: string;
  slot: number;
}

export const jobIdOf = (runId: string, unitKey: string): string => `${runId}-${unitKey}`;
export const workerHost = (): string => `${os.hostname()}/${process.pid}`;

const codeRoot = new URL("../../../", import.meta.url);
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** The executor as it travels: code-root-relative when it lives in the code. */
export function executorModule(ref: ExecutorRef): UnitJob["executor"] {
  if (!ref.url.startsWith("file:")) return { name: ref.name, module: ref.url };
  const rel = path.relative(fileURLToPath(codeRoot), fileURLToPath(ref.url));
  if (rel.startsWith("..") || path.isAbsolute(rel)) return { name: ref.name, module: ref.url };
  return {
    name: ref.name,
    module: rel
      .split(path.sep)
      .join("/")
      .replace(/\.(ts|js)$/, ""),
  };
}

/** The URL this process loads the executor from. */
export function executorUrlOf(e: UnitJob["executor"]): string {
  if (/^[a-z]+:/i.test(e.module)) return e.module;
  return pathToFileURL(path.join(fileURLToPath(codeRoot), e.module + ext)).href;
}
