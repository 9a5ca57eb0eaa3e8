/**
 * The trace file format users write: CSV with the header `t,rate`.
 *
 *     # optional comment lines start with '#'
 *     t,rate
 *     0,12.5
 *     60,14.0
 *     120,9.75
 *
 * `t` is seconds from the start, strictly increasing with a constant step (the step is
 * the trace's resolution; the last row covers [t, t + step)); `rate` is requests per
 * second averaged over the step, finite and >= 0. At least two rows (to define the step).
 * The trace name is the file name without `.csv`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TraceError } from "./errors.js";
import type { Trace } from "./trace.js";

export function parseTraceCsv(text: string, file: string): Trace {
  const lines = text.split(/\r?\n/);
  let header = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === "" || l.startsWith("#")) continue;
    header = i;
    break;
  }
  if (header < 0 || lines[header].trim().replace(/\s/g, "") !== "t,rate") {
    throw new TraceError(file, `line ${header + 1} (header)`, 'the header "t,rate"', header < 0 ? "an empty file" : lines[header].trim());
  }
  const ts: number[] = [];
  const rs: number[] = [];
  for (let i = header + 1; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === "" || l.startsWith("#")) continue;
    const parts = l.split(",");
    if (parts.length !== 2) throw new TraceError(file, `line ${i + 1}`, "two fields t,rate", l);
    const t = Number(parts[0]);
    const r = Number(parts[1]);
    if (parts[0].trim() === "" || !Number.isFinite(t)) throw new TraceError(file, `line ${i + 1} field t`, "a finite number of seconds", parts[0]);
    if (parts[1].trim() === "" || !Number.isFinite(r) || r < 0)
      throw new TraceError(file, `line ${i + 1} field rate`, "a finite rate >= 0 requests/s", parts[1]);
    ts.push(t);
    rs.push(r);
  }
  if (ts.length < 2) throw new TraceError(file, "rows", "at least 2 data rows", ts.length);
  const step = ts[1] - ts[0];
  if (!(step > 0)) throw new TraceError(file, `line ${header + 3} field t`, `t increasing after ${ts[0]}`, ts[1]);
  for (let i = 2; i < ts.length; i++) {
    if (Math.abs(ts[i] - ts[i - 1] - step) > 1e-6 * Math.max(1, step)) {
      throw new TraceError(file, `data row ${i + 1} field t`, `a constant step of ${step} s (t = ${ts[i - 1] + step})`, ts[i]);
    }
  }
  return { name: path.basename(file).replace(/\.csv$/i, ""), stepSeconds: step, rates: Float64Array.from(rs) };
}

export function readTraceCsv(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new TraceError(file, "(file)", "a readable CSV file", (e as Error).message);
  }
  return parseTraceCsv(text, file);
}

export function writeTraceCsv(file: string, tr: Trace): void {
  const rows = ["t,rate"];
  for (let i = 0; i < tr.rates.length; i++) rows.push(`${i * tr.stepSeconds},${tr.rates[i]}`);
  writeFileSync(file, rows.join("\n") + "\n");
}
