/**
 * The datasets the repository carries (data/<name>/, described in data/README.md) and how
 * a command line names them. Every option that reads data (`--traces`, `--data`, `--train`,
 * `--test`) takes a dataset name or a path:
 *
 *   - a bare word that is a known name resolves inside the package's own data/ folder
 *     (found from this module, so it works from the sources, from dist/ and from an
 *     installed package): `--traces load-traces`, `--traces azure-functions-2019` (one
 *     trace of load-traces), `--data serverless-functions`;
 *   - anything else is a path, used as before (a folder in the documented layout, or
 *     one trace file); write `./load-traces` for a folder of that name in the current
 *     directory;
 *   - `synthetic` (where the option allows it) asks for the task's seeded generator;
 *   - an unknown name or a path that does not exist is a usage error (exit 2) listing the
 *     names the option accepts.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { InternalError, MissingPathError, UsageError } from "../errors.js";

/** What a dataset holds, i.e. which loader reads it. */
export type DatasetKind = "load-traces" | "link-traces" | "serverless" | "multi-cloud";

export interface DatasetEntry {
  /** Its place inside data/. */
  readonly path: string;
  readonly kind: DatasetKind;
  /** One line for help texts and errors. */
  readonly what: string;
}

/** The names a command line may use, in the order help texts list them. */
export const DATASETS = {
  "load-traces": {
    path: "load-traces",
    kind: "load-traces",
    what: "request-rate traces: Azure Functions 2019, Azure LLM inference 2023 (code, conv), NASA-HTTP 1995, Twitter 2021",
  },
  "azure-functions-2019": {
    path: "load-traces/azure-functions-2019-invocation.csv",
    kind: "load-traces",
    what: "one hour of per-minute invocations of 1,000 Azure Functions",
  },
  "azure-llm-inference-2023-code": {
    path: "load-traces/azure-llm-inference-2023-code.csv",
    kind: "load-traces",
    what: "one hour of Azure LLM inference requests (code)",
  },
  "azure-llm-inference-2023-conv": {
    path: "load-traces/azure-llm-inference-2023-conv.csv",
    kind: "load-traces",
    what: "one hour of Azure LLM inference requests (conversation)",
  },
  "nasa-http-1995": { path: "load-traces/nasa-http-1995.tbz2", kind: "load-traces", what: "58.6 days of NASA-HTTP requests per second" },
  "twitter-2021": { path: "load-traces/twitter-2021.tbz2", kind: "load-traces", what: "22 days of tweets per second" },
  "network-traces": { path: "network-traces", kind: "link-traces", what: "537 Pantheon link-bandwidth traces (cellular, ethernet)" },
  "serverless-functions": { path: "serverless-functions", kind: "serverless", what: "44 serverless functions measured at 8 memory sizes" },
  "multi-cloud": { path: "multi-cloud", kind: "multi-cloud", what: "30 workloads on 88 configurations of 3 clouds (CloudBandit)" },
} as const satisfies Record<string, DatasetEntry>;

export type DatasetName = keyof typeof DATASETS;

/** The word that asks for a task's seeded synthetic data instead of a dataset. */
export const SYNTHETIC = "synthetic";

/** The folder holding this package's package.json (the sources' root, or the installed package). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "flash-adapt") return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new InternalError(`no flash-adapt package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The package's data/ folder. */
export function dataRoot(): string {
  return path.join(packageRoot(), "data");
}

export function isDatasetName(s: string): s is DatasetName {
  return Object.hasOwn(DATASETS, s);
}

/** The absolute path of a named dataset (a missing file is a MissingPathError: a damaged checkout). */
export function datasetPath(name: DatasetName): string {
  const p = path.join(dataRoot(), DATASETS[name].path);
  if (!existsSync(p)) throw new MissingPathError(p, `dataset ${name}: ${p} is missing (data/README.md lists what the repository carries)`);
  return p;
}

/** The names of the datasets of `kinds`. */
export function datasetNames(kinds: readonly DatasetKind[]): DatasetName[] {
  return (Object.keys(DATASETS) as DatasetName[]).filter((n) => kinds.includes(DATASETS[n].kind));
}

export interface DatasetOption {
  /** The option, for messages: "--traces". */
  option: string;
  /** The kinds of data the option reads; a name of another kind is refused. */
  kinds: readonly DatasetKind[];
  /** Whether `synthetic` is allowed (it resolves to null). */
  synthetic?: boolean;
}

/**
 * `value` (a dataset name, a path, or `synthetic`) as an absolute path, or null for
 * `synthetic`. Errors are usage errors naming the option and the accepted names.
 */
export function resolveDataset(value: string, o: DatasetOption & { synthetic: true }): string | null;
export function resolveDataset(value: string, o: DatasetOption): string;
export function resolveDataset(value: string, o: DatasetOption): string | null {
  const names = datasetNames(o.kinds);
  const accepted = `${names.join(", ")}${o.synthetic ? `, ${SYNTHETIC}` : ""}`;
  if (value === "") throw new UsageError(`${o.option}: expected a dataset name (${accepted}) or a path, got an empty value`);
  if (o.synthetic && value === SYNTHETIC) return null;
  if (isDatasetName(value)) {
    const d = DATASETS[value];
    if (!o.kinds.includes(d.kind)) throw new UsageError(`${o.option}: dataset ${value} holds ${d.what}, which this option does not read; known: ${accepted}`);
    return datasetPath(value);
  }
  if (!existsSync(value))
    throw new MissingPathError(value, `${o.option}: "${value}" does not exist and is not a dataset name; known names: ${accepted} (data/README.md)`);
  return path.resolve(value);
}
