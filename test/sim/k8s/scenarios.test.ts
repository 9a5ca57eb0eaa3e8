import t from "tap";
import { APP_SCHEMA, validateApplication, type Application } from "../../../sim/k8s/app.js";
import { compileApplication, serviceSeconds } from "../../../sim/k8s/profile.js";
import { SCENARIOS, applyScenario, scenarioApplies } from "../../../sim/k8s/scenarios.js";
import { SEGMENTS } from "../../../sim/k8s/segments.js";

// One application holding every dimension the scenarios touch.
const app: Application = validateApplication({
  schema: APP_SCHEMA,
  name: "all-dims",
  segments: [
    { kind: "compress", size: 512 },
    { kind: "databaseRead", size: 5000 },
    { kind: "floatOperations", size: 10 },
    { kind: "imageResize", size: 512 },
    { kind: "jsonToYaml", size: 50 },
    { kind: "matrixMultiplication", size: 128 },
    { kind: "sleep", size: 10 },
  ],
  runtimeMemoryMB: 100,
  sloMs: 1000,
  load: 1,
});

const touched: Record<string, string[]> = {
  fileSize: ["compress"],
  databaseTableSize: ["databaseRead"],
  floatOperations: ["floatOperations"],
  imageDimension: ["imageResize"],
  jsonSize: ["jsonToYaml"],
  matrixDimension: ["matrixMultiplication"],
  loadLevel: [],
};

t.test("each scenario changes exactly its segments (or the load) and raises demand", async (t) => {
  const base = compileApplication(app);
  for (const s of SCENARIOS) {
    const u = applyScenario(app, s, 2);
    validateApplication(u, s);
    t.not(u.name, app.name);
    for (let i = 0; i < app.segments.length; i++) {
      const k = app.segments[i].kind;
      if (touched[s].includes(k)) t.equal(u.segments[i].size, app.segments[i].size * 2, `${s} doubles ${k}`);
      else t.equal(u.segments[i].size, app.segments[i].size, `${s} leaves ${k}`);
    }
    if (s === "loadLevel") {
      t.equal(u.load, 2);
    } else {
      t.equal(u.load, 1);
      const p = compileApplication(u);
      t.ok(p.cpuSecondsPerRequest + serviceSeconds(p, 1) > base.cpuSecondsPerRequest + serviceSeconds(base, 1), `${s} costs more`);
    }
  }
  // Memory-heavy updates raise the working set (image side^2, matrix n^2).
  t.ok(compileApplication(applyScenario(app, "imageDimension", 4)).peakMemoryMB > base.peakMemoryMB);
  t.ok(compileApplication(applyScenario(app, "matrixDimension", 8)).peakMemoryMB > base.peakMemoryMB);
});

t.test("sizes clamp to the documented range; inapplicable scenarios are reported", async (t) => {
  const big = applyScenario(app, "imageDimension", 100);
  t.equal(big.segments[3].size, SEGMENTS.imageResize.maxSize);
  const onlySleep = { ...app, segments: [{ kind: "sleep" as const, size: 10 }] };
  t.notOk(scenarioApplies(onlySleep, "fileSize"));
  t.ok(scenarioApplies(onlySleep, "loadLevel"));
  t.ok(scenarioApplies(app, "jsonSize"));
  t.throws(() => applyScenario(app, "fileSize", 0), /field "factor": expected a finite number > 0, got 0/);
  t.throws(() => applyScenario(app, "nope" as "fileSize", 2), /field "scenario"/);
});
