/** Comparing arrays of numbers in tests: relative to a tensor's scale, or bit for bit. */

/** Largest |a - b| / max(1e-3, max |b|) over the whole array: relative to the tensor's scale. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-3;
  for (const v of Array.from(b)) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

/** How many elements differ as float32 bit patterns (-0 and +0 differ, NaN equals NaN); a length mismatch counts its extent. */
export function bitDiffs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = new Uint32Array(Float32Array.from(a).buffer);
  const y = new Uint32Array(Float32Array.from(b).buffer);
  if (x.length !== y.length) return Math.max(x.length, y.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  return n;
}
