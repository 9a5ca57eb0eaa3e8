/**
 * Link traces: bandwidth (and, where known, delay and loss) over time, read from files.
 *
 * Two formats (sim/network/README.md):
 *   - JSON as the Pantheon traces of data/network-traces are packaged:
 *     `{"timestamps": [s...], "bandwidths": [Mbps...], "delays": [ms] or [ms per timestamp],
 *       "loss": rate or [rate per timestamp], "queue": packets}`; only timestamps and
 *     bandwidths are required.
 *   - CSV with a header line `time_s,bandwidth_mbps[,delay_ms[,loss_rate]]`, one sample a line.
 * Timestamps must increase; bandwidths be finite and >= 0 with at least one > 0 (a zero is
 * an outage); delays finite and >= 0; loss in [0, 1). Each value holds until the next
 * timestamp; a link repeats its trace cyclically. Errors (LinkTraceError) name the file
 * and the line or field.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { LinkTraceError } from "./errors.js";

export interface LinkTrace {
  name: string;
  /** Seconds, strictly increasing. */
  times: number[];
  bandwidthMbps: number[];
  /** One-way delay per timestamp (ms); absent: the link's own. */
  delayMs?: number[];
  /** Random loss rate per timestamp; absent: the link's own. */
  lossRate?: number[];
  /** What the file states for the whole link (Pantheon: one delay, loss and queue). */
  link?: { delayMs?: number; lossRate?: number; queuePackets?: number };
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Checks a trace; `where(i, field)` renders the place of sample i in the source (a JSON field or a CSV line). */
export function validateLinkTrace(tr: LinkTrace, file: string, where: (i: number, field: string) => string = (i, f) => `${f}[${i}]`): LinkTrace {
  const n = tr.times.length;
  if (n === 0) throw new LinkTraceError(file, "timestamps", "at least one sample", "an empty trace");
  if (tr.bandwidthMbps.length !== n) throw new LinkTraceError(file, "bandwidths", `${n} values (one per timestamp)`, `${tr.bandwidthMbps.length}`);
  let positive = false;
  for (let i = 0; i < n; i++) {
    const t = tr.times[i];
    if (!isNum(t)) throw new LinkTraceError(file, where(i, "timestamps"), "a finite time in seconds", t);
    if (i > 0 && !(t > tr.times[i - 1]))
      throw new LinkTraceError(file, where(i, "timestamps"), `a time after the previous one (${tr.times[i - 1]} s): timestamps must increase`, t);
    const b = tr.bandwidthMbps[i];
    if (!isNum(b) || b < 0) throw new LinkTraceError(file, where(i, "bandwidths"), "a finite bandwidth >= 0 (Mbps)", b);
    if (b > 0) positive = true;
    const d = tr.delayMs?.[i];
    if (tr.delayMs && (!isNum(d) || d < 0)) throw new LinkTraceError(file, where(i, "delays"), "a finite delay >= 0 (ms)", d);
    const l = tr.lossRate?.[i];
    if (tr.lossRate && (!isNum(l) || l < 0 || l >= 1)) throw new LinkTraceError(file, where(i, "loss"), "a loss rate in [0, 1)", l);
  }
  if (!positive) throw new LinkTraceError(file, "bandwidths", "at least one bandwidth > 0 (a link that never delivers)", "all zero");
  return tr;
}

function numberArray(v: unknown, file: string, field: string): number[] {
  if (!Array.isArray(v)) throw new LinkTraceError(file, field, "an array of numbers", v);
  return v as number[];
}

