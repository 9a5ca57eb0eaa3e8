/**
 * AuroraCongestion-v0: Aurora's congestion-control MDP (Jay et al., ICML 2019; FLASH paper
 * Table 11) on the packet-level path simulator of sim/network, one network environment
 * (a link configuration or a link trace) per pair. Its semantics are PCC-RL's
 * (`src/gym/network_sim.py` `SimulatedNetworkEnv`, `src/common/sender_obs.py`; read to
 * learn them, nothing copied); the deliberate differences are listed at the end.
 *
 * ## Description
 * One rate-based sender of 1500-byte packets crosses a path of links (bandwidth, one-way
 * delay, queue in packets, random loss; sim/network/link.ts). Time is cut into monitor
 * intervals (MIs): the first lasts 1.5 base RTTs (PCC-RL's `run_dur = 3 * lat`), each later
 * one half the mean RTT of the last MI that had RTT samples (`step`: `run_dur = 0.5 *
 * avg latency` when it is > 0), and (option `minIntervalPackets`, 0 in Aurora) at least
 * that many packet intervals at the current rate. An MI then runs on to the first event
 * at or after that length, which it includes (PCC-RL's `Network.run_for_dur` loop), so
 * its duration is a little longer and every MI holds at least one event
 * (sim/network/network.ts). At every MI boundary the agent changes the sending rate.
 *
 * ## Action space
 * `Box(-1e12, 1e12, (1,))` as Aurora: a rate change a, scaled by `deltaScale` (0.025):
 * rate x (1 + 0.025 a) for a >= 0, rate / (1 - 0.025 a) otherwise (`Sender.apply_rate_delta`);
 * the rate is then clamped to [minRate, maxRate] packets/s (Aurora: [40, 1000]). A NaN or
 * infinite action, or one of the wrong length, throws.
 *
 * ## Observation space
 * `Box(3 x historyLength)` (30 by default): for each of the last 10 MIs, oldest first,
 * Aurora's three features (`sender_obs.py`; statistics in sim/network/monitor.ts):
 *   0. sent latency inflation: the latency increase within the MI / its duration. Below 1
 *      always (two acks of one MI are less than its duration apart and the later was sent
 *      later, so its RTT exceeds the earlier's by less than the duration); no lower bound.
 *   1. latency ratio: the MI's mean RTT / the smallest mean RTT of any MI of the episode
 *      so far (`_mi_metric_latency_ratio` with `conn min latency`): 1 before the
 *      episode's first RTT sample, 0 in a later MI without samples, else >= 1.
 *   2. send ratio: send rate / recv rate, where recv rate is PCC-RL's (acked - 1) /
 *      duration (`_mi_metric_send_ratio`); 1 when the recv rate is not positive (fewer
 *      than 2 acks) or the ratio would reach 1000, so always in [0, 1000).
 * MIs before the first are padding with PCC-RL's values for an empty MI before any RTT
 * sample (`SenderHistory` starts with empty `SenderMonitorInterval`s): (0, 1, 1). The box
 * is these bounds: [-inf, 0, 0] to [1, inf, 1000] per MI (PCC-RL declares
 * [-1, 1, 0] to [10, 1e4, 1e3], which its own features leave).
 *
 * ## Reward
 * Per MI, PCC-RL's `(10 x throughput - 1000 x latency - 2000 x loss) x 0.001`
 * (`Network.run_for_dur`, "Very high thpt") with throughput the recv rate (acked - 1) /
 * duration in packets/s (so an MI with one ack earns 0 for throughput and one without
 * acks -10 / duration), latency the MI's mean RTT in seconds (0 without samples) and loss
 * its loss ratio; `rewardScale` is PCC-RL's REWARD_SCALE (0.001).
 *
 * ## Starting state
 * The path is empty; the rate is drawn uniformly from [0.3, 1.5] x the path's capacity at
 * time 0 (PCC-RL's `create_new_links_and_senders`), clamped; two MIs of 1.5 base RTTs (each
 * on to its next event) run before the first observation (PCC-RL's `reset`), which is all
 * padding; they do not set the next MI's length, so the first step's MI is 1.5 base RTTs
 * too. With
 * `sampleLinks`, every reset also draws a new path (Aurora's training randomisation);
 * otherwise the pair's path is fixed and a reset re-seeds only the random loss and the
 * starting rate.
 *
 * ## Episode end
 * Never terminates; truncated after `maxEpisodeSteps` (400) MIs, so agents bootstrap from
 * the last observation (agents/train.ts). PCC-RL returns done at 400 MIs and its PPO1
 * (stable-baselines `add_vtarg_and_adv`) zeroes the value beyond it: a terminal state. We
 * chose truncation on purpose: nothing ends at MI 400 (the flow and the link go on), the
 * observation carries no clock, so a terminal at a step the agent cannot see makes the
 * value target depend on something outside the state; and an episode's return, which
 * every protocol compares, is the same either way.
 *
 * ## Deliberate differences from PCC-RL
 * The clamp and start rate are per task (the congestion task uses Genet's [5, 20000]
 * packets/s, experiments/tasks/congestion.ts); PCC-RL does not clamp its starting rate,
 * we do. `minIntervalPackets` (0 here) lengthens MIs on slow links. The episode end
 * (above). The packet model's own differences are in sim/network/README.md.
 *
 * ## Arguments
 * `pair` (its id), `links` (LinkSpec[]), `seed` (0), `historyLength` (10), `deltaScale`
 * (0.025), `minRate`/`maxRate` (40/1000 packets/s), `rewardScale` (0.001),
 * `maxEpisodeSteps` (400), `minIntervalPackets` (0), `startRate` ([0.3, 1.5] of capacity),
 * `sampleLinks` (none).
 */
