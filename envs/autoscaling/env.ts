/**
 * K8sAutoscaling-v0: FIRM's autoscaling MDP (FLASH paper Table 7) on the simulated
 * Kubernetes cluster of sim/k8s, one (application, trace) pair per environment.
 *
 * ## Description
 * One Deployment of `app` runs on a 5-node cluster (4 cores, 16 GB each) while the
 * load follows `trace`. Every `intervalSeconds` (default 30 s) the agent sets the
 * per-pod CPU limit, per-pod memory limit and replica count. Too little CPU or too few
 * replicas queue requests and break the latency SLO; a memory limit below the working
 * set OOM-kills pods into CrashLoopBackOff; too much of anything wastes the allocation
 * (low utilisation); pods that no node can fit stay Pending.
 *
 * ## Action space
 * `Box(-1, 1, (3,))`: CPU limit (log scale over [0.1, 3.9] cores), memory limit (log scale
 * over [64, 8192] MB), replicas (linear over 1..32); see spaces.ts. Values within 1e-6
 * of the bounds are clipped; further outside, a wrong length or a NaN throws.
 *
 * ## Observation space
 * `Box(9)`: limits (CPU, memory, replicas; normalised), utilisation (CPU: mean; memory:
 * the fullest pod's peak, 1 in an interval with an OOM kill), SLO preservation (latency,
 * throughput), observed load change (0 in the reset observation), and the fraction of
 * replicas in OOM back-off (CrashLoopBackOff); see spaces.ts, which also says why memory
 * and OOM are observed this way (what a real cluster shows an autoscaler). Measured over
 * the last interval; the interval's p99 is the arrival-weighted mean of its ticks' p99s.
 *
 * ## Reward
 * FIRM's `r = alpha * SP * |R| + (1 - alpha) * sum_{i in R} RU_i` with R = {CPU, memory}
 * (|R| = 2), SP = min(1, SLO / p99 latency) (observation 5; 1 with no requests) and RU_i =
 * used / held of resource i summed over the pods that hold node capacity (CPU: mean over
 * the interval, observation 3; memory: peak over the interval's ticks, since memory must
 * be provisioned for peaks and an OOM kill shows as a pod at its limit). RU_mem is the
 * Deployment's efficiency, not observation 4 (the fullest pod): rewarding the fullest pod
 * would pay 1 for every interval with a kill. Range [0, 2]. alpha defaults to 0.5:
 * FIRM treats it as a tunable weight and FLASH does not state its value.
 *
 * ## Load
 * The trace is normalised by its own mean and scaled so that at `load = 1` the mean
 * demand equals `loadFraction` (default 0.2) of the cluster's allocatable cores in
 * one-core replicas: rate = trace / mean(trace) * app.load * loadFraction * cores / S(1),
 * S(1) = the request's service time at one core. Each episode reads a window of the
 * trace starting at a seeded random offset. Traces finer than `traceSmoothingSeconds`
 * (60 s) are first averaged to it: their per-second counts are mostly Poisson noise of
 * the original (small) scale, and the cluster draws its own at the rescaled rate.
 *
 * ## Starting state
 * CPU 1 core, memory max(256 MB, 2 x peak working set), replicas enough for 50%
 * busy at the trace's mean load; pods start Ready; one interval runs before the first
 * observation.
 *
 * ## Episode end
 * Never terminates; truncated after `maxEpisodeSteps` (default 100) steps, i.e. 50
 * simulated minutes at the default interval. A trace shorter than that is refused.
 *
 * ## Arguments
 * `app` (Application), `trace` (Trace), `seed` (0), `intervalSeconds` (30), `tickSeconds` (1),
 * `maxEpisodeSteps` (100), `alpha` (0.5), `loadFraction` (0.2), `maxReplicas` (32),
 * `cpuRange` ([0.1, 3.9]), `memoryRangeMB` ([64, 8192]), `cluster` (ClusterOptions),
 * `traceSmoothingSeconds` (60).
 */
import { ValueError } from "../../flash/errors.js";
import { Rng } from "../../flash/rng.js";
import type { Application } from "../../sim/k8s/app.js";
import { validateApplication } from "../../sim/k8s/app.js";
import { Cluster, NSTAT, STAT, type ClusterOptions } from "../../sim/k8s/cluster.js";
import { compileApplication, serviceSeconds, type AppProfile } from "../../sim/k8s/profile.js";
import { TraceError } from "../../traces/errors.js";
import { durationSeconds, mean, resample, validateTrace, type Trace } from "../../traces/trace.js";
import { box, type BoxSpace, type PairEnv, type StepResult } from "../env.js";
import { checkAction, decodeAction, OBS_DIM, type ActionScale, type Allocation } from "./spaces.js";
import { StateError } from "../../errors.js";

