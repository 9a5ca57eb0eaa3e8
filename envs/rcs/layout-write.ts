/**
 * Writing the serverless layout (README "Layout 1"): `apps.csv` and one
 * `<app>/<memory_mb>.csv` per size, the columns in the order the real data has them. Used
 * by the seeded generators (synthetic.ts, generate.ts), so what they write is read by
 * `loadServerless` like any measured function.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { REQUIRED_COLUMNS, RUNTIME_SPECIFIC_COLUMNS } from "./serverless.js";

/**
 * What the real Node.js wrapper writes in the columns only it records (event-loop lag, V8
 * heap details; serverless.ts RUNTIME_SPECIFIC_COLUMNS): the loader reads past them, a
 * generator writes these values so its files look like the measured ones.
 */
export const NODE_WRAPPER_VALUES: Readonly<Record<(typeof RUNTIME_SPECIFIC_COLUMNS)[number], number>> = {
  external: 1255344,
  elMin: 9223372036854776000,
  elMax: 0,
  elMean: 0,
  elStd: 0,
  bytecodeMetadataSize: 325320,
  heapPhysical: 5133032,
  heapAvailable: 267262616,
  heapLimit: 271581184,
};

const isNode = (runtime: string) => runtime.toLowerCase().startsWith("node");

/** The columns of a size file for `runtime`, in the measured data's order, with `variant` last. */
export function sizeFileColumns(runtime: string): string[] {
  return [...REQUIRED_COLUMNS.slice(0, 12), ...(isNode(runtime) ? RUNTIME_SPECIFIC_COLUMNS : []), ...REQUIRED_COLUMNS.slice(12), "variant"];
}

/** A value as written: integers as they are, others to 7 significant digits. */
export function formatValue(v: number): string {
  return String(Number.isInteger(v) ? v : Number(v.toPrecision(7)));
}

/** The value a loader reads back from `formatValue(v)`. */
export const roundTrip = (v: number): number => Number(formatValue(v));

/** One size file: `rows` hold a value per column (Node.js wrapper columns default to NODE_WRAPPER_VALUES). */
export function writeSizeFile(dir: string, sizeMb: number, runtime: string, rows: readonly Record<string, number>[]): void {
  const cols = sizeFileColumns(runtime);
  const lines = [cols.join(",")];
  for (const r of rows) {
    lines.push(cols.map((c) => formatValue(r[c] ?? NODE_WRAPPER_VALUES[c as keyof typeof NODE_WRAPPER_VALUES] ?? 0)).join(","));
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${sizeMb}.csv`), lines.join("\n") + "\n");
}

export interface AppsCsvRow {
  app: string;
  source: string;
  runtime: string;
  invocations: number;
}

/** `<dir>/apps.csv`. */
export function writeAppsCsv(dir: string, apps: readonly AppsCsvRow[]): void {
  mkdirSync(dir, { recursive: true });
  const lines = ["app,source,runtime,invocations", ...apps.map((a) => `${a.app},${a.source},${a.runtime},${a.invocations}`)];
  writeFileSync(path.join(dir, "apps.csv"), lines.join("\n") + "\n");
}
