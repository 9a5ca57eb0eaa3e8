import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { Rng } from "../../flash/rng.js";

const info = await selectBackend();

/** The slice computed element by element in JavaScript. */
function reference(vals: Float32Array, shape: number[], begin: number[], size: number[]): number[] {
  const strides = tf.util.computeStrides(shape);
  const out: number[] = [];
  const idx = new Array(shape.length).fill(0);
  const total = size.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += (begin[d] + idx[d]) * (d < shape.length - 1 ? strides[d] : 1);
    out.push(vals[off]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

t.test("slices equal an element-by-element copy, contiguous or strided, rank 1 to 4", async (t) => {
  t.comment(`backend ${info.name}`);
  const rng = new Rng(3);
  const cases: [number[], number[], number[]][] = [
    [[10], [3], [4]],
    [
      [6, 7],
      [2, 0],
      [3, 7],
    ],
    [
      [6, 7],
      [1, 2],
      [4, 3],
    ],
    [
      [5, 4, 6],
      [1, 0, 0],
      [1, 4, 6],
    ],
    [
      [5, 4, 6],
      [2, 1, 3],
      [3, 2, 2],
    ],
    [
      [2, 5, 3, 4],
      [1, 2, 0, 0],
      [1, 1, 3, 4],
    ],
    [
      [2, 5, 3, 4],
      [0, 1, 1, 1],
      [2, 3, 2, 3],
    ],
  ];
  for (const [shape, begin, size] of cases) {
    const vals = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
    const got = tf.tidy(() => Array.from(tf.slice(tf.tensor(vals, shape), begin, size).dataSync()));
    t.same(got, reference(vals, shape, begin, size), `shape [${shape}] begin [${begin}] size [${size}]`);
  }
  const ints = tf.tidy(() =>
    Array.from(
      tf
        .slice(
          tf.tensor2d(
            [
              [1, 2, 3],
              [4, 5, 6],
            ],
            [2, 3],
            "int32",
          ),
          [0, 1],
          [2, 2],
        )
        .dataSync(),
    ),
  );
  t.same(ints, [2, 3, 5, 6], "int32");
});
