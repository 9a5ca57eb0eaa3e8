/**
 * Weighted non-negative least squares with a ridge pull toward a prior, for the segment fit
 * (segment-fit.ts): minimise
 *
 *     sum_i w_i (a_i . x - b_i)^2 + sum_k lambda_k (x_k - prior_k)^2     subject to x >= 0
 *
 * by projected coordinate descent on the normal equations. The problems here are small
 * (at most 17 unknowns, a few hundred rows), the objective is strictly convex as soon as
 * every lambda_k > 0, so the sweep converges to the unique minimiser. The prior makes a
 * segment that no row constrains (or that always appears with another one, like `compress`
 * in every app of the Sizeless data) fall back to its prior instead of an arbitrary split.
 */
export interface NnlsProblem {
  /** Rows of the design matrix (one per equation). */
  rows: readonly (readonly number[])[];
  /** Right-hand sides, one per row. */
  targets: readonly number[];
  /** Weight of each row (default 1). */
  weights?: readonly number[];
  /** Prior value of each unknown (default 0). */
  prior?: readonly number[];
  /** Ridge strength toward the prior, per unknown or one for all (default 0). */
  lambda?: number | readonly number[];
}

export function nnls(p: NnlsProblem, sweeps = 2000, tol = 1e-12): number[] {
  const d = p.rows[0]?.length ?? 0;
  const G = Array.from({ length: d }, () => new Float64Array(d));
  const h = new Float64Array(d);
  p.rows.forEach((r, i) => {
    const w = p.weights?.[i] ?? 1;
    const b = p.targets[i];
    for (let j = 0; j < d; j++) {
      if (r[j] === 0) continue;
      h[j] += w * r[j] * b;
      for (let k = 0; k < d; k++) G[j][k] += w * r[j] * r[k];
    }
  });
  const prior = p.prior ?? new Array<number>(d).fill(0);
  for (let k = 0; k < d; k++) {
    const lam = typeof p.lambda === "number" ? p.lambda : (p.lambda?.[k] ?? 0);
    G[k][k] += lam;
    h[k] += lam * prior[k];
  }
  const x = prior.map((v) => Math.max(0, v));
  for (let s = 0; s < sweeps; s++) {
    let change = 0;
    for (let k = 0; k < d; k++) {
      if (G[k][k] <= 0) continue;
      let r = h[k];
      for (let j = 0; j < d; j++) if (j !== k) r -= G[k][j] * x[j];
      const v = Math.max(0, r / G[k][k]);
      change = Math.max(change, Math.abs(v - x[k]) / Math.max(1e-9, Math.abs(v)));
      x[k] = v;
    }
    if (change < tol) break;
  }
  return x;
}
