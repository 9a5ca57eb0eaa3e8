import t from "tap";
import { nearestPairs, similarity, similarityMatrix } from "../../flash/similarity.js";

t.test("similarity follows S = (1 - ED + CS) / 2", async (t) => {
  t.equal(similarity([1, 2, 3], [1, 2, 3]), 1, "identical vectors");
  t.equal(similarity([1, 0], [-1, 0]), (1 - 1 + -1) / 2, "opposite vectors: ED 1, CS -1");
  // [1,0] vs [0,1]: CS 0, ED = sqrt(2) / 2.
  t.ok(Math.abs(similarity([1, 0], [0, 1]) - (1 - Math.SQRT2 / 2) / 2) < 1e-12);
  // Scaling one vector keeps CS at 1 but increases ED.
  t.ok(similarity([1, 1], [2, 2]) < 1 && similarity([1, 1], [2, 2]) > similarity([1, 1], [5, 5]));
  t.equal(similarity([0, 0], [0, 0]), 1);
  t.equal(similarity([0, 0], [1, 0]), 0);
  t.equal(similarity([1, 2], [3, 4]), similarity([3, 4], [1, 2]), "symmetric");
});

t.test("bad input is refused", async (t) => {
  t.throws(() => similarity([1, 2], [1, 2, 3]), { name: "ShapeError", message: /sizes 2 and 3/ });
  t.throws(() => similarity([1, NaN], [1, 2]), { name: "ValueError" });
  t.throws(() => nearestPairs([1], new Map(), 0), RangeError);
});

t.test("matrix and nearest pairs", async (t) => {
  const known = new Map<string, number[]>([
    ["a", [1, 0]],
    ["b", [0, 1]],
    ["c", [0.9, 0.1]],
  ]);
  const { names, matrix } = similarityMatrix(known);
  t.same(names, ["a", "b", "c"]);
  t.equal(matrix[0][0], 1);
  t.equal(matrix[0][2], matrix[2][0]);
  const near = nearestPairs([1, 0.05], known, 2);
  t.same(
    near.map((n) => n.pair),
    ["a", "c"],
  );
  t.ok(near[0].similarity >= near[1].similarity);
});
