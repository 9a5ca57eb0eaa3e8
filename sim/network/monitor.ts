/**
 * Aurora's statistics of a monitor interval (PCC-RL `sender_obs.py`), in packets and
 * seconds. Definitions, for an interval of duration D with S packets sent, A acked, L
 * found lost and RTT samples r_1..r_A:
 *   send rate = S / D, throughput = A / D (packets/s);
 *   mean latency = mean(r) (0 without samples);
 *   loss ratio = L / (L + A) (0 when both are 0);
 *   latency increase = mean(second half of r) - mean(first half), halves split at
 *     floor(A / 2) (0 with fewer than 2 samples);
 *   sent latency inflation = latency increase / D.
 */
import type { MonitorInterval } from "./network.js";

export interface IntervalStats {
  duration: number;
  sendRate: number;
  throughput: number;
  meanLatency: number;
  /** Smallest RTT sample (0 without samples). */
  minLatency: number;
  lossRatio: number;
  latencyIncrease: number;
  sentLatencyInflation: number;
}

export function intervalStats(mi: MonitorInterval): IntervalStats {
  const d = mi.end - mi.start;
  const r = mi.rtts;
  const n = r.length;
  let sum = 0;
  let min = n > 0 ? Infinity : 0;
  for (let i = 0; i < n; i++) {
    sum += r[i];
    if (r[i] < min) min = r[i];
  }
  const half = n >> 1;
  let inc = 0;
  if (half >= 1) {
    let a = 0;
    for (let i = 0; i < half; i++) a += r[i];
    inc = (sum - a) / (n - half) - a / half;
  }
  return {
    duration: d,
    sendRate: d > 0 ? mi.sent / d : 0,
    throughput: d > 0 ? mi.acked / d : 0,
    meanLatency: n > 0 ? sum / n : 0,
    minLatency: min,
    lossRatio: mi.lost + mi.acked > 0 ? mi.lost / (mi.lost + mi.acked) : 0,
    latencyIncrease: inc,
    sentLatencyInflation: d > 0 ? inc / d : 0,
  };
}
