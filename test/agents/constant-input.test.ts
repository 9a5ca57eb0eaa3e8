import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { ConstantInput, standardise } from "../../agents/constant-input.js";
import { selectBackend } from "../../flash/backend.js";

await selectBackend();

t.test("ConstantInput: each row gets its pair's vector; unknown pairs and ragged vectors are named errors", async (t) => {
  const c = new ConstantInput({ a: [1, 2], b: [3, 4] });
  t.equal(c.dim, 2);
  t.equal(c.ctxOf("b"), 1);
  t.equal(c.contextId({ pair: "a" } as never), 0);
  const rows = tf.tidy(() => c.compute(tf.zeros([3, 5]) as tf.Tensor2D, Int32Array.of(1, 0, 1)).arraySync());
  t.same(rows, [
    [3, 4],
    [1, 2],
    [3, 4],
  ]);
  t.notOk("trainableVariables" in c, "nothing to train");
  t.throws(() => c.ctxOf("z"), /no vector for pair "z"/);
  t.throws(() => new ConstantInput({ a: [1], b: [1, 2] }), /vector of b/);
  t.throws(() => new ConstantInput({}), /at least one/);
});

t.test("standardise: zero mean and unit spread over the fitting pairs, applied to the others", async (t) => {
  const s = standardise({ a: [1, 5], b: [3, 5], c: [5, 9] }, ["a", "b"]);
  t.same(s.a, [-1, 0]);
  t.same(s.b, [1, 0], "a coordinate constant over the fitting pairs is 0");
  t.same(s.c, [3, 0], "for every pair");
});
