/**
 * CpuFreq-v0: SmartOverclock's frequency-scaling MDP (FLASH paper Table 9) on the DVFS
 * server simulator of sim/cpufreq, one (application, processor) pair per environment.
 *
 * ## Description
 * One VM runs `app` on every core of a server with `processor`; requests arrive at the
 * rate of `trace` (rescaled so that the app's mean demand is `loadFraction x load` of a
 * 16-core Haswell-EP at 2.5 GHz, the same request rate on every processor:
 * sim/cpufreq/workload.ts). Every simulated second the agent picks the frequency of the
 * next second. A low frequency saves power but slows compute-bound requests, queues them
 * and breaks the latency SLO; a high one (above base: overclocking) draws power for little
 * gain when the code is memory-bound or the load is light, and above the turbo limit for
 * the busy cores it is not granted at all. The same request rate needs a different
 * frequency on each processor: cores, IPC, DRAM latency, range and turbo limit differ
 * (sim/cpufreq/README.md).
 *
 * ## Action space
 * `Discrete(actionLevels)` (default 8). Level k requests the P-state nearest to
 * f_min + k / (levels - 1) * (f_max - f_min) of the pair's processor: the same share of
 * every processor's range, not the same GHz and not the same place relative to base
 * (with 8 levels the level nearest base is level 3 on both Xeons, 2.0 GHz: base on the
 * E5-2683 v3, 100 MHz below the E5-2695 v4's 2.1; and level 6 on the EPYC, 3.0 GHz, its
 * base; above base a request is granted only within the turbo limit).
 * Relative levels keep every action valid on every processor (their ranges differ:
 * 1.2-3.0, 1.2-3.1, 1.5-3.3 GHz); what a level does still depends on the processor,
 * which is what an agent moved to a new processor must learn. Governors
 * (agents/baselines/governors.ts) request any P-state directly with `stepFrequency`.
 *
 * ## Observation space
 * `Box(0, 1, (4,))`: what the last second measured, each scaled by the processor's own
 * maximum so that one agent reads every processor the same way, and clamped to [0, 1]:
 *   0. measured IPS / (cores * f_max * IPC * ipcRelative), the share of the server's peak
 *      instruction rate;
 *   1. measured CPU utilisation (busy share of all cores);
 *   2. the measured frequency the cores ran (the request within the turbo limit, as
 *      APERF/MPERF reports it), as (f - f_min) / (f_max - f_min);
 *   3. SLO preservation SP_t = min(1, SLO / p99 latency) (1 in a second without arrivals).
 * Observations 0-2 are hardware counters and carry the simulator's seeded relative noise
 * (`counterNoise`, default 1%); observation 3 is the application's own latency
 * measurement, exact in the simulator.
 *
 * ## Reward
 * Table 9: `r_t = alpha * [f_t > f_{t-1}] * (IPS_t - IPS_{t-1}) / IPS_t + (1 - alpha) * SP_t`
 * with f the frequency the cores ran and IPS the measured counter (the IPS term clipped to
 * [-1, 1], 0 when IPS_t = 0), minus a power term Table 9 does not have:
 * `powerWeight * (P_t - P_static) / 100 W`, the dynamic power in units of 100 W, the same
 * exchange rate on every processor (a watt costs the same wherever it is drawn; the three
 * servers' dynamic ranges are 80-104 W, so at weight 0.5 running a whole server flat out
 * costs about what losing the SLO entirely does). alpha = 0.5 (the paper does not state
 * it). Why a power term: with Table 9 alone the highest frequency is always best (SP can
 * only rise with f, and the IPS term is only paid when f rises; measured in
 * docs/notes/cpufreq.md: the performance governor within 0.1 per episode of the best
 * fixed level). SmartOClock (ISCA 2024), the overclocking system the agent comes from,
 * treats power as a budget that overclocking spends and that power capping enforces;
 * a weighted penalty is our stand-in for that budget, and its weight our assumption
 * (docs/results/2026-12-06-cpufreq-faithful.md measures what it does to the room).
 *
 * ## Starting state
 * A seeded offset into the trace (so episodes see different load), an empty queue, base
 * frequency requested; one second runs before the first observation.
 *
 * ## Episode end
 * Never terminates; truncated after `maxEpisodeSteps` (default 100) steps of 1 s.
 *
 * ## Arguments
 * `app` (Application), `processor` (Processor), `trace` (Trace), `seed` (0),
 * `maxEpisodeSteps` (100), `alpha` (0.5), `powerWeight` (0.5), `actionLevels` (8),
 * `loadFraction` (0.35), `counterNoise` (0.01).
 */
