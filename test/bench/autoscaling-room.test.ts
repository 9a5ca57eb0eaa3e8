/** The autoscaling room measurement: the policy families act as documented and the cross-pair matrix is well formed and seeded. */
import t from "tap";
import { controller, COARSE, measureRoom, sameAppPairs, roomPairs, widenTraces } from "../../bench/autoscaling-room.js";
import { decodeAction, encodeAction, type ActionScale } from "../../envs/autoscaling/spaces.js";
import { autoscalingProfile } from "../../experiments/tasks/autoscaling.js";

const SCALE: ActionScale = { cpuMin: 0.1, cpuMax: 3.9, memMinMB: 64, memMaxMB: 8192, maxReplicas: 32 };

function obsOf(cpu: number, memMB: number, replicas: number, cpuUtil: number, memUtil: number): Float32Array {
  return Float32Array.from([cpu / SCALE.cpuMax, memMB / SCALE.memMaxMB, replicas / SCALE.maxReplicas, cpuUtil, memUtil, 1, 1, 0, 0]);
}

t.test("controller: a fixed policy is its action; the rule scales replicas by utilisation / target and doubles memory after an OOM kill", async (t) => {
  const fixed = controller("fixed", [0.2, -0.4, 0.6], SCALE);
  t.same(Array.from(fixed(obsOf(1, 512, 4, 0.9, 0.5))), Array.from(Float32Array.from([0.2, -0.4, 0.6])));
  // cpuTarget at p[1] = -1 is 0.2, memTarget at p[2] = 1 is 0.95.
  const rule = controller("rule", [0, -1, 1], SCALE);
  const busy = decodeAction(rule(obsOf(1, 512, 4, 0.4, 0.95 * 0.5)), SCALE);
  t.equal(busy.replicas, 8, "4 replicas at 40% with a 20% target -> 8");
  t.ok(Math.abs(busy.memoryLimitMB - 256) < 1, `memory follows use / target: ${busy.memoryLimitMB}`);
  t.ok(Math.abs(busy.cpuLimit - Math.sqrt(0.1 * 3.9)) < 1e-3, "CPU limit is the policy's constant (action 0: the geometric middle)");
  const oom = decodeAction(rule(obsOf(1, 512, 4, 0.1, 1)), SCALE);
  t.ok(Math.abs(oom.memoryLimitMB - 1024) < 2, `an OOM kill doubles memory: ${oom.memoryLimitMB}`);
  t.equal(oom.replicas, 2, "scales down when idle");
  t.same(Array.from(encodeAction(decodeAction([0, 0, 0], SCALE), SCALE)).map(Math.round), [0, 0, 0]);
});

t.test("sameAppPairs: the first application on each distinct trace", async (t) => {
  const cfg = autoscalingProfile("golden", 0);
  const all = roomPairs(cfg);
  const same = sameAppPairs(all);
  t.equal(new Set(same.map((p) => p.traceKey)).size, same.length, "one pair per trace");
  t.equal(same.length, new Set(all.map((p) => p.traceKey)).size);
  t.ok(
    same.every((p) => p.app === all[0].app && p.id === `${all[0].app.name}@${p.traceKey}`),
    "every pair runs the first application",
  );
});

t.test("widenTraces: synthetic traces redrawn inside the wider ranges, seeded; ids and applications kept", async (t) => {
  const pairs = roomPairs(autoscalingProfile("golden", 0));
  const wide = widenTraces(pairs, 0);
  t.same(wide, widenTraces(pairs, 0), "seeded");
  t.notSame(wide, widenTraces(pairs, 1), "another seed, other traces");
  wide.forEach((p, i) => {
    t.equal(p.id, pairs[i].id);
    t.equal(p.app, pairs[i].app);
    if (p.trace.source !== "synthetic") return t.fail("golden pairs have synthetic traces");
    t.ok(p.trace.diurnalAmplitude >= 0.05 && p.trace.diurnalAmplitude <= 0.9);
    t.ok(p.trace.noiseStd >= 0.1 && p.trace.noiseStd <= 0.6);
    t.ok(p.trace.burstsPerHour >= 0 && p.trace.burstsPerHour <= 3);
  });
});

t.test("measureRoom (golden profile): zero diagonal, drops against each pair's own best, the same numbers from the same seed", async (t) => {
  const a = measureRoom("golden", 0, { selectEpisodes: 1, families: ["fixed"] });
  const b = measureRoom("golden", 0, { selectEpisodes: 1, families: ["fixed"] });
  t.same(a, b, "seeded");
  const f = a.families[0];
  const n = a.pairs.length;
  t.equal(n, roomPairs(autoscalingProfile("golden", 0)).length, "every pool, new and update pair");
  t.equal(f.drop.length, n);
  for (let i = 0; i < n; i++) {
    t.equal(f.drop[i][i], 0, "a pair's own best loses nothing");
    for (let j = 0; j < n; j++) {
      const expect = (f.rewards[i][i] - f.rewards[i][j]) / (f.rewards[i][i] - a.random[i]);
      t.ok(Math.abs(f.drop[i][j] - expect) < 1e-12, "the harness's drop with the pair's own best as reference");
    }
  }
  t.ok(
    [...COARSE, ...f.best].some((p) => p.join() === f.universal.params.join()),
    "the universal policy is a coarse-grid point or a pair's best",
  );
  t.equal(f.universal.drop.length, n);
  t.equal(f.offDiagonal.n, n);
});
