/**
 * Embedding similarity (paper section 5.5): S(e_i, e_j) = (1 - ED + CS) / 2.
 *
 * CS is the cosine similarity, in [-1, 1]. ED is the Euclidean distance normalised by
 * the two vectors' norms, ED = |e_i - e_j| / (|e_i| + |e_j|), which lies in [0, 1] by
 * the triangle inequality (0 iff equal, 1 iff they point in opposite directions). This
 * normalisation depends on the two vectors only, so a similarity never changes when
 * other pairs are added. S is 1 iff e_i = e_j and lies in [-0.5, 1]; for embeddings
 * with non-negative entries (a ReLU output) it lies in [0, 1].
 * Conventions for zero vectors: two zero vectors are identical (S = 1); a zero and a
 * non-zero vector have CS = 0 and ED = 1 (S = 0).
 */
import { ShapeError, assertFinite } from "./errors.js";

export type Vector = ArrayLike<number>;

function norm(a: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** S(a, b) = (1 - ED + CS) / 2 with the normalisation above. */
export function similarity(a: Vector, b: Vector): number {
  if (a.length !== b.length) throw new ShapeError("similarity", `two embeddings of one size`, `sizes ${a.length} and ${b.length}`);
  assertFinite("similarity: first embedding", a);
  assertFinite("similarity: second embedding", b);
  const na = norm(a);
  const nb = norm(b);
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  let dot = 0;
  let d2 = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    const d = a[i] - b[i];
    d2 += d * d;
  }
  const cs = dot / (na * nb);
  const ed = Math.sqrt(d2) / (na + nb);
  return (1 - ed + cs) / 2;
}

/** The symmetric matrix of similarities between named embeddings, rows in `names` order. */
export function similarityMatrix(embeddings: ReadonlyMap<string, Vector>): { names: string[]; matrix: number[][] } {
  const names = [...embeddings.keys()];
  const vs = names.map((n) => embeddings.get(n) as Vector);
  const matrix = names.map(() => new Array<number>(names.length).fill(0));
  for (let i = 0; i < vs.length; i++) {
    matrix[i][i] = similarity(vs[i], vs[i]);
    for (let j = i + 1; j < vs.length; j++) matrix[i][j] = matrix[j][i] = similarity(vs[i], vs[j]);
  }
  return { names, matrix };
}

/** The k known pairs most similar to `query`, most similar first (ties by name). */
export function nearestPairs(query: Vector, known: ReadonlyMap<string, Vector>, k = 1): { pair: string; similarity: number }[] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`nearestPairs: expected k >= 1, got ${k}`);
  return [...known.entries()]
    .map(([pair, e]) => ({ pair, similarity: similarity(query, e) }))
    .sort((x, y) => y.similarity - x.similarity || (x.pair < y.pair ? -1 : 1))
    .slice(0, k);
}
