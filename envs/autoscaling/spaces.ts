/**
 * The autoscaling environment's action and observation scaling, shared by the
 * environment and the baselines (which must speak the same action space).
 *
 * Action: Box([-1, -1, -1], [1, 1, 1]), three numbers for the Deployment's next allocation:
 *   a[0] -> CPU limit per pod, log scale: cpuMin * (cpuMax / cpuMin) ^ ((a + 1) / 2) cores
 *   a[1] -> memory limit per pod, log scale over [memMinMB, memMaxMB]
 *   a[2] -> replicas, linear: round(1 + (a + 1) / 2 * (maxReplicas - 1))
 * Log scales because useful limits span 40x (CPU) and 128x (memory): a linear map would
 * give small pods a sliver of the action range. Values within 1e-6 of the bounds are
 * clipped (float32 rounding); anything further outside is an error.
 *
 * Observation: Box(9) with bounds [0,0,0,0,0,0,0,-1,0] .. [1,1,1,1,1,1,1,1,1], over the last interval:
 *   0 CPU limit / cpuMax        1 memory limit / memMaxMB    2 replicas / maxReplicas
 *   3 CPU utilisation: CPU used / held over the pods that hold node capacity, mean over ticks
 *   4 peak memory utilisation: the fullest pod's memory use / its limit, max over pods and
 *     ticks; 1 in an interval with an OOM kill
 *   5 SLO preservation, latency: min(1, SLO / p99) (1 with no arrivals); p99 = the ticks'
 *     p99 latencies weighted by their arrivals
 *   6 SLO preservation, throughput: min(1, served / arrived) (1 with no arrivals)
 *   7 observed load change: (r_t - r_{t-1}) / max(r_t, r_{t-1}) over the last two intervals
 *     (0 when both are 0), clipped to [-1, 1]
 *   8 OOM back-off: pods in CrashLoopBackOff / replicas, mean over the interval's ticks (a
 *     pod counts from the tick it was OOM-killed); > 0 in every interval with a kill
 * Why 4 and 8 are what they are: FIRM's state (FLASH Table 7) has memory utilisation but
 * not how it is aggregated. A real cluster does not hide kills from an autoscaler: the
 * cgroup's peak usage of a container killed for memory is its limit (cAdvisor's
 * container_memory_max_usage_bytes; the kubelet's OOM event; VPA's recommender turns an
 * OOM event into a memory sample above the limit), and the restart and its back-off are
 * in the pod status (kube-state-metrics' kube_pod_container_status_restarts_total and
 * kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}). A mean over pods
 * would not show them: a killed pod's usage averaged with the others' (and back-off pods'
 * idle memory) read 0.47-0.87 in intervals with 11-44 kills (issue 20). So 4 is the peak
 * per pod, the figure memory is provisioned for, and 8 says how much of the Deployment the
 * kills take down, which 4 cannot (it is 1 for one kill as for forty) and which stays
 * visible while pods wait out a back-off of up to 300 s with no new kill.
 */
import { ShapeError, ValueError } from "../../flash/errors.js";

export interface ActionScale {
  cpuMin: number;
  cpuMax: number;
  memMinMB: number;
  memMaxMB: number;
  maxReplicas: number;
}

export interface Allocation {
  cpuLimit: number;
  memoryLimitMB: number;
  replicas: number;
}

export const OBS_DIM = 9;
export const ACTION_DIM = 3;
export const ACTION_NAMES = ["CPU limit", "memory limit", "replicas"] as const;

function unit(a: number): number {
  return (a + 1) / 2;
}

/** Checks an action against the space (see the module comment) and returns it clipped. */
export function checkAction(envId: string, action: ArrayLike<number>): [number, number, number] {
  if (action === null || typeof action !== "object" || typeof action.length !== "number")
    throw new ShapeError(`${envId} action`, `an array of ${ACTION_DIM} numbers`, String(action));
  if (action.length !== ACTION_DIM) throw new ShapeError(`${envId} action`, `length ${ACTION_DIM} (${ACTION_NAMES.join(", ")})`, `length ${action.length}`);
  const out: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < ACTION_DIM; i++) {
    const v = action[i];
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new ValueError(`${envId} action[${i}] (${ACTION_NAMES[i]}): expected a finite number in [-1, 1], got ${v}`);
    if (v < -1 - 1e-6 || v > 1 + 1e-6) throw new ValueError(`${envId} action[${i}] (${ACTION_NAMES[i]}): expected a number in [-1, 1], got ${v}`);
    out[i] = v < -1 ? -1 : v > 1 ? 1 : v;
  }
  return out;
}

export function decodeAction(a: ArrayLike<number>, s: ActionScale): Allocation {
  return {
    cpuLimit: s.cpuMin * Math.pow(s.cpuMax / s.cpuMin, unit(a[0])),
    memoryLimitMB: s.memMinMB * Math.pow(s.memMaxMB / s.memMinMB, unit(a[1])),
    replicas: Math.round(1 + unit(a[2]) * (s.maxReplicas - 1)),
  };
}

/** The action that asks for `alloc` (clamped to the ranges); inverse of `decodeAction`. */
export function encodeAction(alloc: Allocation, s: ActionScale): Float32Array {
  const clamp = (x: number) => (x < -1 ? -1 : x > 1 ? 1 : x);
  const cpu = Math.min(s.cpuMax, Math.max(s.cpuMin, alloc.cpuLimit));
  const mem = Math.min(s.memMaxMB, Math.max(s.memMinMB, alloc.memoryLimitMB));
  return Float32Array.from([
    clamp(2 * (Math.log(cpu / s.cpuMin) / Math.log(s.cpuMax / s.cpuMin)) - 1),
    clamp(2 * (Math.log(mem / s.memMinMB) / Math.log(s.memMaxMB / s.memMinMB)) - 1),
    s.maxReplicas > 1 ? clamp(2 * ((alloc.replicas - 1) / (s.maxReplicas - 1)) - 1) : 0,
  ]);
}

export interface DecodedObservation extends Allocation {
  cpuUtil: number;
  /** Peak memory utilisation (observation 4): 1 in an interval with an OOM kill. */
  memUtil: number;
  spLatency: number;
  spThroughput: number;
  loadChange: number;
  /** Pods in CrashLoopBackOff / replicas (observation 8). */
  oomBackoff: number;
}

export function decodeObservation(obs: ArrayLike<number>, s: ActionScale): DecodedObservation {
  if (obs.length !== OBS_DIM) throw new ShapeError("autoscaling observation", `length ${OBS_DIM}`, `length ${obs.length}`);
  return {
    cpuLimit: obs[0] * s.cpuMax,
    memoryLimitMB: obs[1] * s.memMaxMB,
    replicas: Math.round(obs[2] * s.maxReplicas),
    cpuUtil: obs[3],
    memUtil: obs[4],
    spLatency: obs[5],
    spThroughput: obs[6],
    loadChange: obs[7],
    oomBackoff: obs[8],
  };
}
