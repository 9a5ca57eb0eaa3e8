/**
 * What travels between a coordinator and its workers: one BullMQ job per unit, its
 * result, and its progress. The executor travels as its name in the registry
 * (../executors.ts), never as a location: each worker resolves the name to a module of
 * its own code. A worker checks a job against these shapes before acting on it
 * (job-check.ts): anyone who can write to Redis can add a job.
 */
import os from "node:os";
import type { ExecutorName } from "../executors.js";
import type { PlannedUnit } from "../units.js";

export interface UnitJob {
  /** The run (its coordinator's host and output directory, hashed): names its jobs, blobs and lock. */
  runId: string;
  /** The coordinator's code version; a worker with another refuses the job. */
  version: string;
  /** The executor that runs the unit, by name. */
  executor: ExecutorName;
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