import { ShapeError, ValueError } from "../../flash/errors.js";
import { Rng } from "../../flash/rng.js";
import { intervalStats, type IntervalStats } from "../../sim/network/monitor.js";
import { ppsToMbps, type LinkSpec } from "../../sim/network/link.js";
import { PathSimulator } from "../../sim/network/network.js";
import { box, type BoxSpace, type PairEnv, type StepResult } from "../env.js";

/** An MI's statistics (sim/network/monitor.ts), as the env's users (agents, baselines) see them. */
export type { IntervalStats };

export const ID = "AuroraCongestion-v0";
export const FEATURES = 3;
/** PCC-RL's features of an empty MI before any RTT sample: the history's padding. */
export const PADDING: readonly number[] = [0, 1, 1];

export interface CongestionEnvOptions {
  pair: string;
  links: LinkSpec[];
  seed?: number;
  historyLength?: number;
  deltaScale?: number;
  minRate?: number;
  maxRate?: number;
  rewardScale?: number;
  maxEpisodeSteps?: number;
  minIntervalPackets?: number;
  startRate?: [number, number];
  /** Aurora's training randomisation: a new path at every reset. */
  sampleLinks?: (rng: Rng) => LinkSpec[];
}

/**
 * Aurora's three features of an MI (the docstring's list) given the episode's smallest
 * mean RTT so far, this MI's included (0 before the first sample).
 */
export function features(s: IntervalStats, connMinLatency: number): [number, number, number] {
  const latencyRatio = connMinLatency > 0 ? s.meanLatency / connMinLatency : 1;
  const sendRatio = s.recvRate > 0 && s.sendRate < 1000 * s.recvRate ? s.sendRate / s.recvRate : 1;
  return [s.sentLatencyInflation, latencyRatio, sendRatio];
}

/** PCC-RL's reward of an MI before REWARD_SCALE: 10 x recv rate - 1000 x mean RTT - 2000 x loss ratio. */
export function auroraReward(s: IntervalStats): number {
  return 10 * s.recvRate - 1000 * s.meanLatency - 2000 * s.lossRatio;
}

/** Aurora's rate update: `rate` after action `a` (before clamping). */
export function applyDelta(rate: number, a: number, deltaScale: number): number {
  const d = a * deltaScale;
  return d >= 0 ? rate * (1 + d) : rate / (1 - d);
}

/** The action that moves `rate` to `target` (the inverse of `applyDelta`; baselines speak the agents' action space). */
export function actionFor(rate: number, target: number, deltaScale: number): number {
  return target >= rate ? (target / rate - 1) / deltaScale : (1 - rate / target) / deltaScale;
}

export class CongestionEnv implements PairEnv {
  readonly id = ID;
  readonly pair: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace = box([-1e12], [1e12]);
  readonly maxEpisodeSteps: number;
  readonly deltaScale: number;
  readonly minRate: number;
  readonly maxRate: number;
  private readonly opts: CongestionEnvOptions;
  private readonly history: Float32Array;
  private sim: PathSimulator;
  private rng: Rng;
  private duration = 0;
  private connMinLatency = 0;
  private steps = 0;
  /** The last MI's statistics (baselines read it; undefined before the first step). */
  last: IntervalStats | undefined;

