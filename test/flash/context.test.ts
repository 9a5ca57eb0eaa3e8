/** selectRows: the wasm kernel op gives the one-hot product's values and gradient bit for bit. */
import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../flash/backend.js";
import { selectRows } from "../../flash/context.js";
import { useWasmKernels } from "../../flash/wasm-kernels.js";

await selectBackend("wasm");

/** Rows and the gradient of sum(rows * probe) with respect to e, with the kernels on or off. */
function run(e: tf.Tensor2D, rows: number[], on: boolean): { y: Float32Array; g: Float32Array } {
  useWasmKernels(on);
  try {
    const probe = tf.randomNormal([rows.length, e.shape[1]], 0, 1, "float32", 3);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(selectRows(x as tf.Tensor2D, rows), probe)))(e);
    const y = tf.tidy(() => selectRows(e, rows));
    const out = { y: y.dataSync().slice() as Float32Array, g: g.dataSync().slice() as Float32Array };
    tf.dispose([probe, g, y]);
    return out;
  } finally {
    useWasmKernels(true);
  }
}

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer));

t.test("selectRows: kernel op and one-hot product agree bit for bit (values, gradient, signed zeros)", async (t) => {
  const values = Float32Array.from({ length: 12 * 8 }, (_, i) => (i % 7 === 0 ? -0 : Math.sin(i) * 3));
  const e = tf.tensor2d(values, [12, 8]);
  // 64 rows (more than the slow product's 48-row blocks), repeats, every pair used.
  const rows = Array.from({ length: 64 }, (_, i) => (i * 5) % 12);
  const on = run(e, rows, true);
  const off = run(e, rows, false);
  t.same(bits(on.y), bits(off.y), "rows");
  t.same(bits(on.g), bits(off.g), "gradient");
  t.equal(Object.is(on.y[0], 0), true, "a -0 embedding value comes out +0, as from the product");
  e.dispose();
});

t.test("selectRows: a non-finite embedding takes the product's path (it spreads NaN)", async (t) => {
  const e = tf.tensor2d([1, Infinity, 2, 3], [2, 2]);
  const on = run(e, [1, 0, 1], true);
  const off = run(e, [1, 0, 1], false);
  t.same(bits(on.y), bits(off.y));
  t.ok(Number.isNaN(on.y[1]), "0 x Inf in another row's column");
  e.dispose();
});

t.test("selectRows: rows in order return the tensor itself; a bad row is refused", async (t) => {
  const e = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  t.equal(selectRows(e, [0, 1]), e);
  t.throws(() => selectRows(e, [0, 2]), /selectRows row 1/);
  e.dispose();
});
