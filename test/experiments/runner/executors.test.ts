import t from "tap";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EXECUTOR_NAMES, executorUrl, isExecutorName, loadExecutor, type ExecutorName } from "../../../experiments/runner/executors.js";
import { runUnits } from "../../../experiments/runner/pool.js";
import { planUnits } from "../../../experiments/runner/units.js";

const codeRoot = fileURLToPath(new URL("../../../", import.meta.url));

t.test("every executor of the registry is a module inside the code root that exports executeUnit", async (t) => {
  t.same([...EXECUTOR_NAMES].sort(), ["rl-protocols@1", "testing@1"]);
  for (const name of EXECUTOR_NAMES) {
    const file = fileURLToPath(executorUrl(name));
    const rel = path.relative(codeRoot, file);
    t.ok(!rel.startsWith("..") && !path.isAbsolute(rel), `${name}: ${rel} is inside the code root`);
    t.ok(existsSync(file), `${name}: ${rel} exists`);
  }
  t.equal(typeof (await loadExecutor("testing@1")), "function");
});

t.test("anything but a registry name is refused: URLs, paths, inherited property names, unknown names", async (t) => {
  const evil = pathToFileURL(path.join(os.tmpdir(), "evil.mjs")).href;
  const given = [
    "data:text/javascript,process.exit(3)",
    evil,
    "http://example.com/x.js",
    "../../../../tmp/evil",
    "/tmp/evil.mjs",
    "experiments/runner/testing-executor",
    "__proto__",
    "toString",
    "testing@2",
    "",
  ];
  for (const g of given) {
    t.notOk(isExecutorName(g), `${JSON.stringify(g)} is not a name`);
    t.throws(() => executorUrl(g), { name: "UnknownNameError", message: /unknown executor .*; known executors: rl-protocols@1, testing@1/ }, g);
    await t.rejects(loadExecutor(g), { name: "UnknownNameError" });
  }
  t.throws(
    () => executorUrl(`data:text/javascript,${"x".repeat(10_000)}`),
    { message: /^unknown executor "data:text\/javascript,x{79}\.\.\."/ },
    "a long name is cut",
  );
});

t.test("the local pool refuses an executor that is not a name before it runs anything", async (t) => {
  const out = mkdtempSync(path.join(os.tmpdir(), "executors-"));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const plan = planUnits([{ id: "a", kind: "x", deps: [], input: {} }], 0, "testing@1");
  for (const workers of [0, 1]) {
    const executor = "data:text/javascript,export const executeUnit = async () => 1" as ExecutorName;
    await t.rejects(runUnits(plan, { outDir: out, executor, workers, log: () => {} }), { name: "UnknownNameError" }, `workers ${workers}`);
    t.notOk(existsSync(path.join(out, "units")), "no unit ran");
  }
});
