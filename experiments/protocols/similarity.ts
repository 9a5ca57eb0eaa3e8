/**
 * Similarity vs drop and cost (paper 5.5, Figure 10): does embedding similarity
 * (flash/similarity.ts) predict how much an agent degrades on a new pair and how long
 * retraining takes?
 *   - drop: for each A/B test of the original agent (trained on A, served on B), the
 *     similarity S(e_A, e_B) against the drop on B;
 *   - cost: for each new pair B, the similarity to its nearest pretraining pair against
 *     the adaptation episodes.
 * Reported with Pearson's r and Spearman's rho (rank correlation; ties get mean ranks).
 */

export function pearson(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new RangeError(`pearson: ${xs.length} x values and ${ys.length} y values`);
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** Ranks 1..n with ties at their mean rank. */
export function ranks(xs: readonly number[]): number[] {
  const idx = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1].x === idx[i].x) j++;
    for (let k = i; k <= j; k++) r[idx[k].i] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

export function spearman(xs: readonly number[], ys: readonly number[]): number {
  return pearson(ranks(xs), ranks(ys));
}

export interface Correlation {
  n: number;
  pearson: number | null;
  spearman: number | null;
}

export function correlation(points: readonly { x: number; y: number }[]): Correlation {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const nn = (v: number) => (Number.isFinite(v) ? v : null);
  return { n: points.length, pearson: nn(pearson(xs, ys)), spearman: nn(spearman(xs, ys)) };
}
