/**
 * A deterministic, seeded simulator of Kubernetes Deployments on a small cluster
 * (default: 5 nodes of 4 cores and 16 GB, FLASH paper Appendix A.3).
 *
 * Time advances in ticks of `tickSeconds`. Per tick and Deployment:
 *   1. pod lifecycle: Pending -> (scheduled) Starting -> Ready; an OOM-killed pod waits a
 *      CrashLoopBackOff delay (10 s doubling to 300 s, reset after 10 min ready, as the
 *      kubelet does) on its node, then starts again;
 *   2. scheduling: each Pending pod goes to the node with the most free capacity after
 *      placing it (kube-scheduler's LeastAllocated score over CPU and memory); pods no
 *      node can fit stay Pending;
 *   3. OOM: a Ready pod whose working set (peak, with seeded per-pod noise) exceeds its
 *      memory limit is killed;
 *   4. queueing: arrivals (Poisson, normal approximation, seeded) join a backlog served
 *      by the Ready pods at rate c * mu; requests that would wait longer than the request
 *      timeout are dropped; p99 latency = service + M/M/c p99 wait + fluid backlog drain
 *      (queue.ts), capped at the timeout;
 *   5. utilisation: CPU and memory used over what the scheduled pods hold (`cpuUtil`,
 *      `memUtil`), and the fullest pod's memory over its limit (`memPeakUtil`; 1 in a
 *      tick with an OOM kill, since a killed container's last usage sample is its limit).
 * Limits equal requests (Guaranteed QoS, as FIRM sets them), so a node never
 * overcommits and replicas do not contend for CPU. A resource change is applied in place
 * (FIRM writes cgroup limits directly; Kubernetes' in-place pod resize does the same);
 * a pod whose node cannot hold its new size is evicted and rescheduled, as VPA's
 * Recreate mode would. All state lives in typed arrays; `tick()` allocates nothing.
 */
import { Rng } from "../../flash/rng.js";
import type { Application } from "./app.js";
import { SimConfigError } from "./errors.js";
import { compileApplication, memoryPressureFactor, serviceSeconds, type AppProfile } from "./profile.js";
import { meanWait, waitQuantile } from "./queue.js";

export interface NodeSpec {
  cpuCores: number;
  memoryMB: number;
}

export interface ClusterOptions {
  /** Default: 5 nodes of 4 cores and 16384 MB. */
  nodes?: NodeSpec[];
  /** Per-node capacity kept for the kubelet and system DaemonSets. Default 0.1 core, 512 MB. */
  reservedCpuCores?: number;
  reservedMemoryMB?: number;
  /** Simulated seconds per tick. Default 1. */
  tickSeconds?: number;
  seed?: string | number;
  /** Container start until the readiness probe passes. Default 5 s. */
  podStartSeconds?: number;
  /** Requests that would wait longer are dropped; also the latency cap. Default 30 s. */
  requestTimeoutSeconds?: number;
  maxPodsPerDeployment?: number;
  maxDeployments?: number;
  /** Poisson noise on arrivals. Default true. */
  arrivalNoise?: boolean;
  /** Relative standard deviation of a pod's working set per tick. Default 0.03. */
  memoryNoise?: number;
}

export interface DeploymentSpec {
  replicas: number;
  /** CPU limit (= request) per pod, cores. */
  cpuLimit: number;
  /** Memory limit (= request) per pod, MB. */
  memoryLimitMB: number;
}

/** Offsets into `Cluster.stats` (one row of NSTAT per Deployment), all for the last tick. */
export const STAT = {
  arrived: 0,
  served: 1,
  dropped: 2,
  p99Seconds: 3,
  meanSeconds: 4,
  cpuUtil: 5,
  memUtil: 6,
  ready: 7,
  pending: 8,
  starting: 9,
  backoff: 10,
  oomKills: 11,
  backlog: 12,
  serviceSeconds: 13,
  memPeakUtil: 14,
} as const;
export const NSTAT = 15;

export type DeploymentMetrics = { -readonly [K in keyof typeof STAT]: number };

const EMPTY = 0;
const PENDING = 1;
const STARTING = 2;
const READY = 3;
const BACKOFF = 4;

