/**
 * Controls that say why FLASH wins or loses, task-agnostic (any RlTask with an `oracle`
 * hook): the embedding probe. The oracle-context and shuffled-embedding controls are
 * served variants (rl-flash-kit.ts) summarised like the agents (rl-reproduce.ts).
 *
 * Embedding probe: how much of a pair's true parameters (`RlTask.oracle`) a linear map
 * recovers from its FLASH embedding. Leave-one-out over the pairs of one pretraining (the
 * pool pairs' embeddings and the new pairs' served embeddings): fit a ridge regression
 * on all pairs but one, predict the held-out pair; R^2 = 1 - SSE / SST per parameter
 * (each standardised over the pairs), averaged over the parameters that vary. 1: the
 * embedding determines the parameters linearly; 0: no better than their mean; < 0 worse.
 */

/** Solves (A) x = b for a small symmetric positive definite A (Gaussian elimination with partial pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/** Ridge regression weights (with an unpenalised intercept as the last weight) of y on X. */
export function ridge(X: readonly (readonly number[])[], y: readonly number[], lambda: number): number[] {
  const d = X[0].length + 1;
  const A = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const b = new Array<number>(d).fill(0);
  X.forEach((row, i) => {
    const r = [...row, 1];
    for (let j = 0; j < d; j++) {
      b[j] += r[j] * y[i];
      for (let k = 0; k < d; k++) A[j][k] += r[j] * r[k];
    }
  });
  for (let j = 0; j < d - 1; j++) A[j][j] += lambda;
  return solve(A, b);
}

/**
 * Leave-one-out R^2 of a ridge probe from `embeddings` to `targets` (one row per pair,
 * same order), averaged over target columns whose values vary; null with fewer than 4
 * pairs (groups) or no varying column. With `groups` (one label per row), a row is
 * predicted by a probe fitted without every row of its group: leave-one-group-out, for
 * tasks where several pairs share one truth (rcs: the base sets of one application),
 * which a plain leave-one-out would let the probe match to a sibling.
 */
export function probeR2(
  embeddings: readonly (readonly number[])[],
  targets: readonly (readonly number[])[],
  lambda = 1e-2,
  groups?: readonly (string | number)[],
): number | null {
  const n = embeddings.length;
  const g = groups ?? embeddings.map((_, i) => i);
  if (targets.length !== n || g.length !== n || new Set(g).size < 4) return null;
  const cols: number[] = [];
  for (let j = 0; j < targets[0].length; j++) {
    const v = targets.map((t) => t[j]);
    const m = v.reduce((a, x) => a + x, 0) / n;
    if (v.reduce((a, x) => a + (x - m) ** 2, 0) / n > 1e-12) cols.push(j);
  }
  if (cols.length === 0) return null;
  const r2s = cols.map((j) => {
    const y = targets.map((t) => t[j]);
    const m = y.reduce((a, x) => a + x, 0) / n;
    const sd = Math.sqrt(y.reduce((a, x) => a + (x - m) ** 2, 0) / n);
    const z = y.map((x) => (x - m) / sd);
    let sse = 0;
    let sst = 0;
    // One probe per held-out group, fitted on the rows of every other group.
    const fitted = new Map<string | number, number[]>();
    const probeWithout = (held: string | number): number[] => {
      const keep = (_: unknown, k: number) => g[k] !== held;
      const w = fitted.get(held) ?? ridge(embeddings.filter(keep), z.filter(keep), lambda);
      fitted.set(held, w);
      return w;
    };
    for (let i = 0; i < n; i++) {
      const w = probeWithout(g[i]);
      const pred = embeddings[i].reduce((a, x, k) => a + x * w[k], w[w.length - 1]);
      sse += (z[i] - pred) ** 2;
      sst += z[i] ** 2;
    }
    return 1 - sse / sst;
  });
  return r2s.reduce((a, x) => a + x, 0) / r2s.length;
}