export interface AutoscalingOptions {
  app: Application;
  trace: Trace;
  seed?: number;
  intervalSeconds?: number;
  tickSeconds?: number;
  maxEpisodeSteps?: number;
  alpha?: number;
  loadFraction?: number;
  maxReplicas?: number;
  cpuRange?: [number, number];
  memoryRangeMB?: [number, number];
  cluster?: Omit<ClusterOptions, "seed" | "tickSeconds">;
  /** Traces with a finer step are averaged to this step before rescaling. Default 60 s. */
  traceSmoothingSeconds?: number;
}

/** What one interval measured (also returned in `info`). */
export interface IntervalMetrics {
  arrivalRate: number;
  throughput: number;
  droppedRate: number;
  p99Seconds: number;
  /** CPU used / held over the held pods, mean over the interval's ticks. */
  cpuUtil: number;
  /**
   * Memory used / held over the held pods, peak over the interval's ticks: memory is
   * provisioned for peaks (as VPA does). The reward's RU_mem.
   */
  memUtil: number;
  /** The fullest pod's memory use / its limit, peak over pods and ticks: 1 in an interval with an OOM kill. */
  memPeakUtil: number;
  /** Pods in CrashLoopBackOff / replicas, mean over the interval's ticks. */
  backoffFraction: number;
  ready: number;
  pending: number;
  oomKills: number;
}

const ID = "K8sAutoscaling-v0";

function positive(what: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new ValueError(`${ID}: ${what}: expected a finite number > 0, got ${v}`);
  return v;
}

export class AutoscalingEnv implements PairEnv {
  readonly id = ID;
  readonly pair: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  readonly maxEpisodeSteps: number;
  readonly scale: ActionScale;
  readonly alpha: number;
  readonly intervalSeconds: number;
  readonly app: Application;
  readonly profile: AppProfile;
  /** Requests per second at trace value = trace mean. */
  readonly meanRate: number;

  private readonly trace: Trace;
  private readonly traceMean: number;
  private readonly tickSeconds: number;
  private readonly ticksPerStep: number;
  private readonly loadFraction: number;
  private readonly clusterOpts: Omit<ClusterOptions, "seed" | "tickSeconds">;
  private rng: Rng;
  private cluster: Cluster | undefined;
  private dep = 0;
  private window = new Float64Array(0);
  private cursor = 0;
  private elapsed = 0;
  private running = false;
  private lastRate = 0;
  private episode = 0;

  constructor(opts: AutoscalingOptions) {
    this.app = validateApplication(opts.app, `<app ${(opts.app as { name?: unknown })?.name ?? "?"}>`);
    const given = validateTrace(opts.trace);
    // Per-second counts of a small trace (NASA: 0.68 req/s) are mostly Poisson noise at
    // the original scale; rescaling them would multiply that noise into bursts the real
    // service never saw. Average to minutes and let the cluster add Poisson noise at the
    // rescaled rate instead.
    const smooth = positive("traceSmoothingSeconds", opts.traceSmoothingSeconds ?? 60);
    this.trace = given.stepSeconds < smooth ? resample(given, smooth) : given;
    this.profile = compileApplication(this.app);
    this.pair = `${this.app.name}@${this.trace.name}`;
    this.intervalSeconds = positive("intervalSeconds", opts.intervalSeconds ?? 30);
    this.tickSeconds = positive("tickSeconds", opts.tickSeconds ?? 1);
    this.ticksPerStep = Math.round(this.intervalSeconds / this.tickSeconds);
    if (Math.abs(this.ticksPerStep * this.tickSeconds - this.intervalSeconds) > 1e-9 || this.ticksPerStep < 1) {
      throw new ValueError(`${ID}: intervalSeconds: expected a whole multiple of tickSeconds (${this.tickSeconds}), got ${this.intervalSeconds}`);
    }
    this.maxEpisodeSteps = opts.maxEpisodeSteps ?? 100;
    if (!Number.isInteger(this.maxEpisodeSteps) || this.maxEpisodeSteps < 1)
      throw new ValueError(`${ID}: maxEpisodeSteps: expected a positive integer, got ${this.maxEpisodeSteps}`);
    this.alpha = opts.alpha ?? 0.5;
    if (!(this.alpha >= 0 && this.alpha <= 1)) throw new ValueError(`${ID}: alpha: expected a number in [0, 1], got ${this.alpha}`);
    this.loadFraction = positive("loadFraction", opts.loadFraction ?? 0.2);
    const [cpuMin, cpuMax] = opts.cpuRange ?? [0.1, 3.9];
    const [memMin, memMax] = opts.memoryRangeMB ?? [64, 8192];
    const maxReplicas = opts.maxReplicas ?? 32;
    if (!(positive("cpuRange[0]", cpuMin) < positive("cpuRange[1]", cpuMax)))
      throw new ValueError(`${ID}: cpuRange: expected min < max, got [${cpuMin}, ${cpuMax}]`);
    if (!(positive("memoryRangeMB[0]", memMin) < positive("memoryRangeMB[1]", memMax)))
      throw new ValueError(`${ID}: memoryRangeMB: expected min < max, got [${memMin}, ${memMax}]`);
    if (!Number.isInteger(maxReplicas) || maxReplicas < 1) throw new ValueError(`${ID}: maxReplicas: expected a positive integer, got ${maxReplicas}`);
    this.scale = { cpuMin, cpuMax, memMinMB: memMin, memMaxMB: memMax, maxReplicas };
    this.clusterOpts = opts.cluster ?? {};

    const need = (this.maxEpisodeSteps + 1) * this.intervalSeconds;
    if (durationSeconds(this.trace) < need) {
      throw new TraceError(
        `<trace ${this.trace.name}>`,
        "duration",
        `at least ${need} s (${this.maxEpisodeSteps} steps + 1 warm-up, ${this.intervalSeconds} s each); use tile() to repeat a short trace`,
        `${durationSeconds(this.trace)} s`,
      );
    }
    this.traceMean = mean(this.trace.rates);
    if (!(this.traceMean > 0)) throw new TraceError(`<trace ${this.trace.name}>`, "rates", "some load (mean > 0)", "all zeros");
    const cores = new Cluster({ ...this.clusterOpts, maxDeployments: 1, maxPodsPerDeployment: maxReplicas }).capacity().cpuCores;
    this.meanRate = (this.app.load * this.loadFraction * cores) / serviceSeconds(this.profile, 1);

    this.observationSpace = box([0, 0, 0, 0, 0, 0, 0, -1, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1]);
    this.actionSpace = box([-1, -1, -1], [1, 1, 1]);
    this.rng = new Rng(opts.seed ?? 0).fork(`k8s-env/${this.pair}`);
  }