const BACKOFF_INITIAL_S = 10;
const BACKOFF_MAX_S = 300;
const BACKOFF_RESET_S = 600;

function positiveFinite(field: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new SimConfigError(field, "a finite number > 0", v);
  return v;
}

export class Cluster {
  readonly tickSeconds: number;
  readonly nodeCount: number;
  readonly maxPods: number;
  readonly maxDeployments: number;
  /** Per-Deployment metrics of the last tick, NSTAT numbers per Deployment (see STAT). */
  readonly stats: Float64Array;
  /** Simulated seconds since the start. */
  now = 0;

  private readonly rng: Rng;
  private readonly podStart: number;
  private readonly timeout: number;
  private readonly arrivalNoise: boolean;
  private readonly memNoise: number;

  private readonly nodeAllocCpu: Float64Array;
  private readonly nodeAllocMem: Float64Array;
  private readonly nodeFreeCpu: Float64Array;
  private readonly nodeFreeMem: Float64Array;

  private readonly podState: Uint8Array;
  private readonly podNode: Int16Array;
  private readonly podTimer: Float64Array;
  private readonly podRestarts: Uint16Array;
  private readonly podReadyFor: Float64Array;

  private readonly profiles: AppProfile[] = [];
  private readonly depCpu: Float64Array;
  private readonly depMem: Float64Array;
  private readonly depReplicas: Int32Array;
  private readonly depRate: Float64Array;
  private readonly depBacklog: Float64Array;
  private readonly depService1: Float64Array;

  constructor(opts: ClusterOptions = {}) {
    const nodes = opts.nodes ?? Array.from({ length: 5 }, () => ({ cpuCores: 4, memoryMB: 16384 }));
    if (!Array.isArray(nodes) || nodes.length < 1) throw new SimConfigError("nodes", "at least one node", nodes);
    const resCpu = opts.reservedCpuCores ?? 0.1;
    const resMem = opts.reservedMemoryMB ?? 512;
    if (!(resCpu >= 0) || !(resMem >= 0)) throw new SimConfigError("reserved", "non-negative reservations", `${resCpu} cores, ${resMem} MB`);
    this.tickSeconds = positiveFinite("tickSeconds", opts.tickSeconds ?? 1);
    this.podStart = opts.podStartSeconds ?? 5;
    if (!(this.podStart >= 0)) throw new SimConfigError("podStartSeconds", "a number >= 0", opts.podStartSeconds);
    this.timeout = positiveFinite("requestTimeoutSeconds", opts.requestTimeoutSeconds ?? 30);
    this.maxPods = opts.maxPodsPerDeployment ?? 64;
    this.maxDeployments = opts.maxDeployments ?? 8;
    if (!Number.isInteger(this.maxPods) || this.maxPods < 1) throw new SimConfigError("maxPodsPerDeployment", "a positive integer", this.maxPods);
    if (!Number.isInteger(this.maxDeployments) || this.maxDeployments < 1)
      throw new SimConfigError("maxDeployments", "a positive integer", this.maxDeployments);
    this.arrivalNoise = opts.arrivalNoise ?? true;
    this.memNoise = opts.memoryNoise ?? 0.03;
    if (!(this.memNoise >= 0)) throw new SimConfigError("memoryNoise", "a number >= 0", opts.memoryNoise);
    this.rng = new Rng(opts.seed ?? 0).fork("k8s-cluster");

    this.nodeCount = nodes.length;
    this.nodeAllocCpu = new Float64Array(nodes.length);
    this.nodeAllocMem = new Float64Array(nodes.length);
    nodes.forEach((n, i) => {
      const cpu = positiveFinite(`nodes[${i}].cpuCores`, n.cpuCores) - resCpu;
      const mem = positiveFinite(`nodes[${i}].memoryMB`, n.memoryMB) - resMem;
      if (cpu <= 0 || mem <= 0) throw new SimConfigError(`nodes[${i}]`, "capacity above the reservation", `${n.cpuCores} cores, ${n.memoryMB} MB`);
      this.nodeAllocCpu[i] = cpu;
      this.nodeAllocMem[i] = mem;
    });
    this.nodeFreeCpu = Float64Array.from(this.nodeAllocCpu);
    this.nodeFreeMem = Float64Array.from(this.nodeAllocMem);

    const slots = this.maxPods * this.maxDeployments;
    this.podState = new Uint8Array(slots);
    this.podNode = new Int16Array(slots).fill(-1);
    this.podTimer = new Float64Array(slots);
    this.podRestarts = new Uint16Array(slots);
    this.podReadyFor = new Float64Array(slots);
    this.depCpu = new Float64Array(this.maxDeployments);
    this.depMem = new Float64Array(this.maxDeployments);
    this.depReplicas = new Int32Array(this.maxDeployments);
    this.depRate = new Float64Array(this.maxDeployments);
    this.depBacklog = new Float64Array(this.maxDeployments);
    this.depService1 = new Float64Array(this.maxDeployments);
    this.stats = new Float64Array(NSTAT * this.maxDeployments);
  }

