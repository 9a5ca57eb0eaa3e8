import t from "tap";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { plateaued, referenceDone, referenceTraining } from "../../../experiments/protocols/plateau.js";
import { selectBackend } from "../../../flash/backend.js";
import { autoscalingProfile, createAutoscalingTask } from "../../../experiments/tasks/autoscaling.js";

const o = { window: 3, tolerance: 0.05, baseline: 0 };

t.test("plateaued: the last window improves on the one before by less than the band", async (t) => {
  // Means 10 then 10.4: improvement 0.4 < 0.05 * 10.4 = 0.52.
  t.equal(plateaued([10, 10, 10, 10.4, 10.4, 10.4], o), true);
  // Means 10 then 11: 1 > 0.55.
  t.equal(plateaued([10, 10, 10, 11, 11, 11], o), false);
  t.equal(plateaued([10, 10, 10, 9, 9, 9], o), true, "a decline is no longer improving");
  t.equal(plateaued([10, 10, 10, 10, 10], o), false, "fewer than two windows: not yet");
  // Negative rewards: the band is 5% of the distance from the random policy (-1000).
  t.equal(plateaued([-200, -200, -200, -170, -170, -170], { ...o, baseline: -1000 }), true, "30 < 0.05 * 830");
  t.equal(plateaued([-300, -300, -300, -200, -200, -200], { ...o, baseline: -1000 }), false);
  t.equal(referenceDone([10, 10, 10, 10, 10, 10], 8, o), false, "before the minimum episodes");
  t.equal(referenceDone([10, 10, 10, 10, 10, 10, 10, 10], 8, o), true);
  t.throws(() => plateaued([1], { ...o, window: 0 }), /positive integer window/);
});

t.test("referenceTraining: runs stopped on a plateau and at the cap; null without a cap", async (t) => {
  const runs = [
    { returns: new Array(40).fill(1), plateau: true },
    { returns: new Array(60).fill(1), plateau: false },
    { returns: new Array(50).fill(1), plateau: true },
  ];
  t.same(referenceTraining(runs, { referenceEpisodes: 40, referenceCap: 60 }), {
    min_episodes: 40,
    cap: 60,
    runs: 3,
    plateau: 2,
    capped: 1,
    episodes: { mean: 50, min: 40, max: 60 },
  });
  t.equal(referenceTraining(runs, { referenceEpisodes: 40 }), null);
});

t.test("a reference with a cap trains to the minimum when it plateaus at once, and to the cap when it never does", async (t) => {
  await selectBackend();
  const root = mkdtempSync(path.join(os.tmpdir(), "plateau-"));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const task = createAutoscalingTask();
  const base = autoscalingProfile("golden", 0, { traces: null, apps: null });
  const pair = base.testPairs[0].id;
  const run = async (tolerance: number, dir: string) => {
    const cfg = { ...base, budgets: { ...base.budgets, referenceEpisodes: 2, referenceCap: 5, window: 1, tolerance } };
    return task.reference(cfg, pair, 1, path.join(root, dir), () => {});
  };
  // A band of 1000 x the scale: any two episodes are a plateau.
  const flat = await run(1000, "flat");
  t.equal(flat.returns.length, 2, "stopped at the minimum");
  t.equal(flat.evalCurve!.length, 2);
  t.equal(flat.plateau, true);
  // A negative band: never a plateau.
  const capped = await run(-1000, "capped");
  t.equal(capped.returns.length, 5, "stopped at the cap");
  t.equal(capped.plateau, false);
  t.same(capped.returns.slice(0, 2), flat.returns, "the same first episodes: stopping changes nothing before it");
  const fixed = await task.reference(base, pair, 1, path.join(root, "fixed"), () => {});
  t.equal(fixed.plateau, undefined, "no cap: a fixed number of episodes, no plateau flag");
});