  /** The allocation an episode starts from (see the class comment). */
  initialAllocation(): Allocation {
    const s = this.scale;
    const mem = Math.min(s.memMaxMB, Math.max(256, 2 * this.profile.peakMemoryMB));
    const replicas = Math.ceil((this.meanRate * serviceSeconds(this.profile, 1)) / 0.5);
    return { cpuLimit: Math.min(s.cpuMax, Math.max(s.cpuMin, 1)), memoryLimitMB: mem, replicas: Math.min(s.maxReplicas, Math.max(1, replicas)) };
  }

  reset(seed?: number): Float32Array {
    if (seed !== undefined) {
      this.rng = new Rng(seed).fork(`k8s-env/${this.pair}`);
      this.episode = 0;
    }
    const epRng = this.rng.fork(`episode-${this.episode++}`);
    // Window of the trace: warm-up interval + the episode, at tick resolution.
    const need = (this.maxEpisodeSteps + 1) * this.intervalSeconds;
    const step = this.trace.stepSeconds;
    const slack = durationSeconds(this.trace) - need;
    const startStep = Math.floor(epRng.uniform(0, slack / step + 1e-9));
    const nSteps = Math.min(this.trace.rates.length - startStep, Math.ceil(need / step) + 1);
    const sub: Trace = { name: this.trace.name, stepSeconds: step, rates: this.trace.rates.subarray(startStep, startStep + nSteps) };
    const fine = resample(sub, this.tickSeconds).rates;
    const factor = this.meanRate / this.traceMean;
    this.window = fine.map((r) => r * factor);
    this.cursor = 0;

    this.cluster = new Cluster({
      ...this.clusterOpts,
      seed: `${epRng.next()}`,
      tickSeconds: this.tickSeconds,
      maxDeployments: 1,
      maxPodsPerDeployment: this.scale.maxReplicas,
    });
    const init = this.initialAllocation();
    this.dep = this.cluster.addDeployment(
      this.profile,
      { replicas: init.replicas, cpuLimit: init.cpuLimit, memoryLimitMB: init.memoryLimitMB },
      { startReady: true },
    );
    this.lastRate = 0;
    const m = this.runInterval();
    this.lastRate = m.arrivalRate;
    this.elapsed = 0;
    this.running = true;
    return this.observe(m, 0);
  }

