import t from "tap";
import { readFileSync } from "node:fs";
import path from "node:path";
import { compareNumbers, goldenDir, goldenFiles, goldenRecorded, GOLDENS, type GoldenFile } from "../../experiments/golden/golden.js";
import { CASE_STUDIES, rlTask } from "../../experiments/tasks/index.js";
import { goldenTest } from "../helpers/golden.js";

t.test("compareNumbers: tolerance, missing and new numbers", async (t) => {
  const tol = { relative: 1e-5, absolute: 1e-6 };
  t.same(compareNumbers({ a: 100, b: 0 }, { a: 100.0009, b: 5e-7 }, tol), []);
  t.match(compareNumbers({ a: 100 }, { a: 100.01 }, tol)[0], /a: expected 100, got 100.01/);
  t.match(compareNumbers({ a: 1 }, {}, tol)[0], /a: missing/);
  t.match(compareNumbers({}, { z: 2 }, tol)[0], /z: new number 2 not in the golden file/);
});

t.test("the golden runs are the case studies' own: one per descriptor that declares one, on a profile the task has", async (t) => {
  t.same(
    GOLDENS.map((g) => g.name),
    CASE_STUDIES.filter((c) => c.golden).map((c) => c.name),
  );
  t.same(
    CASE_STUDIES.filter((c) => c.rl && !c.golden).map((c) => c.name),
    [],
    "every RL case study has a golden run",
  );
  for (const g of GOLDENS) {
    t.equal(g.run.task, g.name);
    t.ok((await rlTask(g.name)).profiles.includes(g.run.profile), `${g.name}: profile ${g.run.profile} exists`);
  }
  t.equal(goldenRecorded("no-such-golden", "wasm"), false, "a missing file records nothing");
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
// backend with none recorded the comparison is a skip that says so (test/helpers/golden.ts).
// The other case studies' golden runs are checked in their own task tests.
await goldenTest("pendulum-family");
