/**
 * One link of the path: a bandwidth, a one-way propagation delay, a FIFO queue of a
 * fixed size in packets and a random loss rate, any of bandwidth, delay and loss
 * optionally following a trace over time (trace.ts).
 *
 * The queue is a fluid backlog drained at the link's bandwidth, as Aurora's simulator
 * keeps it (PCC-RL `network_sim.py` `Link`: a queueing delay that grows by 1/bandwidth per
 * packet and falls with time). A link of constant bandwidth holds it as PCC-RL does, in
 * seconds, with the same arithmetic (the delay now is max(0, delay at the last arrival -
 * time since), the drop test 1/bandwidth + delay > queue/bandwidth), so that the two
 * simulators agree to the last bit and break ties between events alike. A trace-driven
 * link holds it in packets, so that a bandwidth change drains the packets already queued
 * at the new rate (PCC-RL has no traces). A packet arriving at time t:
 *   1. is lost at random with probability loss(t) (it never joins the queue);
 *   2. is dropped when the queue is full: backlog + 1 > queue (Aurora's test);
 *   3. else joins the queue and leaves after `wait` = the time to drain the backlog
 *      ahead of it, then travels `delay(t)`. Its latency on this link is delay + wait:
 *      like Aurora, the packet's own transmission time (1/bandwidth) is not added.
 */
import { NetworkConfigError } from "./errors.js";
import type { LinkTrace } from "./trace.js";

export const PACKET_BYTES = 1500;

/** Packets of `PACKET_BYTES` per second at `mbps` megabits per second. */
export function mbpsToPps(mbps: number): number {
  return (mbps * 1e6) / (8 * PACKET_BYTES);
}

export function ppsToMbps(pps: number): number {
  return (pps * 8 * PACKET_BYTES) / 1e6;
}

/** A link as users and configs write it. */
export interface LinkSpec {
  /** Megabits per second (ignored where `trace` gives bandwidths). */
  bandwidthMbps: number;
  /** One-way propagation delay in milliseconds (the trace's, where it has them). */
  delayMs: number;
  /** Queue size in packets (at least 1). */
  queuePackets: number;
  /** Random loss probability per packet, in [0, 1) (the trace's, where it has them). */
  lossRate: number;
  /** Bandwidth (and delay, loss where given) over time, repeated cyclically. */
  trace?: LinkTrace;
}

/** Checks a link spec; the error names the field (`where.field`). */
export function validateLinkSpec(s: LinkSpec, where = "link"): LinkSpec {
  const fin = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  if (!s.trace && !(fin(s.bandwidthMbps) && s.bandwidthMbps > 0))
    throw new NetworkConfigError(`${where}.bandwidthMbps`, "a finite number > 0 (a link with zero bandwidth never delivers)", s.bandwidthMbps);
  if (!(fin(s.delayMs) && s.delayMs >= 0)) throw new NetworkConfigError(`${where}.delayMs`, "a finite number >= 0", s.delayMs);
  if (!(Number.isInteger(s.queuePackets) && s.queuePackets >= 1))
    throw new NetworkConfigError(`${where}.queuePackets`, "an integer >= 1 (a zero queue drops every packet)", s.queuePackets);
  if (!(fin(s.lossRate) && s.lossRate >= 0 && s.lossRate < 1)) throw new NetworkConfigError(`${where}.lossRate`, "a number in [0, 1)", s.lossRate);
  return s;
}

const EPS = 1e-9;

export class Link {
  readonly queue: number;
  private readonly bw0: number;
  private readonly delay0: number;
  private readonly loss0: number;
  private readonly trace?: { t: Float64Array; bw: Float64Array; delay?: Float64Array; loss?: Float64Array; period: number };
  /** Trace-driven link: fluid backlog (packets) at `last`. */
  private backlog = 0;
  private last = 0;
  /** Constant link: queueing delay (s) as of the last arrival, at `qdAt` (PCC-RL's queue_delay, queue_delay_update_time). */
  private qd = 0;
  private qdAt = 0;