  /** Allocatable capacity of the whole cluster (after reservations). */
  capacity(): { cpuCores: number; memoryMB: number } {
    let c = 0;
    let m = 0;
    for (let i = 0; i < this.nodeCount; i++) {
      c += this.nodeAllocCpu[i];
      m += this.nodeAllocMem[i];
    }
    return { cpuCores: c, memoryMB: m };
  }

  get deploymentCount(): number {
    return this.profiles.length;
  }

  profile(dep: number): AppProfile {
    this.checkDep(dep);
    return this.profiles[dep];
  }

  /**
   * Adds a Deployment; returns its index. With `startReady`, pods that fit start Ready
   * (a warmed-up cluster at the start of an episode) instead of Pending.
   */
  addDeployment(app: Application | AppProfile, spec: DeploymentSpec, opts: { startReady?: boolean } = {}): number {
    if (this.profiles.length >= this.maxDeployments)
      throw new SimConfigError("addDeployment", `at most ${this.maxDeployments} Deployments (maxDeployments)`, this.profiles.length + 1);
    const profile = "segments" in app ? compileApplication(app) : app;
    const dep = this.profiles.length;
    this.profiles.push(profile);
    this.checkSpec(spec);
    this.depCpu[dep] = spec.cpuLimit;
    this.depMem[dep] = spec.memoryLimitMB;
    this.depService1[dep] = serviceSeconds(profile, spec.cpuLimit);
    this.setReplicas(dep, spec.replicas);
    if (opts.startReady) {
      this.schedulePending(dep);
      const base = dep * this.maxPods;
      for (let j = 0; j < this.maxPods; j++) if (this.podState[base + j] === STARTING) this.podState[base + j] = READY;
    }
    return dep;
  }

  /** The Deployment's current spec. */
  spec(dep: number): DeploymentSpec {
    this.checkDep(dep);
    return { replicas: this.depReplicas[dep], cpuLimit: this.depCpu[dep], memoryLimitMB: this.depMem[dep] };
  }

  /** Changes replicas and/or per-pod limits (see the class comment for how). */
  update(dep: number, change: Partial<DeploymentSpec>): void {
    this.checkDep(dep);
    const next = { ...this.spec(dep), ...change };
    this.checkSpec(next);
    if (next.cpuLimit !== this.depCpu[dep] || next.memoryLimitMB !== this.depMem[dep]) this.resize(dep, next.cpuLimit, next.memoryLimitMB);
    if (next.replicas !== this.depReplicas[dep]) this.setReplicas(dep, next.replicas);
  }

  /** Offered load of a Deployment in requests per second from now on. */
  setRate(dep: number, requestsPerSecond: number): void {
    if (!Number.isFinite(requestsPerSecond) || requestsPerSecond < 0)
      throw new SimConfigError(`setRate(${dep})`, "a finite rate >= 0 requests/s", requestsPerSecond);
    this.depRate[dep] = requestsPerSecond;
  }

  /** The last tick's metrics of a Deployment as a named object (allocates; not for hot loops). */
  metrics(dep: number): DeploymentMetrics {
    this.checkDep(dep);
    const o = dep * NSTAT;
    const out = {} as DeploymentMetrics;
    for (const k of Object.keys(STAT) as (keyof typeof STAT)[]) out[k] = this.stats[o + STAT[k]];
    return out;
  }

