import t from "tap";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  compositionOf,
  generateDataset,
  loadSegmentModel,
  loadServerless,
  makeQuery,
  predictWithSegmentModel,
  RUNTIME_SPECIFIC_COLUMNS,
  saveSegmentModel,
  writeGenerated,
} from "../../../envs/rcs/index.js";
import { executionAt } from "../../../sim/serverless/execution.js";
import { knownSegmentModel } from "../../helpers/rcs.js";

function tmp(t: { teardown(f: () => void): void }): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "rcs-gen-"));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test("generated applications are written in the serverless layout and the loader reads back exactly the in-memory dataset", async (t) => {
  const model = knownSegmentModel();
  model.noise.cvDuration = model.noise.cvDuration.map((_, q) => q / 500);
  model.noise.shapeLogResidual = model.noise.shapeLogResidual.map((_, q) => (q - 50) / 500);
  const dir = path.join(tmp(t), "pool");
  const apps = writeGenerated(dir, model, { apps: 12, seed: 5, invocations: 4 });
  const ds = loadServerless(dir);
  t.equal(ds.workloads.length, 12);
  t.same(ds.notes, []);
  const mem = generateDataset(model, { apps: 12, seed: 5, invocations: 4 });
  t.same(ds.workloads, mem.workloads, "same workloads, points, durations and metrics");
  t.same(
    ds.workloads.map((w) => w.app),
    apps.map((a) => a.name),
  );
  for (const w of ds.workloads) {
    t.equal(w.source, "generated");
    t.same(
      w.points.map((p) => p.memoryMb),
      model.platform.sizesMb,
    );
    t.ok(w.points.every((p) => p.runs === 4));
    const kinds = compositionOf(w.app, w.source);
    t.ok(kinds && kinds.length >= 1 && kinds.length <= 4, `${w.app}: 1-4 segments named`);
  }
  const node = apps.find((a) => a.runtime === "nodejs")!;
  const header = readFileSync(path.join(dir, node.name, "512.csv"), "utf8")
    .split("\n")[0]
    .split(",");
  for (const c of RUNTIME_SPECIFIC_COLUMNS) t.ok(header.includes(c), `Node.js files carry the wrapper column ${c}`);
  const py = apps.find((a) => a.runtime === "python");
  if (py)
    t.notOk(
      readFileSync(path.join(dir, py.name, "512.csv"), "utf8")
        .split("\n")[0]
        .includes("elMin"),
      "Python files do not",
    );
  t.match(readFileSync(path.join(dir, "apps.csv"), "utf8").split("\n")[0], /^app,source,runtime,invocations$/);
});

t.test("generation is seeded: same seed, same files; another seed, other applications; apps do not depend on how many are drawn", async (t) => {
  const model = knownSegmentModel();
  const a = path.join(tmp(t), "a");
  const b = path.join(tmp(t), "b");
  writeGenerated(a, model, { apps: 5, seed: 9, invocations: 2 });
  writeGenerated(b, model, { apps: 5, seed: 9, invocations: 2 });
  const files = (d: string) => readdirSync(d, { recursive: true }).map(String).sort();
  t.same(files(a), files(b));
  for (const f of files(a).filter((f) => f.endsWith(".csv"))) t.equal(readFileSync(path.join(a, f), "utf8"), readFileSync(path.join(b, f), "utf8"), f);
  const other = generateDataset(model, { apps: 5, seed: 10, invocations: 2 });
  t.notSame(
    other.workloads.map((w) => w.points[0].duration),
    generateDataset(model, { apps: 5, seed: 9, invocations: 2 }).workloads.map((w) => w.points[0].duration),
  );
  const three = generateDataset(model, { apps: 3, seed: 9, invocations: 2 });
  t.same(three.workloads, generateDataset(model, { apps: 5, seed: 9, invocations: 2 }).workloads.slice(0, 3));
});