import { ValueError } from "../../flash/errors.js";
import { Rng } from "../../flash/rng.js";
import { validateApplication, type Application } from "../../sim/k8s/app.js";
import { nearestLevel, type Processor } from "../../sim/cpufreq/processor.js";
import { CpuServer, emptySample, type ServerSample } from "../../sim/cpufreq/server.js";
import { compileWorkload, IPC, meanRequestRate } from "../../sim/cpufreq/workload.js";
import { TraceError } from "../../traces/errors.js";
import { durationSeconds, mean, resample, type Trace } from "../../traces/trace.js";
import { box, discrete, type BoxSpace, type DiscreteSpace, type PairEnv, type StepResult } from "../env.js";

export const CPUFREQ_OBS_DIM = 4;
/** Default action levels (the cpufreq task uses this number for every pair). */
export const CPUFREQ_ACTION_LEVELS = 8;
/** Watts of dynamic power that cost `powerWeight` reward per step (the same on every processor: a watt costs the same wherever it is drawn). */
export const POWER_REFERENCE_W = 100;

export interface CpufreqEnvOptions {
  app: Application;
  processor: Processor;
  trace: Trace;
  seed?: number;
  maxEpisodeSteps?: number;
  alpha?: number;
  powerWeight?: number;
  actionLevels?: number;
  loadFraction?: number;
  counterNoise?: number;
}

/** The frequency (GHz) of action level `k` of `levels` on `p`: the P-state nearest to the level's share of the range. */
export function levelFrequency(p: Processor, k: number, levels: number): number {
  return nearestLevel(p, p.minGHz + (k / (levels - 1)) * (p.maxGHz - p.minGHz));
}

/** Table 9's reward with the power term (see the module comment); `dynamicPower` is (P - P_static) / POWER_REFERENCE_W. */
export function cpufreqReward(
  alpha: number,
  powerWeight: number,
  s: { rose: boolean; ips: number; prevIps: number; sp: number; dynamicPower: number },
): number {
  let gain = 0;
  if (s.rose && s.ips > 0) gain = Math.max(-1, Math.min(1, (s.ips - s.prevIps) / s.ips));
  return alpha * gain + (1 - alpha) * s.sp - powerWeight * s.dynamicPower;
}

export class CpufreqEnv implements PairEnv {
  readonly id = "CpuFreq-v0";
  readonly pair: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: DiscreteSpace;
  readonly maxEpisodeSteps: number;
  readonly processor: Processor;
  readonly alpha: number;
  readonly powerWeight: number;
  readonly actionLevels: number;
  private readonly server: CpuServer;
  private readonly rates: Float64Array;
  private readonly peakIps: number;
  private rng: Rng;
  private steps = 0;
  private prevIps = 0;
  private prevGHz: number;
  private readonly sample: ServerSample = emptySample();