  step(action: Float32Array | number[]): StepResult {
    if (!this.running || !this.cluster) {
      throw new StateError(
        this.cluster ? `${ID}: step() called after the episode ended (${this.elapsed} steps); call reset()` : `${ID}: step() called before reset()`,
      );
    }
    const a = checkAction(ID, action);
    const alloc = decodeAction(a, this.scale);
    this.cluster.update(this.dep, { replicas: alloc.replicas, cpuLimit: alloc.cpuLimit, memoryLimitMB: alloc.memoryLimitMB });
    const m = this.runInterval();
    const change = Math.max(m.arrivalRate, this.lastRate) > 0 ? (m.arrivalRate - this.lastRate) / Math.max(m.arrivalRate, this.lastRate) : 0;
    this.lastRate = m.arrivalRate;
    const obs = this.observe(m, change);
    const sp = obs[5];
    const reward = this.alpha * sp * 2 + (1 - this.alpha) * (m.cpuUtil + m.memUtil);
    this.elapsed++;
    const truncated = this.elapsed >= this.maxEpisodeSteps;
    if (truncated) this.running = false;
    return {
      observation: obs,
      reward,
      terminated: false,
      truncated,
      info: {
        p99Ms: m.p99Seconds * 1000,
        sloMs: this.app.sloMs,
        arrivalRate: m.arrivalRate,
        throughput: m.throughput,
        droppedRate: m.droppedRate,
        ready: m.ready,
        pending: m.pending,
        oomKills: m.oomKills,
        cpuLimit: alloc.cpuLimit,
        memoryLimitMB: alloc.memoryLimitMB,
        replicas: alloc.replicas,
        sp,
        ruCpu: m.cpuUtil,
        ruMem: m.memUtil,
        memPeakUtil: m.memPeakUtil,
        backoffFraction: m.backoffFraction,
      },
    };
  }

  private runInterval(): IntervalMetrics {
    const c = this.cluster!;
    const o = this.dep * NSTAT;
    const st = c.stats;
    let arrived = 0;
    let served = 0;
    let dropped = 0;
    let p99w = 0;
    let p99max = 0;
    let cpu = 0;
    let mem = 0;
    let memPeak = 0;
    let backoff = 0;
    let ready = 0;
    let pending = 0;
    let ooms = 0;
    for (let k = 0; k < this.ticksPerStep; k++) {
      const r = this.window[this.cursor < this.window.length ? this.cursor : this.window.length - 1];
      this.cursor++;
      c.setRate(this.dep, r);
      c.tick();
      const a = st[o + STAT.arrived];
      arrived += a;
      served += st[o + STAT.served];
      dropped += st[o + STAT.dropped];
      p99w += a * st[o + STAT.p99Seconds];
      if (st[o + STAT.p99Seconds] > p99max) p99max = st[o + STAT.p99Seconds];
      cpu += st[o + STAT.cpuUtil];
      if (st[o + STAT.memUtil] > mem) mem = st[o + STAT.memUtil];
      if (st[o + STAT.memPeakUtil] > memPeak) memPeak = st[o + STAT.memPeakUtil];
      backoff += st[o + STAT.backoff];
      ready += st[o + STAT.ready];
      pending += st[o + STAT.pending];
      ooms += st[o + STAT.oomKills];
    }
    const n = this.ticksPerStep;
    const T = this.intervalSeconds;
    // Replicas change only between intervals (step() updates before running one).
    const replicas = c.spec(this.dep).replicas;
    return {
      arrivalRate: arrived / T,
      throughput: served / T,
      droppedRate: dropped / T,
      // Arrival-weighted: the latency the interval's requests saw.
      p99Seconds: arrived > 0 ? p99w / arrived : p99max,
      cpuUtil: cpu / n,
      memUtil: mem,
      memPeakUtil: memPeak,
      backoffFraction: replicas > 0 ? backoff / n / replicas : 0,
      ready: ready / n,
      pending: pending / n,
      oomKills: ooms,
    };
  }

  private observe(m: IntervalMetrics, change: number): Float32Array {
    const spec = this.cluster!.spec(this.dep);
    const s = this.scale;
    const obs = new Float32Array(OBS_DIM);
    obs[0] = spec.cpuLimit / s.cpuMax;
    obs[1] = spec.memoryLimitMB / s.memMaxMB;
    obs[2] = spec.replicas / s.maxReplicas;
    obs[3] = m.cpuUtil;
    obs[4] = m.memPeakUtil;
    obs[5] = m.arrivalRate > 0 && m.p99Seconds > 0 ? Math.min(1, this.profile.sloSeconds / m.p99Seconds) : 1;
    obs[6] = m.arrivalRate > 0 ? Math.min(1, m.throughput / m.arrivalRate) : 1;
    obs[7] = Math.max(-1, Math.min(1, change));
    obs[8] = Math.min(1, m.backoffFraction);
    return obs;
  }
}