/** A JSON trace (the Pantheon packaging; see the module comment). */
export function parseJsonTrace(text: string, file: string, name = path.basename(file, ".json")): LinkTrace {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LinkTraceError(file, "(file)", "a JSON object", `unparsable JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new LinkTraceError(file, "(file)", "a JSON object with timestamps and bandwidths", raw);
  const o = raw as Record<string, unknown>;
  const times = numberArray(o.timestamps, file, "timestamps");
  const bandwidthMbps = numberArray(o.bandwidths, file, "bandwidths");
  const tr: LinkTrace = { name, times, bandwidthMbps, link: {} };
  if (o.delays !== undefined) {
    const d = numberArray(o.delays, file, "delays");
    if (d.length === 1) {
      if (!isNum(d[0]) || d[0] < 0) throw new LinkTraceError(file, "delays[0]", "a finite delay >= 0 (ms)", d[0]);
      tr.link!.delayMs = d[0];
    } else if (d.length === times.length) tr.delayMs = d;
    else throw new LinkTraceError(file, "delays", `one delay or ${times.length} (one per timestamp)`, `${d.length} values`);
  }
  if (o.loss !== undefined) {
    if (Array.isArray(o.loss)) tr.lossRate = numberArray(o.loss, file, "loss");
    else if (isNum(o.loss) && o.loss >= 0 && o.loss < 1) tr.link!.lossRate = o.loss;
    else throw new LinkTraceError(file, "loss", "a loss rate in [0, 1) or one per timestamp", o.loss);
  }
  if (o.queue !== undefined) {
    if (!(Number.isInteger(o.queue) && (o.queue as number) >= 1)) throw new LinkTraceError(file, "queue", "an integer >= 1 (packets)", o.queue);
    tr.link!.queuePackets = o.queue as number;
  }
  return validateLinkTrace(tr, file);
}

/** A CSV trace: header `time_s,bandwidth_mbps[,delay_ms[,loss_rate]]`; errors name the line. */
export function parseCsvTrace(text: string, file: string, name = path.basename(file, ".csv")): LinkTrace {
  const lines = text.split(/\r?\n/);
  const header = lines[0]
    .trim()
    .split(",")
    .map((s) => s.trim());
  const cols = ["time_s", "bandwidth_mbps", "delay_ms", "loss_rate"];
  if (header.length < 2 || header.length > 4 || header.some((h, i) => h !== cols[i]))
    throw new LinkTraceError(file, "line 1", `the header ${cols.slice(0, 2).join(",")}[,delay_ms[,loss_rate]]`, lines[0]);
  const tr: LinkTrace = { name, times: [], bandwidthMbps: [], ...(header.length > 2 ? { delayMs: [] } : {}), ...(header.length > 3 ? { lossRate: [] } : {}) };
  const lineOf: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    const f = lines[i].split(",");
    if (f.length !== header.length) throw new LinkTraceError(file, `line ${i + 1}`, `${header.length} comma-separated values`, lines[i]);
    const v = f.map((s) => (s.trim() === "" ? NaN : Number(s)));
    tr.times.push(v[0]);
    tr.bandwidthMbps.push(v[1]);
    tr.delayMs?.push(v[2]);
    tr.lossRate?.push(v[3]);
    lineOf.push(i + 1);
  }
  return validateLinkTrace(tr, file, (i, field) => `line ${lineOf[i] ?? "?"} (${field})`);
}

/** A trace file by its extension (.json or .csv). */
export function loadLinkTrace(file: string): LinkTrace {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new LinkTraceError(file, "(file)", "a readable trace file", (e as Error).message);
  }
  if (file.endsWith(".json")) return parseJsonTrace(text, file);
  if (file.endsWith(".csv")) return parseCsvTrace(text, file);
  throw new LinkTraceError(file, "(file)", "a .json or .csv trace", path.extname(file) || "no extension");
}

/** Trace files (*.json, *.csv) under `dir`, recursively, in sorted order (Pantheon: one folder per experiment); `dir` may be one trace file. */
export function listLinkTraces(dir: string): string[] {
  if (statSync(dir).isFile()) return /\.(json|csv)$/.test(dir) ? [dir] : [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith(".json") || e.endsWith(".csv")) out.push(p);
    }
  };
  walk(dir);
  return out;
}