  constructor(opts: CpufreqEnvOptions) {
    const app = validateApplication(opts.app);
    const p = opts.processor;
    this.processor = p;
    this.pair = `${app.name}@${p.name}`;
    this.maxEpisodeSteps = opts.maxEpisodeSteps ?? 100;
    this.alpha = opts.alpha ?? 0.5;
    this.powerWeight = opts.powerWeight ?? 0.5;
    this.actionLevels = opts.actionLevels ?? CPUFREQ_ACTION_LEVELS;
    if (!Number.isInteger(this.maxEpisodeSteps) || this.maxEpisodeSteps < 1)
      throw new ValueError(`CpuFreq-v0: maxEpisodeSteps: expected an integer >= 1, got ${this.maxEpisodeSteps}`);
    if (!(this.alpha >= 0 && this.alpha <= 1)) throw new ValueError(`CpuFreq-v0: alpha: expected a number in [0, 1], got ${this.alpha}`);
    if (!(this.powerWeight >= 0) || !Number.isFinite(this.powerWeight))
      throw new ValueError(`CpuFreq-v0: powerWeight: expected a finite number >= 0, got ${this.powerWeight}`);
    if (!Number.isInteger(this.actionLevels) || this.actionLevels < 2)
      throw new ValueError(`CpuFreq-v0: actionLevels: expected an integer >= 2, got ${this.actionLevels}`);
    const loadFraction = opts.loadFraction ?? 0.35;
    if (!(loadFraction > 0) || !Number.isFinite(loadFraction))
      throw new ValueError(`CpuFreq-v0: loadFraction: expected a finite number > 0, got ${loadFraction}`);
    const perSecond = opts.trace.stepSeconds === 1 ? opts.trace : resample(opts.trace, 1);
    if (durationSeconds(perSecond) < this.maxEpisodeSteps + 1)
      throw new TraceError(
        `<${opts.trace.name}>`,
        "duration",
        `at least one episode plus its warm-up second, ${this.maxEpisodeSteps + 1} s`,
        `${durationSeconds(perSecond)} s`,
      );
    const m = mean(perSecond.rates);
    if (!(m > 0)) throw new TraceError(`<${opts.trace.name}>`, "rates", "a trace with some load", "all zeros");
    const w = compileWorkload(app, p);
    const scale = meanRequestRate(w, loadFraction) / m;
    this.rates = perSecond.rates.map((r) => r * scale);
    this.server = new CpuServer({ processor: p, workload: w, rates: this.rates, seed: opts.seed ?? 0, counterNoise: opts.counterNoise });
    this.peakIps = p.cores * p.maxGHz * 1e9 * IPC * p.ipcRelative;
    this.observationSpace = box([0, 0, 0, 0], [1, 1, 1, 1]);
    this.actionSpace = discrete(this.actionLevels);
    this.rng = new Rng(opts.seed ?? 0).fork("cpufreq-env");
    this.prevGHz = p.baseGHz;
  }

  /** The requested frequency (GHz); the cores may run lower above base (the turbo limit). */
  get frequencyGHz(): number {
    return this.server.frequencyGHz;
  }

  private observe(s: ServerSample): Float32Array {
    const p = this.processor;
    const o = new Float32Array(CPUFREQ_OBS_DIM);
    o[0] = Math.min(1, s.measuredIps / this.peakIps);
    o[1] = Math.min(1, s.measuredUtilisation);
    o[2] = Math.min(1, Math.max(0, (s.measuredFrequencyGHz - p.minGHz) / (p.maxGHz - p.minGHz)));
    o[3] = s.sloPreservation;
    return o;
  }

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed).fork("cpufreq-env");
    const span = this.rates.length - (this.maxEpisodeSteps + 1);
    const start = span > 0 ? this.rng.int(0, span + 1) : 0;
    this.server.reset(start, seed !== undefined ? seed : undefined);
    this.steps = 0;
    const s = this.server.step(this.sample);
    this.prevIps = s.measuredIps;
    this.prevGHz = s.frequencyGHz;
    return this.observe(s);
  }

  /** One second at action level `action[0]`. */
  step(action: Float32Array | number[]): StepResult {
    if (action.length !== 1) throw new ValueError(`CpuFreq-v0: expected one action (a level index), got ${action.length}`);
    const k = action[0];
    if (!Number.isInteger(k) || k < 0 || k >= this.actionLevels)
      throw new ValueError(`CpuFreq-v0: action: expected an integer level in [0, ${this.actionLevels - 1}], got ${k}`);
    return this.stepFrequency(levelFrequency(this.processor, k, this.actionLevels));
  }

  /** One second at `ghz` (any frequency in the processor's range, e.g. a governor's choice). */
  stepFrequency(ghz: number): StepResult {
    this.server.setFrequency(ghz);
    const s = this.server.step(this.sample);
    const dyn = (s.powerW - this.processor.staticPowerW) / POWER_REFERENCE_W;
    const reward = cpufreqReward(this.alpha, this.powerWeight, {
      rose: s.frequencyGHz > this.prevGHz + 1e-9,
      ips: s.measuredIps,
      prevIps: this.prevIps,
      sp: s.sloPreservation,
      dynamicPower: dyn,
    });
    this.prevIps = s.measuredIps;
    this.prevGHz = s.frequencyGHz;
    this.steps++;
    const info = {
      episodeSteps: this.maxEpisodeSteps,
      ips: s.ips,
      utilisation: s.utilisation,
      requestedGHz: s.requestedGHz,
      frequencyGHz: s.frequencyGHz,
      sp: s.sloPreservation,
      powerW: s.powerW,
      energyJ: s.energyJ,
      p99LatencyS: s.p99LatencyS,
      backlog: s.backlog,
    };
    return { observation: this.observe(s), reward, terminated: false, truncated: this.steps >= this.maxEpisodeSteps, info };
  }
}
