/**
 * The Kubernetes Horizontal Pod Autoscaler (autoscaling/v2), as documented at
 * kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/:
 *
 *   desired = ceil(current * currentUtilisation / targetUtilisation)
 *   no change while |currentUtilisation / target - 1| <= tolerance (default 0.1)
 *   scale-down stabilisation: the highest recommendation of the last 300 s is used,
 *     so a brief dip does not remove pods (scale-up has no window by default)
 *   default scaling policies: up by at most max(100%, 4 pods) per 15 s; down by up to 100%
 *   clamped to [minReplicas, maxReplicas]
 *
 * Utilisation is relative to the pods' CPU requests; in our environment requests equal
 * limits, so it is the observation's CPU utilisation. Not modelled: the controller's
 * handling of not-yet-ready pods and missing metrics (our observation has neither), and
 * multiple metrics. The HPA keeps CPU and memory limits fixed.
 */
import type { ActionScale } from "../../envs/autoscaling/spaces.js";
import { decodeObservation, encodeAction } from "../../envs/autoscaling/spaces.js";

export interface HpaOptions {
  /** Target average CPU utilisation. Default 0.5 (the Kubernetes HPA walkthrough's 50%). */
  targetUtilization?: number;
  tolerance?: number;
  stabilizationWindowSeconds?: number;
  minReplicas?: number;
  maxReplicas?: number;
  /** Apply the default scale-up policy (max of +100% and +4 pods per 15 s). Default true. */
  scaleUpPolicy?: boolean;
}

/** The bare formula with the tolerance band, no history. */
export function hpaDesiredReplicas(current: number, utilization: number, target: number, tolerance = 0.1): number {
  if (!(target > 0)) throw new RangeError(`HPA: targetUtilization: expected a number > 0, got ${target}`);
  if (!Number.isInteger(current) || current < 0) throw new RangeError(`HPA: current replicas: expected an integer >= 0, got ${current}`);
  if (!Number.isFinite(utilization) || utilization < 0) throw new RangeError(`HPA: utilisation: expected a finite number >= 0, got ${utilization}`);
  const ratio = utilization / target;
  if (Math.abs(ratio - 1) <= tolerance) return current;
  return Math.ceil(current * ratio - 1e-9);
}

export class HorizontalPodAutoscaler {
  readonly target: number;
  readonly tolerance: number;
  readonly window: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  private readonly upPolicy: boolean;
  private history: { t: number; replicas: number }[] = [];

  constructor(opts: HpaOptions = {}) {
    this.target = opts.targetUtilization ?? 0.5;
    this.tolerance = opts.tolerance ?? 0.1;
    this.window = opts.stabilizationWindowSeconds ?? 300;
    this.minReplicas = opts.minReplicas ?? 1;
    this.maxReplicas = opts.maxReplicas ?? 10;
    this.upPolicy = opts.scaleUpPolicy ?? true;
    if (!(this.target > 0 && this.target <= 1)) throw new RangeError(`HPA: targetUtilization: expected a number in (0, 1], got ${this.target}`);
    if (!(this.tolerance >= 0)) throw new RangeError(`HPA: tolerance: expected a number >= 0, got ${this.tolerance}`);
    if (!(this.window >= 0)) throw new RangeError(`HPA: stabilizationWindowSeconds: expected a number >= 0, got ${this.window}`);
    if (!(Number.isInteger(this.minReplicas) && this.minReplicas >= 1 && this.maxReplicas >= this.minReplicas)) {
      throw new RangeError(`HPA: replicas bounds: expected integers 1 <= min <= max, got [${this.minReplicas}, ${this.maxReplicas}]`);
    }
  }

  reset(): void {
    this.history = [];
  }

  /** The replica count the controller sets at time `now` (seconds) given the current state. */
  recommend(current: number, utilization: number, now: number): number {
    const raw = hpaDesiredReplicas(current, utilization, this.target, this.tolerance);
    this.history.push({ t: now, replicas: raw });
    this.history = this.history.filter((h) => h.t > now - this.window - 1e-9);
    let result = current;
    if (raw > current) result = raw;
    else if (raw < current) {
      let highest = raw;
      for (const h of this.history) if (h.replicas > highest) highest = h.replicas;
      result = Math.min(current, highest);
    }
    if (this.upPolicy && result > current) result = Math.min(result, Math.max(2 * current, current + 4));
    return Math.min(this.maxReplicas, Math.max(this.minReplicas, result));
  }
}

/** The HPA as an agent on K8sAutoscaling-v0: observation in, action out. */
export class HpaAgent {
  private readonly hpa: HorizontalPodAutoscaler;
  private now = 0;
  private fixed: { cpuLimit: number; memoryLimitMB: number } | undefined;

  /**
   * @param scale the environment's `scale`
   * @param intervalSeconds the environment's `intervalSeconds` (the HPA's clock)
   * @param limits fixed CPU/memory limits; default: whatever the first observation shows
   */
  constructor(
    private readonly scale: ActionScale,
    private readonly intervalSeconds: number,
    opts: HpaOptions = {},
    private readonly limits?: { cpuLimit: number; memoryLimitMB: number },
  ) {
    this.hpa = new HorizontalPodAutoscaler({ maxReplicas: scale.maxReplicas, ...opts });
  }

  reset(): void {
    this.hpa.reset();
    this.now = 0;
    this.fixed = undefined;
  }

  act(observation: ArrayLike<number>): Float32Array {
    const o = decodeObservation(observation, this.scale);
    this.fixed ??= this.limits ?? { cpuLimit: o.cpuLimit, memoryLimitMB: o.memoryLimitMB };
    this.now += this.intervalSeconds;
    const replicas = this.hpa.recommend(Math.max(1, o.replicas), o.cpuUtil, this.now);
    return encodeAction({ ...this.fixed, replicas }, this.scale);
  }
}