  /** Advances every Deployment by one tick. */
  tick(): void {
    const dt = this.tickSeconds;
    for (let d = 0; d < this.profiles.length; d++) this.advancePods(d, dt);
    for (let d = 0; d < this.profiles.length; d++) this.schedulePending(d);
    for (let d = 0; d < this.profiles.length; d++) this.serve(d, dt);
    this.now += dt;
  }

  private checkDep(dep: number): void {
    if (!Number.isInteger(dep) || dep < 0 || dep >= this.profiles.length)
      throw new SimConfigError("deployment", `an index in [0, ${this.profiles.length})`, dep);
  }

  private checkSpec(s: DeploymentSpec): void {
    if (!Number.isInteger(s.replicas) || s.replicas < 0 || s.replicas > this.maxPods)
      throw new SimConfigError("replicas", `an integer in [0, ${this.maxPods}]`, s.replicas);
    positiveFinite("cpuLimit (cores)", s.cpuLimit);
    positiveFinite("memoryLimitMB", s.memoryLimitMB);
  }

  private release(i: number, cpu: number, mem: number): void {
    const n = this.podNode[i];
    if (n >= 0) {
      this.nodeFreeCpu[n] += cpu;
      this.nodeFreeMem[n] += mem;
      this.podNode[i] = -1;
    }
  }

  private setReplicas(dep: number, replicas: number): void {
    const base = dep * this.maxPods;
    let have = 0;
    for (let j = 0; j < this.maxPods; j++) if (this.podState[base + j] !== EMPTY) have++;
    for (let j = 0; j < this.maxPods && have < replicas; j++) {
      const i = base + j;
      if (this.podState[i] === EMPTY) {
        this.podState[i] = PENDING;
        this.podRestarts[i] = 0;
        this.podReadyFor[i] = 0;
        have++;
      }
    }
    // ReplicaSet scale-down order: unscheduled, then not ready, then ready; newest first.
    for (const victim of [PENDING, BACKOFF, STARTING, READY]) {
      for (let j = this.maxPods - 1; j >= 0 && have > replicas; j--) {
        const i = base + j;
        if (this.podState[i] === victim) {
          this.release(i, this.depCpu[dep], this.depMem[dep]);
          this.podState[i] = EMPTY;
          have--;
        }
      }
    }
    this.depReplicas[dep] = replicas;
  }

  private resize(dep: number, cpu: number, mem: number): void {
    const base = dep * this.maxPods;
    const oldCpu = this.depCpu[dep];
    const oldMem = this.depMem[dep];
    for (let j = 0; j < this.maxPods; j++) {
      const i = base + j;
      const n = this.podNode[i];
      if (n < 0) continue;
      const freeCpu = this.nodeFreeCpu[n] + oldCpu;
      const freeMem = this.nodeFreeMem[n] + oldMem;
      if (freeCpu >= cpu - 1e-9 && freeMem >= mem - 1e-9) {
        this.nodeFreeCpu[n] = freeCpu - cpu;
        this.nodeFreeMem[n] = freeMem - mem;
      } else {
        this.release(i, oldCpu, oldMem);
        this.podState[i] = PENDING;
      }
    }
    this.depCpu[dep] = cpu;
    this.depMem[dep] = mem;
    this.depService1[dep] = serviceSeconds(this.profiles[dep], cpu);
  }

  private advancePods(dep: number, dt: number): void {
    const base = dep * this.maxPods;
    for (let j = 0; j < this.maxPods; j++) {
      const i = base + j;
      const s = this.podState[i];
      if (s === STARTING || s === BACKOFF) {
        this.podTimer[i] -= dt;
        if (this.podTimer[i] <= 1e-9) {
          if (s === STARTING) {
            this.podState[i] = READY;
            this.podReadyFor[i] = 0;
          } else {
            this.podState[i] = STARTING;
            this.podTimer[i] = this.podStart;
            if (this.podStart <= 0) this.podState[i] = READY;
          }
        }
      } else if (s === READY) {
        this.podReadyFor[i] += dt;
        if (this.podReadyFor[i] >= BACKOFF_RESET_S) this.podRestarts[i] = 0;
      }
    }
  }

