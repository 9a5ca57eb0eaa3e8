/**
 * Convergence on evaluation curves (`RlTask.convergenceCurve: "evaluation"`): the
 * harness judges references and adaptations on `evalCurve`, not on training returns.
 */
import t from "tap";
import { curveOf, pairReferences, summarise, trainingCurve } from "../../experiments/protocols/rl-reproduce.js";
import type { UnitRecord } from "../../experiments/runner/pool.js";
import type { RlTask } from "../../experiments/tasks/types.js";
import { FAKE_BUDGETS } from "../helpers/fake-task.js";

const budgets = { ...FAKE_BUDGETS, window: 3 };
const rec = (id: string, kind: string, result: unknown): [string, UnitRecord] => [
  id,
  { id, kind, seed: 1, key: "k", result, seconds: 1, worker: 0, finishedAt: "" },
];

function task(curve?: "training" | "evaluation"): RlTask {
  return {
    name: "fake-curve",
    summary: "fake",
    profiles: [],
    convergenceCurve: curve,
    profile: () => ({}),
    validateConfig: (raw: unknown) => raw as Record<string, unknown>,
    budgets: () => budgets,
    pairs: () => ({ pool: ["a"], test: ["p"] }),
    describe: () => "",
  } as unknown as RlTask;
}

t.test("curveOf picks the curve the task names, and refuses results without it", async (t) => {
  const r = { returns: [1, 2], evalCurve: [3, 4] };
  t.equal(curveOf(task()), trainingCurve);
  t.same(curveOf(task("training"))(r), [1, 2]);
  t.same(curveOf(task("evaluation"))(r), [3, 4]);
  t.throws(() => curveOf(task("evaluation"))({ returns: [1] }), /fake-curve: a unit result has no evalCurve/);
});

t.test("summarise judges convergence on evaluation curves", async (t) => {
  // Training returns are noise around 50; the deterministic curve climbs to 100 by episode 6.
  const noisy = Array.from({ length: 12 }, (_, i) => 50 + (i % 2 ? 20 : -20));
  const climb = Array.from({ length: 12 }, (_, i) => Math.min(100, 50 + 10 * i));
  const records = new Map([
    rec("ref/p/r0", "reference", { returns: noisy, evalCurve: new Array(12).fill(100), evalReturn: 100, baseline: 0, seconds: 1 }),
    rec("pretrain/flash/r0", "pretrain", { returns: [1], pairs: ["a"], episodes: 1, seconds: 1 }),
    rec("pretrain/tl/r0", "pretrain", { returns: [1], pairs: ["a"], episodes: 1, seconds: 1 }),
    rec("adapt/flash/p/r0", "adapt", { returns: noisy, evalCurve: climb, seconds: 1 }),
    rec("adapt/tl/p/r0", "adapt", { returns: noisy, evalCurve: new Array(12).fill(60), seconds: 1 }),
  ]);
  t.equal(pairReferences(records, 3, curveOf(task("evaluation"))).get("p")?.trainLevel, 100);
  const s = summarise(task("evaluation"), {}, records);
  t.equal(s.convergence_curve, "evaluation");
  const cost = (v: string) => s.adaptation.costs.find((c) => c.variant === v);
  t.equal(cost("scratch")?.episodes, 1, "the reference's own evaluation curve is at its level from the start");
  t.ok(cost("flash")?.converged, "the climbing evaluation curve converges");
  t.ok((cost("flash")?.episodes ?? 0) > 5, "after the moving average reaches 95");
  t.notOk(cost("tl")?.converged, "a flat curve at 60 never does");
  // The same records judged on training returns: a different verdict (noise at the reference's own level).
  const tr = summarise(task("training"), {}, records);
  t.equal(tr.convergence_curve, "training");
  t.ok(tr.adaptation.costs.find((c) => c.variant === "tl")?.converged, "on training returns tl 'converges' (same noise as its reference)");
});
