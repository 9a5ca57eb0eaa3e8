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
 * Events: every link is FIFO, so the packets leaving it (to the next link, or as
 * acknowledgements after the last) leave in the order they entered; each link keeps its
 * pending exits in a FIFO ring, and loss notifications have a ring of their own (losses
 * are learnt in sequence order, as a TCP sender learns them; a notification never
 * overtakes an earlier one). A binary heap (heap.ts) orders the rings' head events by
 * time, ties in push order, so it holds one entry per link rather than one per packet in
 * flight. The sender's next send is kept beside it; when an event and a send fall at the
 * same time the event goes first. Random loss draws come from one seeded stream
 * (random.ts), one draw per packet per link with loss > 0.
 *
 * `runFor(d)` advances the clock by d seconds (events strictly before the end) and returns
 * the monitor interval's counts (monitor.ts computes Aurora's statistics from them).
 * `runFor(d, "next-event")` ends the interval as PCC-RL's `Network.run_for_dur` does: its
 * loop runs while the clock is before the end, so it also handles the first event at or
 * after the end, and the interval (and the clock) ends at that event's time. PCC-RL's
 * events are a send, a packet's arrival at each hop (at the receiver too, even for a
 * dropped packet) and the ack or loss notice back at the sender; at one time, arrivals
 * go before sends (its heap orders "A" before "S") and a receiver arrival before an ack.
 * Our receiver arrivals are not heap events (the ack is scheduled straight away), so the
 * boundary looks them up: the first packet in flight, in FIFO order, whose receiver
 * arrival is at or after the end. On short intervals this matters: with one or two
 * packets per MI, which event closes the MI moves Aurora's (acked - 1) / D a lot.
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

/** A FIFO of (time, packet) events with non-decreasing times. */
class EventRing {
  times = new Float64Array(256);
  ids = new Int32Array(256);
  head = 0;
  size = 0;
  lastTime = 0;

  clear(): void {
    this.head = this.size = 0;
    this.lastTime = 0;
  }

  /** Appends an event no earlier than the last one (a FIFO element cannot overtake); returns its time. */
  push(time: number, id: number): number {
    if (time < this.lastTime) time = this.lastTime;
    this.lastTime = time;
    const cap = this.times.length;
    if (this.size === cap) {
      const t = new Float64Array(cap * 2);
      const d = new Int32Array(cap * 2);
      for (let i = 0; i < this.size; i++) {
        t[i] = this.times[(this.head + i) % cap];
        d[i] = this.ids[(this.head + i) % cap];
      }
      this.times = t;
      this.ids = d;
      this.head = 0;
    }
    const j = (this.head + this.size) % this.times.length;
    this.times[j] = time;
    this.ids[j] = id;
    this.size++;
    return time;
  }

  shift(): number {
    const id = this.ids[this.head];
    this.head = (this.head + 1) % this.times.length;
    this.size--;
    return id;
  }

  peekTime(): number {
    return this.times[this.head];
  }
}

