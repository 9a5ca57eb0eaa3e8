import t from "tap";
import { readFileSync } from "node:fs";
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { FlashModel } from "../../flash/models.js";
import { checkGoldens, compareNumbers, goldenDir, goldenFiles, GOLDENS, type GoldenFile } from "../../experiments/golden/golden.js";

t.test("compareNumbers: tolerance, missing and new numbers", async (t) => {
  const tol = { relative: 1e-5, absolute: 1e-6 };
  t.same(compareNumbers({ a: 100, b: 0 }, { a: 100.0009, b: 5e-7 }, tol), []);
  t.match(compareNumbers({ a: 100 }, { a: 100.01 }, tol)[0], /a: expected 100, got 100.01/);
  t.match(compareNumbers({ a: 1 }, {}, tol)[0], /a: missing/);
  t.match(compareNumbers({}, { z: 2 }, tol)[0], /z: new number 2 not in the golden file/);
});

t.test("every golden run has a checked-in file that records its definition", async (t) => {
  const files = goldenFiles();
  for (const g of GOLDENS) {
    t.ok(files.includes(`${g.name}.json`), `${g.name}.json exists`);
    const f = JSON.parse(readFileSync(path.join(goldenDir(), `${g.name}.json`), "utf8")) as GoldenFile;
    t.same(f.run, g.run);
    t.ok(Object.keys(f.recorded).length > 0);
  }
});

// Golden numbers are recorded per backend (float results differ across backends); on a
// backend with none recorded the comparison is skipped, and says so, rather than passing.
const backend = await selectBackend();
const recorded = (name: string): boolean => {
  const f = JSON.parse(readFileSync(path.join(goldenDir(), `${name}.json`), "utf8")) as GoldenFile;
  return backend.name in f.recorded;
};
const skip = recorded("pendulum-family")
  ? false
  : `no golden numbers recorded for backend ${backend.name} (run \`flash golden --update\` on it to record them)`;

t.test(`the seeded golden run reproduces its checked-in numbers (backend ${backend.name})`, { skip }, async (t) => {
  const res = await checkGoldens({ backend: backend.name, only: "pendulum-family" });
  t.teardown(() => FlashModel.unregister("pendulum-family"));
  t.equal(res.length, 1);
  t.equal(res[0].status, "passed", res[0].failures.slice(0, 10).join("\n"));
});
