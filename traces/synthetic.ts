/**
 * A seeded synthetic load trace: the embedded default when no trace folder is given.
 *
 *     rate_t = mean * D(t) * exp(x_t - s^2/2) * B(t),   then scaled to the exact mean
 *     D(t)   = 1 + A sin(2 pi t / period + phase)          diurnal cycle
 *     x_t    = phi x_{t-1} + s sqrt(1 - phi^2) eps_t        AR(1) log-normal noise
 *     B(t)   = 1 + sum_k h_k exp(-(t - t_k) / tau_k)        bursts: Poisson onsets t_k,
 *                                                          heights h_k, decays tau_k
 *
 * Calibration (computed from data/load-traces with the statistics of
 * traces/trace.ts at a 60 s step; NASA-HTTP 1995 = 58.6 days, Twitter 2021 = 22 days):
 *
 *                             NASA    Twitter   this generator, defaults, 20 days
 *   diurnal amplitude A       0.27    0.55      0.40 (parameter)
 *   per-minute CV             0.72    0.64      0.58-0.63
 *   per-minute lag-1 autocorr 0.84    0.94      0.88-0.89
 *   p99 / mean                3.14    3.77      3.16-3.46
 *   log residual std*         0.48    0.41      0.39-0.41
 *   burst fraction*           0.10    0.085     0.104-0.107
 *   (A = (max - min) / 2 / mean of the hour-of-day profile;
 *   * against the mean of the previous 60 minutes)
 *
 * The Azure Functions 2019 subset (60 minutes, all functions summed) has CV 0.19 and
 * p99/mean 1.38 per minute; single functions are far burstier (median CV 1.9). Azure LLM
 * inference (1 h): per-second CV 2.27 (code) and 0.50 (conversation).
 */
import { Rng } from "../flash/rng.js";
import { TraceError } from "./errors.js";
import type { Trace } from "./trace.js";

export interface SyntheticOptions {
  seed: string | number;
  /** Length of the trace. Default one day. */
  seconds?: number;
  /** Default 60 s. */
  stepSeconds?: number;
  /** Mean rate, requests/s. Default 1 (rescale for the application). */
  mean?: number;
  /** Diurnal amplitude A in [0, 1). Default 0.4. */
  diurnalAmplitude?: number;
  /** Diurnal period. Default 86,400 s. */
  periodSeconds?: number;
  /** Stationary std s of the log noise. Default 0.3. */
  noiseStd?: number;
  /** Lag-1 coefficient phi of the log noise per minute. Default 0.8. */
  noiseAr?: number;
  /** Burst onsets per hour. Default 0.5. */
  burstsPerHour?: number;
  /** Burst height range (multiples of the local rate). Default [0.8, 3]. */
  burstHeight?: [number, number];
  /** Mean burst decay time. Default 600 s. */
  burstDecaySeconds?: number;
  name?: string;
}

function check(field: string, v: number, ok: boolean): number {
  if (!ok || !Number.isFinite(v)) throw new TraceError("<synthetic>", field, "a value in its documented range", v);
  return v;
}

export function syntheticTrace(opts: SyntheticOptions): Trace {
  const seconds = opts.seconds ?? 86400;
  const step = opts.stepSeconds ?? 60;
  const mean = opts.mean ?? 1;
  const A = opts.diurnalAmplitude ?? 0.4;
  const period = opts.periodSeconds ?? 86400;
  const s = opts.noiseStd ?? 0.3;
  const phiMin = opts.noiseAr ?? 0.8;
  const bph = opts.burstsPerHour ?? 0.5;
  const [hLo, hHi] = opts.burstHeight ?? [0.8, 3];
  const tau = opts.burstDecaySeconds ?? 600;
  check("seconds", seconds, seconds > 0);
  check("stepSeconds", step, step > 0 && step <= seconds);
  check("mean", mean, mean >= 0);
  check("diurnalAmplitude", A, A >= 0 && A < 1);
  check("periodSeconds", period, period > 0);
  check("noiseStd", s, s >= 0);
  check("noiseAr", phiMin, phiMin >= 0 && phiMin < 1);
  check("burstsPerHour", bph, bph >= 0);
  check("burstHeight", hLo, hLo >= 0 && hHi >= hLo);
  check("burstDecaySeconds", tau, tau > 0);

  const rng = new Rng(opts.seed).fork("synthetic-trace");
  const n = Math.floor(seconds / step);
  const rates = new Float64Array(n);
  // The AR coefficient is given per minute; convert to this step so the correlation
  // time is the same whatever the resolution.
  const phi = Math.pow(phiMin, step / 60);
  const innov = s * Math.sqrt(1 - phi * phi);
  const phase = rng.uniform(0, 2 * Math.PI);
  const pBurst = 1 - Math.exp(-(bph * step) / 3600);
  let x = s * rng.normal();
  let burst = 0;
  let burstDecay = Math.exp(-step / tau);
  for (let i = 0; i < n; i++) {
    const t = i * step;
    x = phi * x + innov * rng.normal();
    if (rng.next() < pBurst) {
      burst += rng.uniform(hLo, hHi);
      burstDecay = Math.exp(-step / (tau * rng.uniform(0.5, 1.5)));
    }
    const d = 1 + A * Math.sin((2 * Math.PI * t) / period + phase);
    rates[i] = d * Math.exp(x - (s * s) / 2) * (1 + burst);
    burst *= burstDecay;
  }
  let m = 0;
  for (let i = 0; i < n; i++) m += rates[i];
  m /= n;
  for (let i = 0; i < n; i++) rates[i] *= m > 0 ? mean / m : 0;
  return { name: opts.name ?? `synthetic-${opts.seed}`, stepSeconds: step, rates };
}

/**
 * The default set of traces when no folder is given: `count` synthetic days whose
 * parameters vary between the NASA-like and Twitter-like ends of the calibration.
 */
export function defaultSyntheticTraces(seed: string | number, count = 4): Trace[] {
  const rng = new Rng(seed).fork("synthetic-set");
  return Array.from({ length: count }, (_, i) =>
    syntheticTrace({
      seed: `${seed}/${i}`,
      name: `synthetic-${i}`,
      diurnalAmplitude: rng.uniform(0.27, 0.55),
      noiseStd: rng.uniform(0.25, 0.35),
      burstsPerHour: rng.uniform(0.3, 0.8),
    }),
  );
}
