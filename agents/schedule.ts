/**
 * Hyper-parameter schedules as SB3 defines them: a function of `progressRemaining`,
 * which falls from 1 at the start of training to 0 at the end.
 */

export type Schedule = (progressRemaining: number) => number;

/** A number or a schedule, as SB3 accepts for learning_rate and clip_range. */
export type ScheduleLike = number | Schedule;

export function constant(v: number): Schedule {
  return () => v;
}

/**
 * SB3's get_linear_fn(start, end, end_fraction): linear from `start` to `end` over the
 * first `endFraction` of training, then flat (DQN's exploration schedule).
 */
export function linear(start: number, end: number, endFraction = 1): Schedule {
  return (progressRemaining) => {
    const progress = 1 - progressRemaining;
    return progress > endFraction ? end : start + (progress * (end - start)) / endFraction;
  };
}

/** The zoo's `lin_X`: X * progressRemaining (X -> 0 over training). */
export function linearToZero(start: number): Schedule {
  return (progressRemaining) => start * progressRemaining;
}

export function toSchedule(s: ScheduleLike): Schedule {
  return typeof s === "number" ? constant(s) : s;
}