  constructor(opts: CongestionEnvOptions) {
    this.opts = opts;
    this.pair = opts.pair;
    const h = opts.historyLength ?? 10;
    this.history = new Float32Array(FEATURES * h);
    this.observationSpace = box(new Array(h).fill([-Infinity, 0, 0]).flat(), new Array(h).fill([1, Infinity, 1000]).flat());
    this.maxEpisodeSteps = opts.maxEpisodeSteps ?? 400;
    this.deltaScale = opts.deltaScale ?? 0.025;
    this.minRate = opts.minRate ?? 40;
    this.maxRate = opts.maxRate ?? 1000;
    if (!(this.minRate > 0 && this.maxRate >= this.minRate))
      throw new ValueError(`${ID}: expected 0 < minRate <= maxRate, got ${this.minRate}, ${this.maxRate}`);
    this.rng = new Rng(`${this.pair}/${opts.seed ?? 0}`);
    this.sim = new PathSimulator({ links: opts.links, rate: this.minRate, seed: opts.seed ?? 0 });
  }

  /** Current sending rate, packets per second. */
  get rate(): number {
    return this.sim.rate;
  }

  /** The path's bottleneck capacity now, packets per second (the oracle baseline reads it). */
  capacity(): number {
    return this.sim.capacityAt();
  }

  get simulator(): PathSimulator {
    return this.sim;
  }

  private clamp(r: number): number {
    return Math.min(this.maxRate, Math.max(this.minRate, r));
  }

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(`${this.pair}/${seed}`);
    if (this.opts.sampleLinks) this.sim = new PathSimulator({ links: this.opts.sampleLinks(this.rng.fork("links")), rate: this.minRate });
    const [lo, hi] = this.opts.startRate ?? [0.3, 1.5];
    this.sim.reset(this.clamp(this.rng.uniform(lo, hi) * this.sim.capacityAt(0)), `${this.pair}/${this.rng.int(0, 2 ** 31)}`);
    for (let i = 0; i < this.history.length; i++) this.history[i] = PADDING[i % FEATURES];
    this.connMinLatency = 0;
    this.steps = 0;
    this.last = undefined;
    this.duration = this.bounded(1.5 * this.sim.baseRttAt(0));
    this.sim.runFor(this.duration, "next-event");
    this.sim.runFor(this.duration, "next-event");
    return this.history.slice();
  }

  private bounded(d: number): number {
    const min = (this.opts.minIntervalPackets ?? 0) / this.sim.rate;
    return Math.max(d, min, 1e-6);
  }

  step(action: Float32Array | number[]): StepResult {
    if (!action || action.length !== 1)
      throw new ShapeError(`${ID} action`, "1 number (the rate change)", action ? `${action.length} numbers` : String(action));
    const a = action[0];
    if (!Number.isFinite(a)) throw new ValueError(`${ID} action: expected a finite rate change, got ${a}`);
    this.sim.rate = this.clamp(applyDelta(this.sim.rate, a, this.deltaScale));
    this.duration = this.bounded(this.duration);
    const s = intervalStats(this.sim.runFor(this.duration, "next-event"));
    this.last = s;
    if (s.meanLatency > 0 && (this.connMinLatency === 0 || s.meanLatency < this.connMinLatency)) this.connMinLatency = s.meanLatency;
    this.history.copyWithin(0, FEATURES);
    this.history.set(features(s, this.connMinLatency), this.history.length - FEATURES);
    const reward = auroraReward(s) * (this.opts.rewardScale ?? 0.001);
    if (s.meanLatency > 0) this.duration = 0.5 * s.meanLatency;
    this.steps++;
    const base = this.sim.baseRttAt();
    return {
      observation: this.history.slice(),
      reward,
      terminated: false,
      truncated: this.steps >= this.maxEpisodeSteps,
      info: {
        rateMbps: ppsToMbps(this.sim.rate),
        throughputMbps: ppsToMbps(s.deliveryRate),
        latencyMs: 1000 * s.meanLatency,
        queueingDelayMs: s.meanLatency > 0 ? Math.max(0, 1000 * (s.meanLatency - base)) : 0,
        loss: s.lossRatio,
        capacityMbps: ppsToMbps(this.sim.capacityAt()),
        // The simulated time at the MI's end (s): step-by-step figures plot against it.
        timeS: this.sim.now,
      },
    };
  }
}
