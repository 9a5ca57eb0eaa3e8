/**
 * The resource-configuration-search (RCS) dataset model, shared by both layouts.
 *
 * A *workload* is (app, variant): one function with one input (serverless), or one
 * Dask task on one data set (multi-cloud). It was measured at several *points*
 * (configurations): a memory size, or (provider, VM family/type, vCPUs, nodes). Each
 * point holds the mean execution time and the aggregated monitoring features measured
 * there. Everything measured at a point belongs to that point: the sample builders in
 * `features.ts` read only the points a user chose as base measurements.
 */

export type RcsLayout = "serverless" | "multicloud";

export interface RcsPoint {
  /** Configuration label: "512" (MB) or "C/C_family=1/C_type=0/C_vcpu=1/nodes=3". */
  key: string;
  /** Environment: "serverless", or the cloud provider ("A", "B", "C"). */
  env: string;
  /** Numeric encoding of the configuration (dataset.configNames). Known without measuring. */
  config: number[];
  /** Memory size in MB (serverless layout only). */
  memoryMb?: number;
  /** Price of this configuration per millisecond of run time, USD, when known (multi-cloud). */
  pricePerMs?: number;
  /** Mean execution time, ms. */
  duration: number;
  /** Aggregated monitoring features at this point (dataset.metricNames). */
  metrics: number[];
  /** Invocations (serverless) or runs (multi-cloud) averaged. */
  runs: number;
}

export interface RcsWorkload {
  /** "app" or "app#variant". */
  id: string;
  app: string;
  variant: string;
  /** apps.csv `source` (synthetic, functionbench, sebs, ...) or "cloudbandit". */
  source: string;
  /** apps.csv `runtime` (nodejs, python, ...) or "dask". */
  runtime: string;
  points: RcsPoint[];
}

export interface RcsDataset {
  layout: RcsLayout;
  /** The folder it was loaded from. */
  root: string;
  configNames: string[];
  metricNames: string[];
  workloads: RcsWorkload[];
  /** Things the loader skipped on purpose (unlisted folders, failed runs). */
  notes: string[];
}

/** Base points (measured) and the workload's other points by configuration only. */
export interface TargetConfig {
  key: string;
  env: string;
  config: number[];
  memoryMb?: number;
  pricePerMs?: number;
}

/** The configuration half of a point: what is known about a size without running there. */
export function targetOf(p: RcsPoint): TargetConfig {
  return { key: p.key, env: p.env, config: [...p.config], memoryMb: p.memoryMb, pricePerMs: p.pricePerMs };
}
