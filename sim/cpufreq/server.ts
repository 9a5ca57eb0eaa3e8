/**
 * One server running one VM's workload on all cores of one processor, advanced in 1 s
 * steps with the frequency the governor or agent chose for the step. Analytic (no event
 * queue), so a step costs a few hundred nanoseconds.
 *
 * Per step t, at the requested frequency f_req (all cores; the VM owns the server):
 *   - arrivals A_t: the step's rate lambda_t (requests/s, from the load trace) with
 *     Poisson-like noise, lambda_t + sqrt(lambda_t) * z (normal approximation), >= 0;
 *   - the frequency the cores run, f: f_req at or below base; above it, at most the turbo
 *     limit for the step's busy cores, ceil(u * cores) (processor.ts `effectiveGHz`; u is
 *     the utilisation at f, so the two are solved together: a few fixed-point rounds,
 *     each lowering f and raising u until they agree);
 *   - capacity cap = cores / T(f) requests per second (workload.ts T(f)); the backlog plus
 *     the arrivals are served up to cap, the rest stays queued;
 *   - utilisation u = served * T(f) / cores; instructions per second = served * instructions
 *     per request; power (processor.ts) P = P_static + cores * u * C V(f)^2 f, energy P * 1 s;
 *   - p99 latency = the request's own latency at f + the M/M/c p99 wait (sim/k8s/queue.ts,
 *     c = cores, the arrival rate capped at 98% of capacity) + the backlog's drain time
 *     (backlog / cap); SLO preservation SP_t = min(1, SLO / p99) (1 with no arrivals);
 *   - counters (what perf / APERF-MPERF would report): utilisation, the frequency the cores
 *     ran (f, not f_req) and IPS, each times (1 + noise * z) with seeded z, clamped at 0
 *     (and utilisation at 1). SLO preservation is the application's own measurement, not a
 *     counter: it carries no noise.
 *
 * Determinism: one seed fixes every draw (`Rng(seed).fork("cpufreq-server")`); `reset`
 * with a seed restarts the stream.
 */
import { Rng } from "../../flash/rng.js";
import { waitQuantile } from "../k8s/queue.js";
import { CpufreqConfigError } from "./errors.js";
import { checkFrequency, effectiveGHz, powerW, type Processor } from "./processor.js";
import { coreSecondsPerRequest, serviceLatencySeconds, type Workload } from "./workload.js";

export interface ServerOptions {
  processor: Processor;
  workload: Workload;
  /** Arrival rate per simulated second (requests/s), read cyclically from the start second. */
  rates: Float64Array;
  seed?: number;
  /** Relative std of the counters' measurement noise. Default 0.01. */
  counterNoise?: number;
}

/** What one step measured. `measured*` are the noisy counters an agent sees. */
export interface ServerSample {
  second: number;
  /** The frequency the agent or governor asked for. */
  requestedGHz: number;
  /** The frequency the cores ran (the request within the turbo limit). */
  frequencyGHz: number;
  arrivals: number;
  served: number;
  backlog: number;
  utilisation: number;
  ips: number;
  p99LatencyS: number;
  sloPreservation: number;
  powerW: number;
  energyJ: number;
  measuredUtilisation: number;
  measuredFrequencyGHz: number;
  measuredIps: number;
}

export function emptySample(): ServerSample {
  return {
    second: 0,
    requestedGHz: 0,
    frequencyGHz: 0,
    arrivals: 0,
    served: 0,
    backlog: 0,
    utilisation: 0,
    ips: 0,
    p99LatencyS: 0,
    sloPreservation: 1,
    powerW: 0,
    energyJ: 0,
    measuredUtilisation: 0,
    measuredFrequencyGHz: 0,
    measuredIps: 0,
  };
}

export class CpuServer {
  readonly processor: Processor;
  readonly workload: Workload;
  private readonly rates: Float64Array;
  private readonly noise: number;
  private rng: Rng;
  private second = 0;
  private backlog = 0;
  private ghz: number;

