/**
 * Loaders for the real traces in data/load-traces (see its README.md):
 *
 *   azure-functions-2019-invocation.csv  per-minute invocations of 1,000 Azure Functions
 *                                        (`HashFunction,Trigger,1..60`): summed over the
 *                                        chosen functions, divided by 60 -> requests/s, 60 s step
 *   azure-llm-inference-2023-*.csv       one row per request (`TIMESTAMP,...`): arrivals
 *                                        counted per step (default 1 s)
 *   nasa-http-1995.tbz2, twitter-2021.tbz2
 *                                        bzip2 tar holding `workload.txt`, one integer
 *                                        per second
 *
 * The .tbz2 archives are never extracted to disk: `tar -xjOf <archive> workload.txt`
 * (GNU tar calling bzip2) writes the member to tar's stdout, which we read through a
 * pipe into memory (~10 MB of text each) and parse without splitting into
 * strings.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseTraceCsv } from "./csv.js";
import { TraceError } from "./errors.js";
import type { Trace } from "./trace.js";

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new TraceError(file, "(file)", "a readable file", (e as Error).message);
  }
}

/**
 * The Azure Functions 2019 invocation subset: per-minute invocations summed over
 * `functions` (HashFunction indices; default all), as requests per second.
 */
export function loadAzureFunctions(file: string, functions?: readonly number[]): Trace {
  const lines = readText(file)
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "");
  const head = lines[0]?.split(",") ?? [];
  if (head[0] !== "HashFunction" || head[1] !== "Trigger" || head.length < 3) {
    throw new TraceError(file, "line 1 (header)", '"HashFunction,Trigger,1,2,..."', lines[0] ?? "an empty file");
  }
  const minutes = head.length - 2;
  const want = functions ? new Set(functions) : undefined;
  const sum = new Float64Array(minutes);
  let used = 0;
  for (let i = 1; i < lines.length; i++) {
    const p = lines[i].split(",");
    if (p.length !== head.length) throw new TraceError(file, `line ${i + 1}`, `${head.length} fields`, p.length);
    const id = Number(p[0]);
    if (want && !want.has(id)) continue;
    used++;
    for (let m = 0; m < minutes; m++) {
      const v = Number(p[m + 2]);
      if (!Number.isFinite(v) || v < 0) throw new TraceError(file, `line ${i + 1} field ${head[m + 2]}`, "a count >= 0", p[m + 2]);
      sum[m] += v;
    }
  }
  if (used === 0) throw new TraceError(file, "HashFunction", `rows for functions ${functions?.join(",")}`, "no matching rows");
  const name = functions ? `azure-functions-2019[${functions.length === 1 ? functions[0] : `${functions.length} fns`}]` : "azure-functions-2019";
  return { name, stepSeconds: 60, rates: sum.map((c) => c / 60) };
}

/** Parses "2023-11-16 18:17:03.9799600" as UTC seconds (sub-millisecond digits dropped). */
function parseTimestamp(s: string): number {
  const iso = s.trim().replace(" ", "T").slice(0, 23) + "Z";
  return Date.parse(iso) / 1000;
}

/** Azure LLM inference 2023: request arrivals counted per `stepSeconds`. */
export function loadAzureLlm(file: string, stepSeconds = 1): Trace {
  const lines = readText(file)
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "");
  if (!lines[0]?.startsWith("TIMESTAMP"))
    throw new TraceError(file, "line 1 (header)", '"TIMESTAMP,ContextTokens,GeneratedTokens"', lines[0] ?? "an empty file");
  const ts = new Float64Array(lines.length - 1);
  for (let i = 1; i < lines.length; i++) {
    const t = parseTimestamp(lines[i].split(",")[0]);
    if (!Number.isFinite(t)) throw new TraceError(file, `line ${i + 1} field TIMESTAMP`, "a timestamp like 2023-11-16 18:17:03.98", lines[i].split(",")[0]);
    ts[i - 1] = t;
  }
  if (ts.length === 0) throw new TraceError(file, "rows", "at least one request", 0);
  ts.sort();
  const t0 = ts[0];
  const n = Math.floor((ts[ts.length - 1] - t0) / stepSeconds) + 1;
  const counts = new Float64Array(n);
  for (const t of ts) counts[Math.floor((t - t0) / stepSeconds)]++;
  return { name: path.basename(file).replace(/\.csv$/, ""), stepSeconds, rates: counts.map((c) => c / stepSeconds) };
}

