/**
 * The cpufreq task's load at the time scale DVFS acts on, real against synthetic: the
 * per-second traces of the load-trace folder (NASA-HTTP 1995, Twitter 2021, Azure LLM
 * inference 2023) and the synthetic traces the task draws without a folder
 * (experiments/tasks/cpufreq-pairs.ts), summarised by the statistics that decide a
 * frequency level over a 100 s episode:
 *
 *   - window CV: the coefficient of variation of 100 s window means within an hour (how
 *     much the load of one episode differs from the next: it sets the best level);
 *   - excess CV: within a 100 s window, the per-second rate's variation beyond Poisson
 *     counting noise, sqrt(max(0, var - mean)) / mean (what a controller reacting each
 *     second sees);
 *   - ac1: the lag-1 autocorrelation of the per-second counts within windows;
 *   - bursts per hour: onsets of 10 s whose count is at least 1.5x the previous 60 s's
 *     rate and 3 Poisson standard deviations above it (no new onset within 60 s);
 *   - burst height: the median over onsets of the highest 10 s rate in the 60 s from the
 *     onset over the previous 60 s rate, minus 1.
 *
 * Every trace is compared on counts, as a server sees it: a synthetic trace is scaled to
 * the real trace's mean and Poisson counts are drawn from it, so counting noise weighs
 * the same on both sides. Hours are taken every `strideHours` across each real trace.
 *
 * Run: `npm run build && node dist/bench/cpufreq-load.js [--traces load-traces|DIR] [--hours 48]`.
 */
import { listTraces } from "../traces/real.js";
import { quantile, type Trace } from "../traces/trace.js";
import { Rng } from "../flash/rng.js";
import { cpufreqTrace, SYNTHETIC_LOAD } from "../experiments/tasks/cpufreq-pairs.js";
import { resolveDataset } from "../experiments/datasets.js";

/** Per-hour statistics: the median over hours and, in `range`, the 10th and 90th percentiles. */
export interface LoadStats {
  trace: string;
  hours: number;
  mean: number;
  windowCv: number;
  excessCv: number;
  ac1: number;
  burstsPerHour: number;
  burstHeight: number;
  range: Record<"windowCv" | "excessCv" | "burstsPerHour", [number, number]>;
}

const HOUR = 3600;
const WINDOW = 100;

function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

/** The statistics (module comment) of one hour of per-second counts. */
function hourStats(c: Float64Array): { windowCv: number; excessCv: number; ac1: number; bursts: number; heights: number[] } {
  const means: number[] = [];
  const excess: number[] = [];
  const acs: number[] = [];
  for (let w = 0; w + WINDOW <= c.length; w += WINDOW) {
    const x = c.subarray(w, w + WINDOW);
    let m = 0;
    for (const v of x) m += v;
    m /= WINDOW;
    means.push(m);
    if (m <= 0) continue;
    let v = 0;
    let cov = 0;
    for (let i = 0; i < WINDOW; i++) v += (x[i] - m) ** 2;
    for (let i = 1; i < WINDOW; i++) cov += (x[i] - m) * (x[i - 1] - m);
    v /= WINDOW;
    excess.push(Math.sqrt(Math.max(0, v - m)) / m);
    if (v > 0) acs.push(cov / WINDOW / v);
  }
  const hm = means.reduce((a, b) => a + b, 0) / means.length;
  const windowCv = hm > 0 ? Math.sqrt(means.reduce((a, b) => a + (b - hm) ** 2, 0) / means.length) / hm : 0;
  let bursts = 0;
  const heights: number[] = [];
  let last = -Infinity;
  for (let t = 60; t + 10 <= c.length; t++) {
    let before = 0;
    for (let i = t - 60; i < t; i++) before += c[i];
    let now = 0;
    for (let i = t; i < t + 10; i++) now += c[i];
    const expect = (before / 60) * 10;
    if (expect > 0 && now >= 1.5 * expect && now - expect >= 3 * Math.sqrt(expect) && t - last >= 60) {
      bursts++;
      let peak = now;
      for (let u = t + 1; u < t + 60 && u + 10 <= c.length; u++) {
        now += c[u + 9] - c[u - 1];
        if (now > peak) peak = now;
      }
      heights.push(peak / expect - 1);
      last = t;
    }
  }
  return { windowCv, excessCv: median(excess), ac1: median(acs), bursts, heights };
}