  constructor(opts: ServerOptions) {
    this.processor = opts.processor;
    this.workload = opts.workload;
    if (!(opts.rates.length > 0)) throw new CpufreqConfigError("rates", "at least one arrival rate", `${opts.rates.length} rates`);
    for (let i = 0; i < opts.rates.length; i++)
      if (!(opts.rates[i] >= 0) || !Number.isFinite(opts.rates[i])) throw new CpufreqConfigError(`rates[${i}]`, "a finite rate >= 0", opts.rates[i]);
    this.rates = opts.rates;
    this.noise = opts.counterNoise ?? 0.01;
    if (!(this.noise >= 0 && this.noise < 1)) throw new CpufreqConfigError("counterNoise", "a number in [0, 1)", this.noise);
    this.rng = new Rng(opts.seed ?? 0).fork("cpufreq-server");
    this.ghz = this.processor.baseGHz;
  }

  /** The requested frequency of the next steps. */
  get frequencyGHz(): number {
    return this.ghz;
  }

  /** Starts over at `startSecond` of the rates with an empty queue, at base frequency. */
  reset(startSecond = 0, seed?: number): void {
    if (!Number.isInteger(startSecond) || startSecond < 0) throw new CpufreqConfigError("startSecond", "an integer >= 0", startSecond);
    if (seed !== undefined) this.rng = new Rng(seed).fork("cpufreq-server");
    this.second = startSecond;
    this.backlog = 0;
    this.ghz = this.processor.baseGHz;
  }

  /** The frequency of the next steps; outside the processor's range is a CpufreqConfigError. */
  setFrequency(ghz: number): void {
    this.ghz = checkFrequency(this.processor, ghz);
  }

  private noisy(x: number): number {
    const y = x * (1 + this.noise * this.rng.normal());
    return y > 0 ? y : 0;
  }

  /** Advances one second; writes into `out` (allocation-free when given). */
  step(out: ServerSample = emptySample()): ServerSample {
    const p = this.processor;
    const w = this.workload;
    const lambda = this.rates[this.second % this.rates.length];
    const a = Math.max(0, lambda + Math.sqrt(lambda) * this.rng.normal());
    const want = this.backlog + a;
    // The turbo limit depends on the busy cores, which depend on the frequency: lowering f
    // only raises u, so a few rounds reach the frequency both agree on.
    let f = this.ghz;
    let s = coreSecondsPerRequest(w, f);
    let cap = p.cores / s;
    let served = want < cap ? want : cap;
    let util = (served * s) / p.cores;
    for (let round = 0; round < 4 && f > p.baseGHz; round++) {
      const g = effectiveGHz(p, this.ghz, Math.ceil(util * p.cores - 1e-9));
      if (g >= f) break;
      f = g;
      s = coreSecondsPerRequest(w, f);
      cap = p.cores / s;
      served = want < cap ? want : cap;
      util = (served * s) / p.cores;
    }
    this.backlog = want - served;
    const lam = a < 0.98 * cap ? a : 0.98 * cap;
    const p99 = serviceLatencySeconds(w, f) + waitQuantile(p.cores, lam, 1 / s, 0.99) + this.backlog / cap;
    const power = powerW(p, f, util);
    out.second = this.second;
    out.requestedGHz = this.ghz;
    out.frequencyGHz = f;
    out.arrivals = a;
    out.served = served;
    out.backlog = this.backlog;
    out.utilisation = util;
    out.ips = served * w.instructionsPerRequest;
    out.p99LatencyS = p99;
    out.sloPreservation = a > 0 ? Math.min(1, w.sloSeconds / p99) : 1;
    out.powerW = power;
    out.energyJ = power;
    out.measuredUtilisation = Math.min(1, this.noisy(util));
    out.measuredFrequencyGHz = this.noisy(f);
    out.measuredIps = this.noisy(out.ips);
    this.second++;
    return out;
  }
}
