import t from "tap";
import { probeR2, ridge } from "../../../experiments/protocols/controls.js";
import { Rng } from "../../../flash/rng.js";

t.test("ridge: recovers an exact linear map with its intercept", async (t) => {
  const X = [
    [0, 1],
    [1, 0],
    [2, 3],
    [3, 1],
    [1, 4],
  ];
  const y = X.map(([a, b]) => 2 * a - b + 5);
  const w = ridge(X, y, 1e-9);
  t.ok(Math.abs(w[0] - 2) < 1e-5 && Math.abs(w[1] + 1) < 1e-5 && Math.abs(w[2] - 5) < 1e-5, `weights ${w.join(", ")}`);
});

t.test("probeR2: near 1 when the embedding encodes the parameters linearly, low when it does not", async (t) => {
  const rng = new Rng("probe-test");
  const params = Array.from({ length: 16 }, () => [rng.uniform(0, 1), rng.uniform(5, 10)]);
  const linear = params.map(([a, b]) => [a + 0.1 * b, b - a, 0.3 * a]);
  t.ok((probeR2(linear, params) as number) > 0.99, "a linear encoding");
  const noise = params.map(() => [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)]);
  t.ok((probeR2(noise, params) as number) < 0.3, "an embedding unrelated to the parameters");
  const constantCol = params.map(([a]) => [a, 3]);
  t.ok((probeR2(linear, constantCol) as number) > 0.99, "a constant parameter is left out, not a division by zero");
  t.equal(probeR2(linear.slice(0, 3), params.slice(0, 3)), null, "too few pairs");
});
