/**
 * Aurora's statistics of a monitor interval, as PCC-RL computes them
 * (`src/common/sender_obs.py`, the `_mi_metric_*` functions; the simulator's MI is
 * `Sender.get_run_data` in `src/gym/network_sim.py`, whose send and receive durations
 * are both the whole MI). In packets and seconds, for an interval of duration D with S
 * packets sent, A acked, L found lost and RTT samples r_1..r_A in arrival order:
 *   send rate = S / D (`_mi_metric_send_rate`);
 *   recv rate = (A - 1) / D (`_mi_metric_recv_rate`: 8 (bytes_acked - packet_size) / D
 *     bits/s): one packet fewer than acked, so 0 with one ack and -1 / D with none.
 *     This is the "throughput" of Aurora's reward and of its send ratio;
 *   delivery rate = A / D: what the path delivered (ours, not PCC-RL's: the task's
 *     throughput metric and the non-learning senders read it);
 *   mean latency = mean(r), 0 without samples (`_mi_metric_avg_latency`);
 *   loss ratio = L / (L + A), 0 when both are 0 (`_mi_metric_loss_ratio`);
 *   latency increase = mean(r[h..]) - mean(r[..h]) with h = floor(A / 2), 0 when h < 1
 *     (`_mi_metric_latency_increase`);
 *   sent latency inflation = latency increase / D (`_mi_metric_sent_latency_inflation`).
 * A zero-length interval has every rate and the inflation 0 (PCC-RL: `dur > 0` tests).
 */
import type { MonitorInterval } from "./network.js";

export interface IntervalStats {
  duration: number;
  /** S / D, packets per second. */
  sendRate: number;
  /** PCC-RL's recv rate (A - 1) / D, packets per second: Aurora's throughput (negative when nothing was acked). */
  recvRate: number;
  /** A / D, packets per second: what the path delivered. */
  deliveryRate: number;
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
    recvRate: d > 0 ? (mi.acked - 1) / d : 0,
    deliveryRate: d > 0 ? mi.acked / d : 0,
    meanLatency: n > 0 ? sum / n : 0,
    minLatency: min,
    lossRatio: mi.lost + mi.acked > 0 ? mi.lost / (mi.lost + mi.acked) : 0,
    latencyIncrease: inc,
    sentLatencyInflation: d > 0 ? inc / d : 0,
  };
}
