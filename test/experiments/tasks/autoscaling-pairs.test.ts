/** The autoscaling oracle's features: the few smooth numbers that set a pair's best allocation (docs/notes/autoscaling-room.md). */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { drawPairs, pairOracle, pairTrace, type AutoscalingPair } from "../../../experiments/tasks/autoscaling-pairs.js";
import { autoscalingProfile } from "../../../experiments/tasks/autoscaling.js";
import { APP_SCHEMA, type Application } from "../../../sim/k8s/app.js";
import { applyScenario } from "../../../sim/k8s/scenarios.js";

const cfg = autoscalingProfile("golden", 0, { traces: null, apps: null });
const base = cfg.testPairs[0];

function pairWith(app: Application): AutoscalingPair {
  return { ...base, app, id: `${app.name}@${base.traceKey}` };
}

t.test("pairOracle: ten finite features; an I/O-only application has CPU share ~0, a CPU-only one 1", async (t) => {
  const io: Application = { schema: APP_SCHEMA, name: "io", segments: [{ kind: "sleep", size: 200 }], runtimeMemoryMB: 100, sloMs: 800, load: 1 };
  const cpu: Application = { ...io, name: "cpu", segments: [{ kind: "floatOperations", size: 20 }] };
  const fi = pairOracle(cfg.env, pairWith(io));
  const fc = pairOracle(cfg.env, pairWith(cpu));
  t.equal(fi.length, 10);
  t.ok([...fi, ...fc].every(Number.isFinite));
  t.ok(fi[2] < 0.01, `sleep: CPU share ${fi[2]}`);
  t.ok(Math.abs(fc[2] - 1) < 1e-12, `floatOperations: CPU share ${fc[2]}`);
  t.equal(fi[1], Math.log(100), "log idle memory");
  t.ok(fi[0] > fi[1], "the peak working set is above the idle memory");
  t.equal(fc[3], 0, "a single-threaded segment gains nothing from 4 cores");
  t.equal(fi.slice(6).join(), fc.slice(6).join(), "same trace, same trace features");
});

t.test("pairOracle: a load update moves only the log load, by log 2", async (t) => {
  const f0 = pairOracle(cfg.env, base);
  const f1 = pairOracle(cfg.env, pairWith(applyScenario(base.app, "loadLevel", 2)));
  t.ok(Math.abs(f1[5] - f0[5] - Math.log(2)) < 1e-2, `log load ${f0[5]} -> ${f1[5]}`);
  t.same(
    f1.filter((_, i) => i !== 5),
    f0.filter((_, i) => i !== 5),
  );
});

/** A folder holding one `t,rate` trace of `hours` at 60 s steps, zero before `loadFrom` (a share of its length). */
function outageTraceDir(hours: number, loadFrom: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "outage-"));
  const n = hours * 60;
  const rows = Array.from({ length: n }, (_, i) => `${i * 60},${i >= loadFrom * n ? 5 + (i % 7) : 0}`);
  writeFileSync(path.join(dir, "outage.csv"), ["t,rate", ...rows].join("\n") + "\n");
  return dir;
}

t.test("drawPairs: a trace window inside a recorded outage (all zeros) is redrawn, so every pair's window has load", async (t) => {
  const env = { ...cfg.env, traceSeconds: 3600 };
  // 40 h of which the first 80% are an outage: most first draws of a 1 h window fall in it.
  const dir = outageTraceDir(40, 0.8);
  const pairs = drawPairs(3, 24, env, { traces: dir });
  for (const p of pairs) {
    const tr = pairTrace(p, env);
    t.ok(
      tr.rates.some((r) => r > 0),
      `${p.id}: window at ${p.trace.source === "file" ? p.trace.offsetSeconds : "-"} s has load`,
    );
  }
  t.same(
    drawPairs(3, 24, env, { traces: dir }).map((p) => p.trace),
    pairs.map((p) => p.trace),
    "seeded: the same windows again",
  );
  t.throws(
    () => drawPairs(3, 2, env, { traces: outageTraceDir(10, 2) }),
    /window with some load .*all-zero windows/,
    "a trace that is all zeros is refused by name",
  );
});