t.test("the monitoring is consistent with the model: CPU time, paging, capped resident set", async (t) => {
  const model = knownSegmentModel();
  const ds = generateDataset(model, { apps: 40, seed: 3, inputSpread: 0 });
  let paged = 0;
  ds.apps.forEach((app, i) => {
    const w = ds.workloads[i];
    for (const p of w.points) {
      const ex = executionAt(app.demand, model.platform, p.memoryMb!);
      t.ok(Math.abs(p.duration / ex.durationMs - 1) < 1e-6, `${w.id} at ${p.key}: duration from the model (no noise)`);
      const user = p.metrics[ds.metricNames.indexOf("user_cpu_fraction")] * p.duration;
      t.ok(Math.abs(user - app.demand.cpuUserMs) < 1e-3 * Math.max(1, user), "user CPU time does not depend on the size");
      if (ex.swapFactor > 1.5) {
        paged++;
        const rss = 10 ** p.metrics[ds.metricNames.indexOf("log10_1p_maxRss")] - 1;
        t.ok(rss / 1024 <= p.memoryMb! * 1.0001, "the resident set is capped by the memory size while paging");
      }
    }
  });
  t.ok(paged > 0, `some points page (${paged})`);
});

t.test("the segment model's predictor reads only the bases, and recovers a known curve from one base", async (t) => {
  const model = knownSegmentModel();
  const ds = generateDataset(model, { apps: 20, seed: 4, inputSpread: 0 });
  for (const w of ds.workloads) {
    const { query, truth } = makeQuery(w, ["2048"]);
    const pred = predictWithSegmentModel(model, query, ds.metricNames);
    pred.forEach((p, j) => t.ok(Math.abs(p / truth[j] - 1) < 0.02, `${w.id} at ${query.targets[j].key}: ${p.toFixed(1)} vs ${truth[j].toFixed(1)}`));
    // Whatever was measured at the targets, the prediction is the same.
    const altered = { ...w, points: w.points.map((p) => (p.key === "2048" ? p : { ...p, duration: p.duration * 7, metrics: p.metrics.map((v) => v + 1) })) };
    t.same(predictWithSegmentModel(model, makeQuery(altered, ["2048"]).query, ds.metricNames), pred);
  }
});

t.test("model files: saved and loaded unchanged; a missing, malformed or incomplete file is an error naming it", async (t) => {
  const d = tmp(t);
  const f = path.join(d, "m.json");
  saveSegmentModel(f, knownSegmentModel());
  t.same(loadSegmentModel(f), knownSegmentModel());
  t.throws(() => loadSegmentModel(path.join(d, "nope.json")), { name: "RcsDataError", message: /nope\.json does not exist/ });
  writeFileSync(f, "{ not json");
  t.throws(() => loadSegmentModel(f), /m\.json is not valid JSON/);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a model file as a user could break it
  const bad = (mutate: (m: any) => void, re: RegExp) => {
    const m = JSON.parse(JSON.stringify(knownSegmentModel()));
    mutate(m);
    writeFileSync(f, JSON.stringify(m));
    t.throws(() => loadSegmentModel(f), re);
  };
  bad((m) => (m.format = "other@1"), /format "other@1", expected flash-adapt-rcs-segments@1/);
  bad((m) => delete m.segments.sleep, /segments\.sleep is missing/);
  bad((m) => (m.segments.compress.ioMs = -1), /segments\.compress\.ioMs is -1, expected a finite number >= 0/);
  bad((m) => (m.platform.sizesMb = [256, 128]), /sizesMb must be ascending/);
  bad((m) => (m.noise.cvDuration = [1, 2]), /noise\.cvDuration is not an array of 101 numbers/);
  bad((m) => (m.runtimes.python.gaugeMaps = []), /runtimes\.python needs/);
});

t.test("generate: bad options are clear errors", async (t) => {
  const m = knownSegmentModel();
  t.throws(() => generateDataset(m, { apps: 0, seed: 1 }), { name: "RcsDataError", message: /apps must be a positive integer, got 0/ });
  t.throws(() => generateDataset(m, { apps: 2, seed: 1, invocations: 0 }), /invocations must be a positive integer/);
  t.throws(() => generateDataset(m, { apps: 2, seed: 1, maxSegments: 17 }), /maxSegments must be an integer in 1\.\.16/);
  t.throws(() => generateDataset(m, { apps: 2, seed: 1, inputSpread: -1 }), /inputSpread must be >= 0/);
  // A model whose segments take no time would write zero durations (and NaN monitoring ratios).
  for (const seg of Object.values(m.segments)) Object.assign(seg, { cpuUserMs: 0, cpuSysMs: 0, cpuWallMs: 0, ioMs: 0 });
  t.throws(() => generateDataset(m, { apps: 1, seed: 1 }), {
    name: "RcsDataError",
    message: /generate: application g0000-\S+ takes 0 ms at 128 MB under this segment model; every segment needs a positive time/,
  });
});