/** Summarises `hours` hour-long slices of per-second counts. */
export function loadStats(name: string, hoursOf: Float64Array[]): LoadStats {
  const hs = hoursOf.map(hourStats);
  let total = 0;
  let n = 0;
  for (const h of hoursOf) {
    for (const v of h) total += v;
    n += h.length;
  }
  const range = (xs: number[]): [number, number] => [quantile(xs, 0.1), quantile(xs, 0.9)];
  return {
    trace: name,
    hours: hs.length,
    mean: total / n,
    windowCv: median(hs.map((h) => h.windowCv)),
    excessCv: median(hs.map((h) => h.excessCv)),
    ac1: median(hs.map((h) => h.ac1)),
    burstsPerHour: median(hs.map((h) => h.bursts)),
    burstHeight: median(hs.flatMap((h) => h.heights)),
    range: {
      windowCv: range(hs.map((h) => h.windowCv)),
      excessCv: range(hs.map((h) => h.excessCv)),
      burstsPerHour: range(hs.map((h) => h.bursts)),
    },
  };
}

/** `hours` one-hour slices of a 1 s trace, evenly spread over it. */
export function hourSlices(tr: Trace, hours: number): Float64Array[] {
  if (tr.stepSeconds !== 1) throw new RangeError(`hourSlices: expected a 1 s trace, got ${tr.name} at ${tr.stepSeconds} s`);
  // A trace of about one hour (Azure LLM: 3,5xx s) counts as one slice.
  const total = Math.max(Math.floor(tr.rates.length / HOUR), tr.rates.length >= 0.9 * HOUR ? 1 : 0);
  const take = Math.min(hours, total);
  const stride = Math.max(1, Math.floor(total / take));
  return Array.from({ length: take }, (_, k) => tr.rates.subarray(k * stride * HOUR, (k * stride + 1) * HOUR));
}

/** Poisson counts (normal approximation above 30, exact below) of a rate series scaled to `mean`. */
function poissonCounts(rates: Float64Array, mean: number, rng: Rng): Float64Array {
  let m = 0;
  for (const r of rates) m += r;
  m /= rates.length;
  return rates.map((r) => {
    const lam = (r * mean) / m;
    if (lam > 30) return Math.max(0, Math.round(lam + Math.sqrt(lam) * rng.normal()));
    const l = Math.exp(-lam);
    let k = 0;
    for (let p = rng.next(); p > l; p *= rng.next()) k++;
    return k;
  });
}

/** The task's synthetic traces (its parameter ranges, one draw per hour) as counts at `mean`. */
export function syntheticSlices(hours: number, mean: number, seed = 0): Float64Array[] {
  const rng = new Rng(`cpufreq-load/${seed}`);
  return Array.from({ length: hours }, (_, k) => {
    const r = rng.fork(`hour-${k}`);
    const trace = cpufreqTrace({
      app: { name: `syn-${k}` } as never,
      trace: {
        source: "synthetic",
        seed: `cpufreq-load/${seed}/${k}`,
        seconds: HOUR,
        noiseStd: r.uniform(...SYNTHETIC_LOAD.noiseStd),
        burstsPerHour: r.uniform(...SYNTHETIC_LOAD.burstsPerHour),
      },
    });
    return poissonCounts(trace.rates, mean, r);
  });
}

function fmt(s: LoadStats): string {
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "—");
  const r = (k: keyof LoadStats["range"], d = 2) => (s.hours > 1 ? `${f(s[k], d)} (${f(s.range[k][0], d)}-${f(s.range[k][1], d)})` : f(s[k], d));
  return `| ${s.trace} | ${s.hours} | ${f(s.mean, 1)} | ${r("windowCv")} | ${r("excessCv")} | ${f(s.ac1)} | ${r("burstsPerHour", 1)} | ${f(s.burstHeight)} |`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (k: string, d: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
  const dir = resolveDataset(opt("--traces", "load-traces"), { option: "--traces", kinds: ["load-traces"] });
  const hours = Number(opt("--hours", "48"));
  const rows: string[] = [
    "| trace | hours | mean count/s | window CV, median (p10-p90 over hours) | excess CV | ac1 | bursts/h | burst height |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const e of listTraces(dir)) {
    const tr = e.load();
    if (tr.stepSeconds !== 1) continue;
    const real = loadStats(e.name, hourSlices(tr, hours));
    rows.push(fmt(real));
    rows.push(fmt(loadStats(`synthetic at ${e.name}'s mean`, syntheticSlices(hours, real.mean))));
  }
  console.log(rows.join("\n"));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
