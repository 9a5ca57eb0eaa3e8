/**
 * Amortisation (paper Appendix A.7, Figure 15): what adapting N new pairs costs per
 * pair when the pretraining is counted, for FLASH and TL, against training each pair
 * from scratch.
 *
 *   per-pair cost(N) = (P + N * a) / N = P / N + a
 *
 * with P the pretraining episodes (environment episodes over the pool, including any
 * warm-up) and a the mean episodes to convergence on a new pair (adaptation.ts). Scratch
 * costs s per pair, no pretraining. Break-even against scratch: the smallest N with
 * P / N + a <= s, i.e. N >= P / (s - a) (never when a >= s). FLASH against TL:
 * P_F / N + a_F <= P_T / N + a_T. Costs are in environment episodes (the paper's
 * retraining cost); wall time is reported separately because FLASH's pretraining
 * costs more per episode.
 */

export interface AmortisationInput {
  variant: string;
  pretrainEpisodes: number;
  adaptEpisodes: number;
}

export interface AmortisationCurve {
  variant: string;
  points: { n: number; perPair: number }[];
  /** Smallest N at which it is no costlier per pair than `against`; null if never within maxN (Infinity if never at all). */
  breakEven: Record<string, number | null>;
}

/** Smallest integer N >= 1 from which on pA / N + aA <= pB / N + aB holds for every larger N; Infinity if none. */
export function breakEvenN(pA: number, aA: number, pB: number, aB: number): number {
  const dp = pA - pB;
  const da = aB - aA;
  if (dp <= 0 && da >= 0) return 1;
  // A adapts no cheaper per pair: it can only be cheaper for small N, never from some N on.
  if (da <= 0) return Infinity;
  return Math.max(1, Math.ceil(dp / da - 1e-12));
}

export function amortisation(inputs: readonly AmortisationInput[], maxN: number): AmortisationCurve[] {
  return inputs.map((x) => {
    const points = Array.from({ length: maxN }, (_, i) => ({ n: i + 1, perPair: x.pretrainEpisodes / (i + 1) + x.adaptEpisodes }));
    const breakEven: Record<string, number | null> = {};
    for (const y of inputs)
      if (y.variant !== x.variant) {
        const n = breakEvenN(x.pretrainEpisodes, x.adaptEpisodes, y.pretrainEpisodes, y.adaptEpisodes);
        breakEven[y.variant] = Number.isFinite(n) ? n : null;
      }
    return { variant: x.variant, points, breakEven };
  });
}
