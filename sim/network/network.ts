/**
 * A deterministic packet-level simulation of one rate-based sender over a path of links,
 * with the semantics of Aurora's simulator (PCC-RL `network_sim.py`), written for speed.
 *
 * The sender emits 1500-byte packets every 1/rate seconds (the first at 1/rate; a rate
 * change applies from the send after the one already scheduled). Each packet crosses the
 * links in order (link.ts: random loss, tail drop when the queue is full, queueing delay,
 * propagation delay); after the last link its acknowledgement returns over the reverse
 * path, which delays it by the links' propagation delays (acks neither queue nor get
 * lost, as in Aurora). The sender learns of a lost packet when its acknowledgement would
 * have arrived (Aurora's rule): at the time of the loss plus the queueing delay then in
 * force and the remaining propagation delays. A packet's RTT sample is its ack time minus
 * its send time.
 *
 * Events: packet arrivals at a link and acknowledgements sit in a binary heap (heap.ts)
 * ordered by time, ties in push order; the sender's next send is kept beside it, and when
 * an event and a send fall at the same time the event goes first. Random loss draws come
 * from one seeded stream (random.ts), one draw per packet per link with loss > 0.
 *
 * `runFor(d)` advances the clock by d seconds (events strictly before the end) and returns
 * the monitor interval's counts (monitor.ts computes Aurora's statistics from them).
 */
import { NetworkConfigError } from "./errors.js";
import { EventHeap } from "./heap.js";
import { Link, type LinkSpec } from "./link.js";
import { FastRandom } from "./random.js";

/** What the sender saw during one monitor interval. */
export interface MonitorInterval {
  start: number;
  end: number;
  /** Packets sent, acknowledged and found lost during the interval. */
  sent: number;
  acked: number;
  lost: number;
  /** RTT samples (s) of the acknowledged packets, in arrival order (a view: copy to keep). */
  rtts: Float64Array;
}

export interface PathOptions {
  links: LinkSpec[];
  /** Initial sending rate, packets per second. */
  rate: number;
  seed?: number | string;
}

const ACK_LOST = -2;
const ACK_OK = -1;

export class PathSimulator {
  readonly links: Link[];
  private rng: FastRandom;
  private readonly seed: string;
  private readonly heap = new EventHeap(1024);
  private rateValue: number;
  private nextSend: number;
  private clock = 0;
  /** Per packet slot: send time and next hop (a link index, ACK_OK or ACK_LOST). */
  private sendTime = new Float64Array(1024);
  private hop = new Int32Array(1024);
  private free: number[] = [];
  private slots = 0;
  private sent = 0;
  private acked = 0;
  private lost = 0;
  private rtts = new Float64Array(1024);
  private nRtt = 0;
  /** Packets sent over the simulator's life (for speed measurements). */
  totalPackets = 0;

  constructor(opts: PathOptions) {
    if (!Array.isArray(opts.links) || opts.links.length === 0) throw new NetworkConfigError("links", "a non-empty array of links", opts.links);
    this.links = opts.links.map((l, i) => new Link(l, `links[${i}]`));
    this.seed = String(opts.seed ?? 0);
    this.rng = new FastRandom(this.seed);
    this.rateValue = checkRate(opts.rate);
    this.nextSend = 1 / this.rateValue;
  }

  get now(): number {
    return this.clock;
  }

  get rate(): number {
    return this.rateValue;
  }

  /** Packets per second from the next send after the one already scheduled. */
  set rate(r: number) {
    this.rateValue = checkRate(r);
  }

  /** The path's bottleneck bandwidth (packets per second) at time t. */
  capacityAt(t = this.clock): number {
    let c = Infinity;
    for (const l of this.links) c = Math.min(c, l.bandwidthAt(t));
    return c;
  }

  /** Round-trip propagation delay (s) at time t: twice the links' one-way delays. */
  baseRttAt(t = this.clock): number {
    let d = 0;
    for (const l of this.links) d += l.delayAt(t);
    return 2 * d;
  }

  /** Packets queued on the path now. */
  queuedPackets(): number {
    let q = 0;
    for (const l of this.links) q += l.backlogAt(this.clock);
    return q;
  }

  /** Back to time 0 with an empty path, a new rate and the loss stream re-seeded (`seed` or the original). */
  reset(rate: number, seed?: number | string): void {
    this.rateValue = checkRate(rate);
    this.rng = new FastRandom(seed ?? this.seed);
    this.heap.clear();
    for (const l of this.links) l.reset();
    this.clock = 0;
    this.nextSend = 1 / this.rateValue;
    this.free = [];
    this.slots = 0;
    this.sent = this.acked = this.lost = this.nRtt = 0;
  }

  /** Advances the clock by `duration` seconds; returns what the sender saw meanwhile. */
  runFor(duration: number): MonitorInterval {
    if (!(Number.isFinite(duration) && duration > 0)) throw new NetworkConfigError("monitor interval", "a finite duration > 0 (s)", duration);
    const start = this.clock;
    const end = start + duration;
    this.sent = this.acked = this.lost = this.nRtt = 0;
    for (;;) {
      const te = this.heap.peekTime();
      const ts = this.nextSend;
      if (te <= ts) {
        if (te >= end) break;
        this.clock = te;
        this.onEvent(this.heap.pop(), te);
      } else {
        if (ts >= end) break;
        this.clock = ts;
        this.send(ts);
        this.nextSend = ts + 1 / this.rateValue;
      }
    }
    this.clock = end;
    return { start, end, sent: this.sent, acked: this.acked, lost: this.lost, rtts: this.rtts.subarray(0, this.nRtt) };
  }

  private alloc(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.slots === this.sendTime.length) {
      const s = new Float64Array(this.slots * 2);
      s.set(this.sendTime);
      this.sendTime = s;
      const h = new Int32Array(this.slots * 2);
      h.set(this.hop);
      this.hop = h;
    }
    return this.slots++;
  }

  private send(t: number): void {
    const id = this.alloc();
    this.sendTime[id] = t;
    this.hop[id] = 0;
    this.sent++;
    this.totalPackets++;
    this.arrive(id, t);
  }

  /** Packet `id` reaches link hop[id] at time t. */
  private arrive(id: number, t: number): void {
    const h = this.hop[id];
    const link = this.links[h];
    const loss = link.lossAt(t);
    let wait = loss > 0 && this.rng.next() < loss ? -1 : link.enter(t);
    let state = h + 1 < this.links.length ? h + 1 : ACK_OK;
    if (wait < 0) {
      // Lost here: the sender hears of it when the ack would have come back.
      wait = link.waitAt(t);
      state = ACK_LOST;
    }
    let at = t + wait + link.delayAt(t);
    if (state < 0) {
      for (let j = h + 1; j < this.links.length; j++) at += this.links[j].delayAt(t);
      at += this.baseRttAt(at) / 2;
    }
    this.hop[id] = state;
    this.heap.push(at, id);
  }

  private onEvent(id: number, t: number): void {
    const h = this.hop[id];
    if (h >= 0) return this.arrive(id, t);
    if (h === ACK_OK) {
      this.acked++;
      if (this.nRtt === this.rtts.length) {
        const r = new Float64Array(this.nRtt * 2);
        r.set(this.rtts);
        this.rtts = r;
      }
      this.rtts[this.nRtt++] = t - this.sendTime[id];
    } else {
      this.lost++;
    }
    this.free.push(id);
  }
}

function checkRate(r: number): number {
  if (typeof r !== "number" || !Number.isFinite(r) || r <= 0) throw new NetworkConfigError("rate", "a finite sending rate > 0 (packets/s)", r);
  return r;
}