/** Parses whitespace-separated non-negative integers from a byte buffer. */
export function parseIntegerSeries(buf: Uint8Array, file: string): Float64Array {
  let out = new Float64Array(1 << 16);
  let n = 0;
  let cur = 0;
  let inNum = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c >= 48 && c <= 57) {
      cur = cur * 10 + (c - 48);
      inNum = true;
    } else if (c === 32 || c === 10 || c === 13 || c === 9) {
      if (inNum) {
        if (n === out.length) {
          const bigger = new Float64Array(out.length * 2);
          bigger.set(out);
          out = bigger;
        }
        out[n++] = cur;
        cur = 0;
        inNum = false;
      }
    } else {
      throw new TraceError(file, `byte ${i} (value ${n + 1})`, "digits separated by whitespace", String.fromCharCode(c));
    }
  }
  if (inNum) {
    if (n === out.length) {
      const bigger = new Float64Array(n + 1);
      bigger.set(out);
      out = bigger;
    }
    out[n++] = cur;
  }
  if (n === 0) throw new TraceError(file, "workload.txt", "at least one value", "none");
  return out.slice(0, n);
}

/** A per-second series from a .tbz2 archive holding `member` (default workload.txt), read through a pipe. */
export function loadTbz2Series(file: string, member = "workload.txt"): Trace {
  if (!existsSync(file)) throw new TraceError(file, "(file)", "an existing .tbz2 archive", "no such file");
  let buf: Buffer;
  try {
    buf = execFileSync("tar", ["-xjOf", file, member], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new TraceError(file, member, "a bzip2 tar archive holding that member (read with the system tar)", (e as Error).message.split("\n")[0]);
  }
  return { name: path.basename(file).replace(/\.(tbz2|tar\.bz2)$/, ""), stepSeconds: 1, rates: parseIntegerSeries(buf, `${file}:${member}`) };
}

/** One trace a folder offers; `load()` reads it (the archives take about a second). */
export interface TraceEntry {
  name: string;
  file: string;
  load: () => Trace;
}

/** The trace `file` offers, by its name (the known real files, or a `t,rate` CSV); undefined for any other file. */
function traceEntryOf(file: string): TraceEntry | undefined {
  const f = path.basename(file);
  if (f === "azure-functions-2019-invocation.csv") return { name: "azure-functions-2019", file, load: () => loadAzureFunctions(file) };
  if (/^azure-llm-inference-.*\.csv$/.test(f)) return { name: f.replace(/\.csv$/, ""), file, load: () => loadAzureLlm(file) };
  if (/\.(tbz2|tar\.bz2)$/.test(f)) return { name: f.replace(/\.(tbz2|tar\.bz2)$/, ""), file, load: () => loadTbz2Series(file) };
  if (f.endsWith(".csv")) {
    const head = readText(file)
      .slice(0, 4096)
      .split(/\r?\n/)
      .find((l) => l.trim() !== "" && !l.trim().startsWith("#"));
    if (head?.replace(/\s/g, "") === "t,rate") return { name: f.replace(/\.csv$/, ""), file, load: () => parseTraceCsv(readText(file), file) };
  }
  return undefined;
}

/**
 * The traces in `dir`: the known real files by their names, plus any other `*.csv`
 * whose first non-comment line is `t,rate` (the user format, csv.ts). `dir` may also be
 * one trace file (`--traces azure-functions-2019` names one): then that trace alone.
 */
export function listTraces(dir: string): TraceEntry[] {
  let files: string[];
  try {
    if (statSync(dir).isFile()) {
      const one = traceEntryOf(dir);
      if (!one) throw new TraceError(dir, "(file)", "a trace file (traces/README.md: azure-*.csv, *.tbz2, or a t,rate CSV)", "another file");
      return [one];
    }
    files = readdirSync(dir).sort();
  } catch (e) {
    if (e instanceof TraceError) throw e;
    throw new TraceError(dir, "(folder)", "a readable trace folder", (e as Error).message);
  }
  const out: TraceEntry[] = [];
  for (const f of files) {
    const entry = traceEntryOf(path.join(dir, f));
    if (entry) out.push(entry);
  }
  return out;
}
