/**
 * Non-ML senders for the congestion-control task, speaking the agents' action space
 * (AuroraCongestion-v0's rate change; `actionFor` turns a target rate into it). Each
 * decides once per monitor interval (MI) from what a sender can measure in it
 * (sim/network/monitor.ts: delivery rate, RTT samples, losses), except the oracle.
 *
 *   - FixedRateSender: the oracle that knows the path's capacity and sends at it.
 *   - AimdSender: TCP-like additive-increase / multiplicative-decrease on the rate: on
 *     an MI with loss the rate is multiplied by `beta` (0.5: halved), at most once per
 *     RTT; otherwise it grows as Reno (+1 packet per RTT per RTT) or CUBIC (the window
 *     W(t) = C (t - K)^3 + W_max packets with C = 0.4, K = cbrt(W_max (1 - beta) / C),
 *     t the time since the last decrease; rate = W / RTT).
 *   - BbrSender: BBR-like: estimates the bottleneck bandwidth (max delivery rate over the
 *     last 10 MIs) and the minimum RTT (over the episode), paces at gain x bandwidth:
 *     startup gain 2.89 until the bandwidth estimate grows less than 25% over three MIs,
 *     one drain MI at 1/2.89, then the probe cycle (1.25, 0.75, 1 x 6), one gain per MI.
 *     Without a cwnd (a rate-only sender), it caps the rate so that the data in flight
 *     stays under 2 x bandwidth x min RTT (BBR's cwnd_gain) using the MI's mean RTT.
 */
import { actionFor, type IntervalStats } from "../../envs/congestion/env.js";

/** What a baseline sees of the environment. */
export interface SenderView {
  readonly rate: number;
  readonly deltaScale: number;
  readonly last: IntervalStats | undefined;
  capacity(): number;
}

export interface RateSender {
  readonly name: string;
  reset(): void;
  /** The target rate (packets/s) for the next MI. */
  target(env: SenderView): number;
}

/** The action that makes the env move to `sender`'s target. */
export function senderAction(sender: RateSender, env: SenderView): number[] {
  return [actionFor(env.rate, sender.target(env), env.deltaScale)];
}

export class FixedRateSender implements RateSender {
  readonly name = "oracle";
  reset(): void {}
  target(env: SenderView): number {
    return env.capacity();
  }
}

export class AimdSender implements RateSender {
  readonly name: string;
  private readonly beta: number;
  private readonly growth: "reno" | "cubic";
  private sinceDecrease = 0;
  private sinceLoss = Infinity;
  private wMax = 0;

  constructor(opts: { growth?: "reno" | "cubic"; beta?: number } = {}) {
    this.growth = opts.growth ?? "cubic";
    this.beta = opts.beta ?? 0.5;
    if (!(this.beta > 0 && this.beta < 1)) throw new RangeError(`AimdSender: beta: expected a number in (0, 1), got ${this.beta}`);
    this.name = this.growth === "cubic" ? "aimd-cubic" : "aimd-reno";
  }

  reset(): void {
    this.sinceDecrease = 0;
    this.sinceLoss = Infinity;
    this.wMax = 0;
  }

  target(env: SenderView): number {
    const s = env.last;
    if (!s || s.meanLatency <= 0) return env.rate;
    const rtt = s.meanLatency;
    this.sinceLoss += s.duration;
    this.sinceDecrease += s.duration;
    if (s.lossRatio > 0 && this.sinceLoss >= rtt) {
      this.sinceLoss = 0;
      this.sinceDecrease = 0;
      this.wMax = env.rate * rtt;
      return env.rate * this.beta;
    }
    if (this.growth === "reno" || this.wMax === 0) return env.rate + s.duration / (rtt * rtt);
    const C = 0.4;
    const k = Math.cbrt((this.wMax * (1 - this.beta)) / C);
    const w = C * (this.sinceDecrease - k) ** 3 + this.wMax;
    return Math.max(env.rate + s.duration / (rtt * rtt), w / rtt);
  }
}

const CYCLE = [1.25, 0.75, 1, 1, 1, 1, 1, 1];
const HIGH_GAIN = 2.89;

export class BbrSender implements RateSender {
  readonly name = "bbr";
  private bw: number[] = [];
  private minRtt = Infinity;
  private mode: "startup" | "drain" | "probe" = "startup";
  private full = 0;
  private fullBw = 0;
  private phase = 0;

  reset(): void {
    this.bw = [];
    this.minRtt = Infinity;
    this.mode = "startup";
    this.full = 0;
    this.fullBw = 0;
    this.phase = 0;
  }

  target(env: SenderView): number {
    const s = env.last;
    if (!s) return env.rate;
    if (s.deliveryRate > 0) this.bw.push(s.deliveryRate);
    if (this.bw.length > 10) this.bw.shift();
    if (s.minLatency > 0) this.minRtt = Math.min(this.minRtt, s.minLatency);
    const btl = this.bw.length ? Math.max(...this.bw) : 0;
    if (btl === 0) return env.rate;
    let gain = 1;
    if (this.mode === "startup") {
      if (btl > this.fullBw * 1.25) {
        this.fullBw = btl;
        this.full = 0;
      } else if (++this.full >= 3) this.mode = "drain";
      gain = HIGH_GAIN;
    }
    if (this.mode === "drain") {
      gain = 1 / HIGH_GAIN;
      this.mode = "probe";
    } else if (this.mode === "probe") {
      gain = CYCLE[this.phase++ % CYCLE.length];
    }
    let rate = gain * btl;
    // Inflight cap (cwnd_gain 2): rate x mean RTT <= 2 x btl x minRtt.
    if (s.meanLatency > 0 && Number.isFinite(this.minRtt)) rate = Math.min(rate, (2 * btl * this.minRtt) / s.meanLatency);
    return rate;
  }
}