  private schedulePending(dep: number): void {
    const base = dep * this.maxPods;
    const cpu = this.depCpu[dep];
    const mem = this.depMem[dep];
    for (let j = 0; j < this.maxPods; j++) {
      const i = base + j;
      if (this.podState[i] !== PENDING) continue;
      let best = -1;
      let bestScore = -Infinity;
      for (let n = 0; n < this.nodeCount; n++) {
        const fc = this.nodeFreeCpu[n] - cpu;
        const fm = this.nodeFreeMem[n] - mem;
        if (fc < -1e-9 || fm < -1e-9) continue;
        const score = fc / this.nodeAllocCpu[n] + fm / this.nodeAllocMem[n];
        if (score > bestScore + 1e-12) {
          bestScore = score;
          best = n;
        }
      }
      if (best < 0) continue;
      this.nodeFreeCpu[best] -= cpu;
      this.nodeFreeMem[best] -= mem;
      this.podNode[i] = best;
      this.podState[i] = this.podStart > 0 ? STARTING : READY;
      this.podTimer[i] = this.podStart;
    }
  }

  /** Pod counts by state after this tick's OOM kills (a ready pod over its limit goes to back-off). */
  private podCounts(dep: number): { ready: number; pending: number; starting: number; backoff: number; ooms: number } {
    const p = this.profiles[dep];
    const base = dep * this.maxPods;
    const memLimit = this.depMem[dep];
    const peak = p.peakMemoryMB;
    const c = { ready: 0, pending: 0, starting: 0, backoff: 0, ooms: 0 };
    // Only pods that serve requests reach their peak working set.
    const loaded = this.depRate[dep] > 0 || this.depBacklog[dep] > 0;
    const nearLimit = peak * (1 + 5 * this.memNoise) > memLimit;
    for (let j = 0; j < this.maxPods; j++) {
      const i = base + j;
      const s = this.podState[i];
      if (s === READY) {
        let oom = false;
        if (loaded && nearLimit) {
          const ws = this.memNoise > 0 ? peak * (1 + this.memNoise * this.rng.normal()) : peak;
          oom = ws > memLimit;
        }
        if (oom) {
          c.ooms++;
          const r = this.podRestarts[i] < 65535 ? this.podRestarts[i] + 1 : 65535;
          this.podRestarts[i] = r;
          this.podState[i] = BACKOFF;
          this.podTimer[i] = Math.min(BACKOFF_INITIAL_S * Math.pow(2, r - 1), BACKOFF_MAX_S);
          c.backoff++;
        } else c.ready++;
      } else if (s === PENDING) c.pending++;
      else if (s === STARTING) c.starting++;
      else if (s === BACKOFF) c.backoff++;
    }
    return c;
  }

  /** This tick's arrivals, the requests the ready pods serve, and what stays queued or is dropped past the timeout. */
  private queue(dep: number, dt: number, ready: number, mu: number) {
    const rate = this.depRate[dep];
    let arrived = rate * dt;
    if (this.arrivalNoise && arrived > 0) {
      arrived += Math.sqrt(arrived) * this.rng.normal();
      if (arrived < 0) arrived = 0;
    }
    const before = this.depBacklog[dep];
    const total = before + arrived;
    const cap = ready * mu * dt;
    const served = total < cap ? total : cap;
    let backlog = total - served;
    const maxBacklog = ready > 0 ? ready * mu * this.timeout : rate * this.timeout;
    let dropped = 0;
    if (backlog > maxBacklog) {
      dropped = backlog - maxBacklog;
      backlog = maxBacklog;
    }
    this.depBacklog[dep] = backlog;
    return { arrived, before, total, served, backlog, dropped };
  }