export class PathSimulator {
  readonly links: Link[];
  private rng: FastRandom;
  private readonly seed: string;
  private readonly heap = new EventHeap(16);
  /** Ring i < links: exits of link i; ring links: loss notifications. */
  private readonly rings: EventRing[];
  private rateValue: number;
  private nextSend: number;
  private clock = 0;
  /**
   * Per packet slot: its latency so far, the sum of each hop's (delay + queueing), and
   * once its ack is scheduled its RTT. Summed as PCC-RL sums `cur_latency`, not taken as
   * ack time - send time: the two differ in the last bit, which decides ties.
   */
  private latency = new Float64Array(1024);
  /** Per packet slot in the last ring or the loss ring: when it reaches (or would have reached) the receiver. */
  private recvTime = new Float64Array(1024);
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
    this.rings = Array.from({ length: this.links.length + 1 }, () => new EventRing());
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
    for (const r of this.rings) r.clear();
    for (const l of this.links) l.reset();
    this.clock = 0;
    this.nextSend = 1 / this.rateValue;
    this.free = [];
    this.slots = 0;
    this.sent = this.acked = this.lost = this.nRtt = 0;
  }

  /**
   * Advances the clock by `duration` seconds ("at-duration"), or to the first event at or
   * after that ("next-event": PCC-RL's interval end, that event included); returns what the
   * sender saw meanwhile.
   */
  runFor(duration: number, end: "at-duration" | "next-event" = "at-duration"): MonitorInterval {
    if (!(Number.isFinite(duration) && duration > 0)) throw new NetworkConfigError("monitor interval", "a finite duration > 0 (s)", duration);
    const start = this.clock;
    this.sent = this.acked = this.lost = this.nRtt = 0;
    this.runUntil(start + duration);
    const stop = end === "next-event" ? this.closeAtNextEvent(start + duration) : start + duration;
    return { start, end: stop, sent: this.sent, acked: this.acked, lost: this.lost, rtts: this.rtts.subarray(0, this.nRtt) };
  }

  /** Handles the first event at or after `end` (PCC-RL's order at ties) and moves the clock to it; returns its time. */
  private closeAtNextEvent(end: number): number {
    const n = this.links.length;
    const tr = Math.min(this.firstRecvAtOrAfter(this.rings[n - 1], end), this.firstRecvAtOrAfter(this.rings[n], end));
    const te = this.heap.peekTime();
    if (tr <= te && tr <= this.nextSend) this.clock = tr;
    else if (te <= this.nextSend) this.handleEvent(te);
    else this.sendNext();
    return this.clock;
  }

  /** The receiver-arrival time of the first packet of `ring` (FIFO order) that reaches the receiver at or after `t`; Infinity if none. */
  private firstRecvAtOrAfter(ring: EventRing, t: number): number {
    const cap = ring.ids.length;
    for (let i = 0; i < ring.size; i++) {
      const at = this.recvTime[ring.ids[(ring.head + i) % cap]];
      if (at >= t) return at;
    }
    return Infinity;
  }

  /** Handles every event strictly before `end`, then sets the clock to `end`. */
  private runUntil(end: number): void {
    for (;;) {
      const te = this.heap.peekTime();
      if (te <= this.nextSend) {
        if (te >= end) break;
        this.handleEvent(te);
      } else {
        if (this.nextSend >= end) break;
        this.sendNext();
      }
    }
    this.clock = end;
  }

  /** The heap's first event, at time te. */
  private handleEvent(te: number): void {
    this.clock = te;
    const ring = this.heap.pop();
    const r = this.rings[ring];
    const id = r.shift();
    if (r.size > 0) this.heap.push(r.peekTime(), ring, this.tieKey(ring, r.ids[r.head]));
    this.onEvent(ring, id, te);
  }

  /** The send due now; schedules the next one at the current rate. */
  private sendNext(): void {
    const ts = this.nextSend;
    this.clock = ts;
    this.send(ts);
    this.nextSend = ts + 1 / this.rateValue;
  }

  /**
   * PCC-RL's order of events at one time (its heap compares (time, sender, type, hop,
   * latency, dropped)): a packet reaching a link before an ack or loss notice, and among
   * those the one with the smaller latency first (two packets of one sender never share
   * both a time and a latency).
   */
  private tieKey(ring: number, id: number): number {
    return ring + 1 >= this.links.length ? this.latency[id] : -1;
  }

  private alloc(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.slots === this.latency.length) {
      const s = new Float64Array(this.slots * 2);
      s.set(this.latency);
      this.latency = s;
      const r = new Float64Array(this.slots * 2);
      r.set(this.recvTime);
      this.recvTime = r;
    }
    return this.slots++;
  }

  private send(t: number): void {
    const id = this.alloc();
    this.latency[id] = 0;
    this.sent++;
    this.totalPackets++;
    this.arrive(id, 0, t);
  }

  /** Queues packet `id`'s next event on `ring` at `time`, or later if the FIFO holds it back (the wait adds to its latency). */
  private schedule(ring: number, time: number, id: number): void {
    const r = this.rings[ring];
    const at = r.push(time, id);
    this.latency[id] += at - time;
    if (r.size === 1) this.heap.push(at, ring, this.tieKey(ring, id));
  }

  /** Packet `id` reaches link h at time t. */
  private arrive(id: number, h: number, t: number): void {
    const link = this.links[h];
    const n = this.links.length;
    const loss = link.lossAt(t);
    const wait = loss > 0 && this.rng.next() < loss ? -1 : link.enter(t);
    if (wait >= 0) {
      const hop = link.delayAt(t) + wait;
      this.latency[id] += hop;
      const out = t + hop;
      if (h + 1 < n) {
        this.schedule(h, out, id);
        return;
      }
      // After the last link the exit is the receiver's arrival; the event is the ack's arrival back at the sender.
      this.recvTime[id] = out;
      const back = this.baseRttAt(out) / 2;
      this.latency[id] += back;
      this.schedule(h, out + back, id);
      return;
    }
    // Lost here: the sender hears of it when the ack would have come back (its latency as if it had not been lost).
    const hop = link.delayAt(t) + link.waitAt(t);
    this.latency[id] += hop;
    let at = t + hop;
    for (let j = h + 1; j < n; j++) {
      this.latency[id] += this.links[j].delayAt(t);
      at += this.links[j].delayAt(t);
    }
    this.recvTime[id] = at;
    const back = this.baseRttAt(at) / 2;
    this.latency[id] += back;
    this.schedule(n, at + back, id);
  }

  /** The head event of ring `ring` (packet `id`) happens at time t. */
  private onEvent(ring: number, id: number, t: number): void {
    const n = this.links.length;
    if (ring + 1 < n) return this.arrive(id, ring + 1, t);
    if (ring + 1 === n) {
      this.acked++;
      if (this.nRtt === this.rtts.length) {
        const r = new Float64Array(this.nRtt * 2);
        r.set(this.rtts);
        this.rtts = r;
      }
      this.rtts[this.nRtt++] = this.latency[id];
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
