/**
 * CpuFreq-v0: SmartOverclock's frequency-scaling MDP (FLASH paper Table 9) on the DVFS
 * server simulator of sim/cpufreq, one (application, processor) pair per environment.
 *
 * ## Description
 * One VM runs `app` on every core of a server with `processor`; requests arrive at the
 * rate of `trace` (rescaled to the app's load, sim/cpufreq/workload.ts). Every simulated
 * second the agent picks the frequency of the next second. A low frequency saves power
 * but slows compute-bound requests, queues them and breaks the latency SLO; a high one
 * (above base: overclocking) draws power for little gain when the code is memory-bound
 * or the load is light.
 *
 * ## Action space
 * `Discrete(actionLevels)` (default 8). Level k sets the P-state nearest to
 * f_min + k / (levels - 1) * (f_max - f_min) of the pair's processor. Relative levels,
 * not GHz: processors' ranges differ (1.2-3.0 GHz vs 1.5-3.3 GHz), and a fixed GHz grid
 * would give each processor actions that do not exist on it; with relative levels action
 * 0 is always the minimum and the last always the overclock cap, so one agent's actions
 * mean the same on every processor. Governors (agents/baselines/governors.ts) set any
 * P-state directly with `stepFrequency`.
 *
 * ## Observation space
 * `Box(0, 1.5, (4,))`, the performance counters of the last second, each normalised by
 * the processor's own scale so that one agent serves every processor:
 *   0. IPS / (cores * f_max * IPC), the share of the server's peak instruction rate;
 *   1. CPU utilisation (busy share of all cores);
 *   2. measured frequency as (f - f_min) / (f_max - f_min);
 *   3. SLO preservation SP_t = min(1, SLO / p99 latency).
 * The counters carry the simulator's seeded measurement noise.
 *
 * ## Reward
 * Table 9: `r_t = alpha * [f_t > f_{t-1}] * (IPS_t - IPS_{t-1}) / IPS_t + (1 - alpha) * SP_t`
 * (the IPS term clipped to [-1, 1], 0 when IPS_t = 0), minus the power term the paper's
 * prose implies, `powerWeight * (P_t - P_static) / (cores * P_core(f_max))`, the dynamic
 * power as a share of its maximum. alpha = 0.5 (the paper does not state it). Without
 * the power term the maximum frequency is always best (SP can only rise with f, and the
 * IPS term is only paid when f rises). Measured on the quick profile's 18 pairs (mean
 * return over 3 evaluation episodes): with powerWeight 0 the performance governor earns
 * 45.9 and the best fixed level per pair 46.0 (light pairs tie: SP = 1 at any level),
 * powersave 34.7, so nothing rewards saving power. With powerWeight 0.5 (and
 * loadFraction 0.5) the best fixed level ranges from the minimum to level 6 of 7 across
 * pairs and no governor wins everywhere (schedutil 29.0, powersave 28.7, random 27.6,
 * performance 21.2, best fixed level per pair 31.6); 0.25 left the best fixed level
 * only 2.7 (7%) above a random policy, too little to measure reward drops against.
 *
 * ## Starting state
 * A seeded offset into the trace (so episodes see different load), an empty queue,
 * base frequency; one second runs before the first observation.
 *
 * ## Episode end
 * Never terminates; truncated after `maxEpisodeSteps` (default 100) steps of 1 s.
 *
 * ## Arguments
 * `app` (Application), `processor` (Processor), `trace` (Trace), `seed` (0),
 * `maxEpisodeSteps` (100), `alpha` (0.5), `powerWeight` (0.5), `actionLevels` (8),
 * `loadFraction` (0.5), `counterNoise` (0.01).
 */
import { ValueError } from "../../flash/errors.js";
import { Rng } from "../../flash/rng.js";
import { validateApplication, type Application } from "../../sim/k8s/app.js";
import { corePowerW, nearestLevel, type Processor } from "../../sim/cpufreq/processor.js";
import { CpuServer, emptySample, type ServerSample } from "../../sim/cpufreq/server.js";
import { compileWorkload, IPC, meanRequestRate } from "../../sim/cpufreq/workload.js";
import { TraceError } from "../../traces/errors.js";
import { durationSeconds, mean, resample, type Trace } from "../../traces/trace.js";
import { box, discrete, type BoxSpace, type DiscreteSpace, type PairEnv, type StepResult } from "../env.js";

export const CPUFREQ_OBS_DIM = 4;
/** Default action levels (the cpufreq task uses this number for every pair). */
export const CPUFREQ_ACTION_LEVELS = 8;

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

/** Table 9's reward with the power term (see the module comment). */
export function cpufreqReward(
  alpha: number,
  powerWeight: number,
  s: { rose: boolean; ips: number; prevIps: number; sp: number; dynamicPowerShare: number },
): number {
  let gain = 0;
  if (s.rose && s.ips > 0) gain = Math.max(-1, Math.min(1, (s.ips - s.prevIps) / s.ips));
  return alpha * gain + (1 - alpha) * s.sp - powerWeight * s.dynamicPowerShare;
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
  private readonly peakDynamicW: number;
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
    const loadFraction = opts.loadFraction ?? 0.5;
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
    this.peakIps = p.cores * p.maxGHz * 1e9 * IPC;
    this.peakDynamicW = p.cores * corePowerW(p, p.maxGHz);
    this.observationSpace = box([0, 0, 0, 0], [1.5, 1.5, 1.5, 1.5]);
    this.actionSpace = discrete(this.actionLevels);
    this.rng = new Rng(opts.seed ?? 0).fork("cpufreq-env");
    this.prevGHz = p.baseGHz;
  }

  /** The current frequency (GHz). */
  get frequencyGHz(): number {
    return this.server.frequencyGHz;
  }

  private observe(s: ServerSample): Float32Array {
    const p = this.processor;
    const o = new Float32Array(CPUFREQ_OBS_DIM);
    o[0] = Math.min(1.5, s.measuredIps / this.peakIps);
    o[1] = Math.min(1.5, s.measuredUtilisation);
    o[2] = Math.min(1.5, Math.max(0, (s.measuredFrequencyGHz - p.minGHz) / (p.maxGHz - p.minGHz)));
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
    const dyn = (s.powerW - this.processor.staticPowerW) / this.peakDynamicW;
    const reward = cpufreqReward(this.alpha, this.powerWeight, {
      rose: s.frequencyGHz > this.prevGHz + 1e-9,
      ips: s.measuredIps,
      prevIps: this.prevIps,
      sp: s.sloPreservation,
      dynamicPowerShare: dyn,
    });
    this.prevIps = s.measuredIps;
    this.prevGHz = s.frequencyGHz;
    this.steps++;
    const info = {
      episodeSteps: this.maxEpisodeSteps,
      ips: s.ips,
      utilisation: s.utilisation,
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
