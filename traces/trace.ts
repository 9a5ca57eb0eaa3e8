/**
 * A load trace: a request rate (requests per second, averaged over each step) sampled at
 * a fixed step. Everything that drives a simulator with load goes through this type, so
 * real traces, user CSV files and synthetic traces are interchangeable.
 */
import { TraceError } from "./errors.js";

export interface Trace {
  /** Identifies the trace in pair names and reports. */
  name: string;
  /** Seconds per sample. */
  stepSeconds: number;
  /** Requests per second, one per step, finite and >= 0. */
  rates: Float64Array;
}

/** Throws a TraceError unless `tr` is well formed; `file` names the source. */
export function validateTrace(tr: Trace, file = `<${tr.name}>`): Trace {
  if (!(tr.stepSeconds > 0) || !Number.isFinite(tr.stepSeconds)) throw new TraceError(file, "stepSeconds", "a finite number > 0", tr.stepSeconds);
  if (tr.rates.length < 1) throw new TraceError(file, "rates", "at least one sample", "an empty trace");
  for (let i = 0; i < tr.rates.length; i++) {
    const r = tr.rates[i];
    if (!Number.isFinite(r) || r < 0) throw new TraceError(file, `rates[${i}]`, "a finite rate >= 0", r);
  }
  return tr;
}

export function durationSeconds(tr: Trace): number {
  return tr.rates.length * tr.stepSeconds;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : 0;
}

/**
 * The trace at another step: each output sample is the exact average of the
 * piecewise-constant input over its window (so the total request count is preserved).
 * The output covers whole output steps only.
 */
export function resample(tr: Trace, stepSeconds: number): Trace {
  if (!(stepSeconds > 0) || !Number.isFinite(stepSeconds)) throw new TraceError(`<${tr.name}>`, "stepSeconds", "a finite number > 0", stepSeconds);
  const n = Math.floor((durationSeconds(tr) + 1e-9) / stepSeconds);
  const out = new Float64Array(n);
  const s0 = tr.stepSeconds;
  for (let k = 0; k < n; k++) {
    const a = k * stepSeconds;
    const b = a + stepSeconds;
    let acc = 0;
    for (let i = Math.floor(a / s0 + 1e-9); i < tr.rates.length && i * s0 < b - 1e-9; i++) {
      const lo = Math.max(a, i * s0);
      const hi = Math.min(b, (i + 1) * s0);
      if (hi > lo) acc += tr.rates[i] * (hi - lo);
    }
    out[k] = acc / stepSeconds;
  }
  return { name: tr.name, stepSeconds, rates: out };
}

/** Scales the trace so its mean rate is `targetMean`, keeping its shape. */
export function rescaleToMean(tr: Trace, targetMean: number): Trace {
  if (!(targetMean >= 0) || !Number.isFinite(targetMean)) throw new TraceError(`<${tr.name}>`, "targetMean", "a finite rate >= 0", targetMean);
  const m = mean(tr.rates);
  if (m <= 0) throw new TraceError(`<${tr.name}>`, "rates", "a trace with some load to rescale", "all zeros");
  return { ...tr, rates: tr.rates.map((r) => (r * targetMean) / m) };
}

/** Scales the trace so its `q`-quantile (default the maximum) is `targetPeak`. */
export function rescaleToPeak(tr: Trace, targetPeak: number, q = 1): Trace {
  if (!(targetPeak >= 0) || !Number.isFinite(targetPeak)) throw new TraceError(`<${tr.name}>`, "targetPeak", "a finite rate >= 0", targetPeak);
  const p = quantile(tr.rates, q);
  if (p <= 0) throw new TraceError(`<${tr.name}>`, "rates", "a trace with some load to rescale", "a zero peak");
  return { ...tr, rates: tr.rates.map((r) => (r * targetPeak) / p) };
}

/** Repeats the trace until it lasts at least `seconds` (for short traces such as Azure's 60 minutes). */
export function tile(tr: Trace, seconds: number): Trace {
  const need = Math.ceil(seconds / tr.stepSeconds);
  if (need <= tr.rates.length) return tr;
  const out = new Float64Array(need);
  for (let i = 0; i < need; i++) out[i] = tr.rates[i % tr.rates.length];
  return { name: `${tr.name}*tiled`, stepSeconds: tr.stepSeconds, rates: out };
}

export function quantile(xs: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(xs).sort();
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))))];
}

export interface TraceStats {
  mean: number;
  /** Coefficient of variation (std / mean). */
  cv: number;
  peakToMean: number;
  p99ToMean: number;
  /** Lag-1 autocorrelation. */
  ac1: number;
  /** Fraction of samples above 1.5x the mean of the previous 60 samples. */
  burstFraction: number;
  /** Std of log(rate / mean of the previous 60 samples) over positive samples. */
  logResidualStd: number;
}

/** Summary statistics used to calibrate and check the synthetic generator. */
export function traceStats(tr: Trace): TraceStats {
  const x = tr.rates;
  const m = mean(x);
  let v = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - m) ** 2;
  for (let i = 1; i < x.length; i++) c += (x[i] - m) * (x[i - 1] - m);
  let max = 0;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  const w = 60;
  let run = 0;
  let bursts = 0;
  let ss = 0;
  let nres = 0;
  for (let i = 0; i < x.length; i++) {
    if (i >= w) {
      const local = run / w;
      if (x[i] > 1.5 * local) bursts++;
      if (x[i] > 0 && local > 0) {
        const e = Math.log(x[i] / local);
        ss += e * e;
        nres++;
      }
    }
    run += x[i];
    if (i >= w) run -= x[i - w];
  }
  return {
    mean: m,
    cv: m > 0 ? Math.sqrt(v / x.length) / m : 0,
    peakToMean: m > 0 ? max / m : 0,
    p99ToMean: m > 0 ? quantile(x, 0.99) / m : 0,
    ac1: v > 0 ? c / v : 0,
    burstFraction: x.length > w ? bursts / (x.length - w) : 0,
    logResidualStd: nres ? Math.sqrt(ss / nres) : 0,
  };
}
