/**
 * A Vertical Pod Autoscaler-style recommender (after the Kubernetes VPA recommender,
 * github.com/kubernetes/autoscaler/tree/master/vertical-pod-autoscaler, its defaults):
 *
 *   CPU target    = p90 of observed per-pod CPU usage samples        x (1 + 0.15 margin)
 *   memory target = p90 of observed per-pod memory usage peaks       x (1 + 0.15 margin)
 *   samples are weighted by exp-decay with a 24 h half-life
 *   an OOM kill adds a memory sample of max(limit x 1.2, limit + 100 MB)
 *   floors: 0.025 cores and 250 MB (the recommender's pod minimums)
 *
 * Usage comes from the observation: utilisation x limit. CPU usage is capped by the limit
 * (a throttled pod cannot show more), which is why VPA grows a saturated pod only by its
 * margin per step; we keep that. A memory utilisation at the limit (>= 0.99) is read as
 * an OOM kill (the environment reports a killed pod at its limit). The updater applies a
 * recommendation when it differs from the current limit by more than 10% (ours is in
 * place; VPA's default evicts). Replicas stay fixed: VPA does not scale horizontally.
 */
import type { ActionScale } from "../../envs/autoscaling/spaces.js";
import { decodeObservation, encodeAction } from "../../envs/autoscaling/spaces.js";

export interface VpaOptions {
  targetPercentile?: number;
  safetyMargin?: number;
  halfLifeSeconds?: number;
  minCpu?: number;
  minMemoryMB?: number;
  oomBumpRatio?: number;
  oomMinBumpMB?: number;
  /** Relative change below which the current limits are kept. Default 0.1. */
  updateThreshold?: number;
  /** Samples kept (oldest dropped). Default 2880 (24 h at 30 s). */
  maxSamples?: number;
}

/** Weighted percentile of (value, weight) pairs. */
export function weightedPercentile(values: readonly number[], weights: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const idx = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  let total = 0;
  for (const w of weights) total += w;
  let acc = 0;
  for (const i of idx) {
    acc += weights[i];
    if (acc >= q * total * (1 - 1e-9)) return values[i];
  }
  return values[idx[idx.length - 1]];
}

export class VerticalPodAutoscaler {
  private readonly o: Required<VpaOptions>;
  private cpu: { t: number; v: number }[] = [];
  private mem: { t: number; v: number }[] = [];

  constructor(opts: VpaOptions = {}) {
    this.o = {
      targetPercentile: 0.9,
      safetyMargin: 0.15,
      halfLifeSeconds: 86400,
      minCpu: 0.025,
      minMemoryMB: 250,
      oomBumpRatio: 1.2,
      oomMinBumpMB: 100,
      updateThreshold: 0.1,
      maxSamples: 2880,
      ...opts,
    };
    if (!(this.o.targetPercentile > 0 && this.o.targetPercentile <= 1))
      throw new RangeError(`VPA: targetPercentile: expected (0, 1], got ${this.o.targetPercentile}`);
    if (!(this.o.safetyMargin >= 0)) throw new RangeError(`VPA: safetyMargin: expected >= 0, got ${this.o.safetyMargin}`);
    if (!(this.o.halfLifeSeconds > 0)) throw new RangeError(`VPA: halfLifeSeconds: expected > 0, got ${this.o.halfLifeSeconds}`);
  }

  get options(): Readonly<Required<VpaOptions>> {
    return this.o;
  }

  reset(): void {
    this.cpu = [];
    this.mem = [];
  }

  /** Records one interval's per-pod usage (cores, MB); `oomLimitMB` when a pod was OOM-killed at that limit. */
  observe(t: number, cpuCores: number, memoryMB: number, oomLimitMB?: number): void {
    this.cpu.push({ t, v: cpuCores });
    this.mem.push({ t, v: oomLimitMB !== undefined ? Math.max(oomLimitMB * this.o.oomBumpRatio, oomLimitMB + this.o.oomMinBumpMB) : memoryMB });
    if (this.cpu.length > this.o.maxSamples) this.cpu.shift();
    if (this.mem.length > this.o.maxSamples) this.mem.shift();
  }

  /** Target limits at time `now`, or undefined before any sample. */
  recommend(now: number): { cpuLimit: number; memoryLimitMB: number } | undefined {
    if (this.cpu.length === 0) return undefined;
    const w = (t: number) => Math.pow(2, (t - now) / this.o.halfLifeSeconds);
    const pc = weightedPercentile(
      this.cpu.map((s) => s.v),
      this.cpu.map((s) => w(s.t)),
      this.o.targetPercentile,
    );
    const pm = weightedPercentile(
      this.mem.map((s) => s.v),
      this.mem.map((s) => w(s.t)),
      this.o.targetPercentile,
    );
    return {
      cpuLimit: Math.max(this.o.minCpu, pc * (1 + this.o.safetyMargin)),
      memoryLimitMB: Math.max(this.o.minMemoryMB, pm * (1 + this.o.safetyMargin)),
    };
  }
}

/** The VPA as an agent on K8sAutoscaling-v0. */
export class VpaAgent {
  private readonly vpa: VerticalPodAutoscaler;
  private now = 0;
  private replicas: number | undefined;

  /** @param replicas fixed replica count; default: whatever the first observation shows */
  constructor(
    private readonly scale: ActionScale,
    private readonly intervalSeconds: number,
    opts: VpaOptions = {},
    private readonly fixedReplicas?: number,
  ) {
    this.vpa = new VerticalPodAutoscaler(opts);
  }

  reset(): void {
    this.vpa.reset();
    this.now = 0;
    this.replicas = undefined;
  }

  act(observation: ArrayLike<number>): Float32Array {
    const o = decodeObservation(observation, this.scale);
    this.replicas ??= this.fixedReplicas ?? Math.max(1, o.replicas);
    this.now += this.intervalSeconds;
    const oom = o.memUtil >= 0.99 ? o.memoryLimitMB : undefined;
    this.vpa.observe(this.now, o.cpuUtil * o.cpuLimit, o.memUtil * o.memoryLimitMB, oom);
    const rec = this.vpa.recommend(this.now)!;
    const th = this.vpa.options.updateThreshold;
    const cpu = Math.abs(rec.cpuLimit / o.cpuLimit - 1) > th ? rec.cpuLimit : o.cpuLimit;
    const mem = Math.abs(rec.memoryLimitMB / o.memoryLimitMB - 1) > th ? rec.memoryLimitMB : o.memoryLimitMB;
    return encodeAction({ cpuLimit: cpu, memoryLimitMB: mem, replicas: this.replicas }, this.scale);
  }
}