  constructor(spec: LinkSpec, where = "link") {
    validateLinkSpec(spec, where);
    this.queue = spec.queuePackets;
    this.bw0 = spec.trace ? 0 : mbpsToPps(spec.bandwidthMbps);
    this.delay0 = spec.delayMs / 1000;
    this.loss0 = spec.lossRate;
    const tr = spec.trace;
    if (tr) {
      const n = tr.times.length;
      const step = n > 1 ? tr.times[n - 1] - tr.times[n - 2] : 1;
      this.trace = {
        t: Float64Array.from(tr.times, (x) => x - tr.times[0]),
        bw: Float64Array.from(tr.bandwidthMbps, mbpsToPps),
        delay: tr.delayMs ? Float64Array.from(tr.delayMs, (x) => x / 1000) : undefined,
        loss: tr.lossRate ? Float64Array.from(tr.lossRate) : undefined,
        period: tr.times[n - 1] - tr.times[0] + step,
      };
    }
  }

  reset(): void {
    this.backlog = 0;
    this.last = 0;
    this.qd = 0;
    this.qdAt = 0;
  }

  /** Constant link: the queueing delay a packet arriving at t would wait (PCC-RL's get_cur_queue_delay). */
  private queueDelay(t: number): number {
    return Math.max(0, this.qd - (t - this.qdAt));
  }

  /** Index of the trace sample in force at time t (the trace repeats with its period). */
  private idx(t: number): number {
    const tr = this.trace!;
    const local = t - Math.floor(t / tr.period) * tr.period;
    let lo = 0;
    let hi = tr.t.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (tr.t[mid] <= local) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** End (absolute time) of the trace sample in force at time t. */
  private segEnd(t: number, i: number): number {
    const tr = this.trace!;
    const base = Math.floor(t / tr.period) * tr.period;
    return base + (i + 1 < tr.t.length ? tr.t[i + 1] : tr.period);
  }

  /** Packets per second at time t. */
  bandwidthAt(t: number): number {
    return this.trace ? this.trace.bw[this.idx(t)] : this.bw0;
  }

  /** One-way propagation delay (s) at time t. */
  delayAt(t: number): number {
    return this.trace?.delay ? this.trace.delay[this.idx(t)] : this.delay0;
  }

  lossAt(t: number): number {
    return this.trace?.loss ? this.trace.loss[this.idx(t)] : this.loss0;
  }

  /** Queued packets (fluid) at time t >= the last arrival. */
  backlogAt(t: number): number {
    if (!this.trace) return this.queueDelay(t) * this.bw0;
    this.drain(t);
    return this.backlog;
  }

  /** Trace-driven link: drains the backlog up to time t. */
  private drain(t: number): void {
    if (t <= this.last) return;
    const tr = this.trace!;
    let cur = this.last;
    while (cur < t && this.backlog > 0) {
      const i = this.idx(cur);
      const end = Math.min(t, this.segEnd(cur, i));
      this.backlog -= (end - cur) * tr.bw[i];
      cur = end;
    }
    if (this.backlog < 0) this.backlog = 0;
    this.last = t;
  }

  /** Trace-driven link: seconds to drain `packets` queued at time t. */
  private drainTime(t: number, packets: number): number {
    if (packets <= 0) return 0;
    const bw = this.trace!.bw;
    let cur = t;
    let left = packets;
    for (;;) {
      const i = this.idx(cur);
      const end = this.segEnd(cur, i);
      const can = (end - cur) * bw[i];
      if (can >= left) return cur + left / bw[i] - t;
      left -= can;
      cur = end;
    }
  }

  /** Queueing delay a packet arriving at t would wait, without enqueuing it. */
  waitAt(t: number): number {
    if (!this.trace) return this.queueDelay(t);
    this.drain(t);
    return this.drainTime(t, this.backlog);
  }

  /**
   * A packet arrives at time t: its queueing delay (s), or -1 when the queue is full.
   * Random loss is the caller's draw (it needs the simulator's random stream).
   */
  enter(t: number): number {
    if (!this.trace) {
      // PCC-RL's packet_enters_link: the delay is brought up to date even when the packet is dropped.
      const wait = this.queueDelay(t);
      this.qd = wait;
      this.qdAt = t;
      const one = 1 / this.bw0;
      if (one + wait > this.queue / this.bw0) return -1;
      this.qd = wait + one;
      return wait;
    }
    this.drain(t);
    if (this.backlog + 1 > this.queue + EPS) return -1;
    const wait = this.drainTime(t, this.backlog);
    this.backlog += 1;
    return wait;
  }
}