  /** p99 and mean latency of this tick's requests (M/M/c wait, the backlog's drain, the timeout for dropped ones). */
  private latency(q: ReturnType<Cluster["queue"]>, dt: number, ready: number, mu: number, service: number): { p99: number; mean: number } {
    let p99 = 0;
    let mean = 0;
    if (q.total > 0) {
      if (ready === 0) {
        p99 = this.timeout;
        mean = this.timeout;
      } else {
        const lambda = q.arrived / dt;
        const cmu = ready * mu;
        // Past saturation the backlog term carries the delay; the stochastic part stays finite.
        const lq = lambda < 0.98 * cmu ? lambda : 0.98 * cmu;
        const drain = (0.5 * (q.before + q.backlog)) / cmu;
        p99 = service + waitQuantile(ready, lq, mu, 0.99) + drain;
        mean = service + meanWait(ready, lq, mu) + drain;
        // A dropped request is a request that waited the whole timeout.
        if (q.dropped > 0.01 * q.total) p99 = this.timeout;
        if (mean > this.timeout) mean = this.timeout;
        mean = (mean * (q.total - q.dropped) + this.timeout * q.dropped) / q.total;
      }
      if (p99 > this.timeout) p99 = this.timeout;
    }
    return { p99, mean };
  }

  /**
   * CPU and memory used over what the held pods (ready, starting, backing off) reserve,
   * each at most 1, and the fullest single pod's memory use over its limit.
   */
  private utilisation(
    dep: number,
    dt: number,
    c: ReturnType<Cluster["podCounts"]>,
    served: number,
    service: number,
  ): { cpuUtil: number; memUtil: number; memPeakUtil: number } {
    const p = this.profiles[dep];
    const memLimit = this.depMem[dep];
    const { ready, starting, backoff, ooms } = c;
    const held = ready + starting + backoff;
    if (held === 0) return { cpuUtil: 0, memUtil: 0, memPeakUtil: 0 };
    const cpuUtil = (served * p.cpuSecondsPerRequest) / dt / (held * this.depCpu[dep]);
    const busy = ready > 0 ? (served * service) / (ready * dt) : 0;
    const readyUse = p.idleMemoryMB + (busy < 1 ? busy : 1) * (p.peakMemoryMB - p.idleMemoryMB);
    // A pod killed this tick had reached its limit: that is what a usage sample shows.
    const used = ready * readyUse + (starting + backoff) * p.idleMemoryMB + ooms * (memLimit - p.idleMemoryMB);
    const memUtil = used / (held * memLimit);
    // The fullest pod: a killed one (at its limit), else a ready one, else one at idle.
    const peakUse = ooms > 0 ? memLimit : ready > 0 ? readyUse : p.idleMemoryMB;
    const memPeakUtil = peakUse / memLimit;
    return { cpuUtil: cpuUtil > 1 ? 1 : cpuUtil, memUtil: memUtil > 1 ? 1 : memUtil, memPeakUtil: memPeakUtil > 1 ? 1 : memPeakUtil };
  }

  /** One tick of deployment `dep`: pods, queue, latency and utilisation into its stats row. */
  private serve(dep: number, dt: number): void {
    const c = this.podCounts(dep);
    const pressure = memoryPressureFactor(this.profiles[dep].peakMemoryMB / this.depMem[dep]);
    const service = this.depService1[dep] * pressure;
    const mu = 1 / service;
    const q = this.queue(dep, dt, c.ready, mu);
    const { p99, mean } = this.latency(q, dt, c.ready, mu, service);
    const { cpuUtil, memUtil, memPeakUtil } = this.utilisation(dep, dt, c, q.served, service);

    const o = dep * NSTAT;
    const st = this.stats;
    st[o + STAT.arrived] = q.arrived;
    st[o + STAT.served] = q.served;
    st[o + STAT.dropped] = q.dropped;
    st[o + STAT.p99Seconds] = p99;
    st[o + STAT.meanSeconds] = mean;
    st[o + STAT.cpuUtil] = cpuUtil;
    st[o + STAT.memUtil] = memUtil;
    st[o + STAT.ready] = c.ready;
    st[o + STAT.pending] = c.pending;
    st[o + STAT.starting] = c.starting;
    st[o + STAT.backoff] = c.backoff;
    st[o + STAT.oomKills] = c.ooms;
    st[o + STAT.backlog] = q.backlog;
    st[o + STAT.serviceSeconds] = service;
    st[o + STAT.memPeakUtil] = memPeakUtil;
  }
}
