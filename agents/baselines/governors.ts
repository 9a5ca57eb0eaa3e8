/**
 * The Linux cpufreq governors, as the kernel implements them (drivers/cpufreq/ and
 * kernel/sched/cpufreq_schedutil.c), on a processor's P-state table. Each sees what the
 * kernel sees once per sampling period (here: every 1 s step): the CPU's busy share over
 * the last period and the current frequency; each returns a P-state.
 *
 *   performance   policy->max, always.
 *   powersave     policy->min, always.
 *   ondemand      od_update(): load = busy %; load > up_threshold (80) -> max;
 *                 otherwise freq_next = min_f + load * (max_f - min_f) / 100, resolved to
 *                 the closest P-state (CPUFREQ_RELATION_C). sampling_down_factor = 1, so
 *                 a jump to max is re-evaluated at the next sample like any other.
 *   conservative  cs_dbs_update(): freq_step = 5% of max; load > up_threshold (80) ->
 *                 requested += step (<= max), resolved to the highest P-state at or
 *                 below it (RELATION_H); load < down_threshold (20) -> requested -= step
 *                 (>= min), resolved to the lowest P-state at or above it (RELATION_L);
 *                 otherwise unchanged.
 *   schedutil     get_next_freq(): next_freq = 1.25 * max_freq * util / max, with the
 *                 scheduler's frequency-invariant utilisation util / max = busy share x
 *                 cur / max_freq (x86 has frequency invariance through APERF/MPERF),
 *                 resolved to the lowest P-state at or above it (RELATION_L).
 *
 * Not modelled: per-CPU policies (the VM owns the whole server, so one policy), io_is_busy,
 * powersave_bias, ignore_nice_load, schedutil's rate limit (our period is 1 s, far above
 * it) and its IO-wait boost.
 */

export const GOVERNORS = ["performance", "powersave", "ondemand", "conservative", "schedutil"] as const;
export type GovernorName = (typeof GOVERNORS)[number];

/** A processor's P-states, ascending (GHz). */
export interface PStates {
  levels: ArrayLike<number>;
}

function minOf(p: PStates): number {
  return p.levels[0];
}
function maxOf(p: PStates): number {
  return p.levels[p.levels.length - 1];
}

/** CPUFREQ_RELATION_L: the lowest P-state at or above `ghz` (the maximum if none). */
export function relationL(p: PStates, ghz: number): number {
  for (let i = 0; i < p.levels.length; i++) if (p.levels[i] >= ghz - 1e-9) return p.levels[i];
  return maxOf(p);
}

/** CPUFREQ_RELATION_H: the highest P-state at or below `ghz` (the minimum if none). */
export function relationH(p: PStates, ghz: number): number {
  for (let i = p.levels.length - 1; i >= 0; i--) if (p.levels[i] <= ghz + 1e-9) return p.levels[i];
  return minOf(p);
}

/** CPUFREQ_RELATION_C: the closest P-state (ties to the higher one, as the kernel's). */
export function relationC(p: PStates, ghz: number): number {
  let best = p.levels[0];
  for (let i = 1; i < p.levels.length; i++) if (Math.abs(p.levels[i] - ghz) <= Math.abs(best - ghz) + 1e-12) best = p.levels[i];
  return best;
}

function checkBusy(busy: number): number {
  if (!Number.isFinite(busy) || busy < 0) throw new RangeError(`governor: busy share: expected a finite number >= 0, got ${busy}`);
  return Math.min(1, busy);
}

/** ondemand's next frequency for busy share `busy` (0..1). */
export function ondemandNext(p: PStates, busy: number, upThreshold = 80): number {
  const load = 100 * checkBusy(busy);
  if (load > upThreshold) return maxOf(p);
  return relationC(p, minOf(p) + (load * (maxOf(p) - minOf(p))) / 100);
}

/** schedutil's next frequency: 1.25 * f_max * (busy * cur / f_max), resolved with RELATION_L. */
export function schedutilNext(p: PStates, busy: number, curGHz: number): number {
  const util = (checkBusy(busy) * curGHz) / maxOf(p);
  return relationL(p, 1.25 * maxOf(p) * util);
}

/** A governor with its state (conservative keeps its requested frequency). */
export class Governor {
  private requested = NaN;
  constructor(
    readonly name: GovernorName,
    private readonly p: PStates,
    private readonly opts: { upThreshold?: number; downThreshold?: number; freqStepPercent?: number } = {},
  ) {
    if (!GOVERNORS.includes(name)) throw new RangeError(`governor: expected one of ${GOVERNORS.join(", ")}, got ${JSON.stringify(name)}`);
  }

  /** Forget history (a new episode). */
  reset(): void {
    this.requested = NaN;
  }

  /** The P-state for the next period, given the last period's busy share and the current frequency. */
  next(busy: number, curGHz: number): number {
    const p = this.p;
    const up = this.opts.upThreshold ?? 80;
    switch (this.name) {
      case "performance":
        return maxOf(p);
      case "powersave":
        return minOf(p);
      case "ondemand":
        return ondemandNext(p, busy, up);
      case "schedutil":
        return schedutilNext(p, busy, curGHz);
      case "conservative": {
        const load = 100 * checkBusy(busy);
        const step = ((this.opts.freqStepPercent ?? 5) * maxOf(p)) / 100;
        if (Number.isNaN(this.requested)) this.requested = curGHz;
        if (load > up) {
          this.requested = Math.min(maxOf(p), this.requested + step);
          return relationH(p, this.requested);
        }
        if (load < (this.opts.downThreshold ?? 20)) {
          this.requested = Math.max(minOf(p), this.requested - step);
          return relationL(p, this.requested);
        }
        return relationC(p, curGHz);
      }
    }
  }
}
