// The PCC-RL check's own logic (PCC-RL itself is not here: the check needs a checkout
// given with --pcc-rl): usage errors, the episodes it runs, our side of one episode, the
// comparison of two sides.
import t from "tap";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkScenarios, compareRuns, runOurs, runPccrlCheck, type SideRun } from "../../bench/pcc-rl.js";
import { UsageError, exitCodeFor } from "../../errors.js";

t.test("without a usable PCC-RL checkout the check is a usage error (exit 2) that says what is missing", async (t) => {
  await t.rejects(runPccrlCheck([]), /--pcc-rl DIR is required/);
  const err = await runPccrlCheck([]).catch((e: unknown) => e);
  t.ok(err instanceof UsageError);
  t.equal(exitCodeFor(err), 2);
  const empty = mkdtempSync(path.join(os.tmpdir(), "no-pcc-rl-"));
  await t.rejects(runPccrlCheck(["--pcc-rl", empty]), /expected a PCC-RL work tree with src\/gym\/network_sim\.py/);
  await t.rejects(runPccrlCheck(["--pcc-rl", empty, "--bogus", "1"]), /unknown option --bogus/);
});

t.test("the episodes: loss-free links of 100-2,000 packets/s, constant rates at 0.5-1.3 x capacity, and ramps", async (t) => {
  const sc = checkScenarios(40);
  t.equal(sc.length, 180);
  t.equal(new Set(sc.map((s) => s.id)).size, 180, "distinct ids");
  t.ok(sc.every((s) => s.bw >= 100 && s.bw <= 2000 && s.actions.length === 40));
  const constant = sc.filter((s) => s.kind === "constant");
  t.equal(constant.length, 144);
  t.ok(constant.every((s) => s.rate / s.bw >= 0.5 && s.rate / s.bw <= 1.3 && s.actions.every((a) => a === 0)));
  const ramp = sc.filter((s) => s.kind === "ramp");
  t.ok(
    ramp.every((s) => s.actions.slice(0, 40).every((a) => a === 1)),
    "up for 50 MIs first",
  );
});

t.test("our side: padding first, one reward per MI, the rate held at the episode's", async (t) => {
  const sc = checkScenarios(30).find((s) => s.id === "bw300-d50ms-q100-x0.9")!;
  const run = runOurs(sc);
  t.same(run.firstObservation, new Array(10).fill([0, 1, 1]).flat());
  t.equal(run.rewards.length, 30);
  // 270 packets/s on 300: no queue, RTT 0.1 s; recv rate (acked - 1) / D averages near 270 - 1 / D.
  const meanLatency = run.latency.reduce((a, b) => a + b, 0) / 30;
  t.ok(Math.abs(meanLatency - 0.1) < 1e-9, `latency ${meanLatency}`);
  t.ok(run.loss.every((l) => l === 0));
});

t.test("the comparison: relative difference of mean reward per MI, exact equality of the first observation", async (t) => {
  const sc = checkScenarios(2)[0];
  const side = (rewards: number[], first: number[]): SideRun => ({
    rewards,
    recvRate: [1, 1],
    latency: [0.1, 0.1],
    loss: [0, 0],
    firstObservation: first,
    seconds: 1,
    cpuSeconds: 1,
    steps: 2,
  });
  const row = compareRuns(sc, side([1, 3], [0, 1, 1]), side([2, 2.04], [0, 1, 1]));
  t.ok(Math.abs(row.rewardRelDiff - 0.02 / 2.02) < 1e-12, "means 2 and 2.02");
  t.equal(row.firstObservationEqual, true);
  t.equal(compareRuns(sc, side([1, 1], [0, 0, 1]), side([1, 1], [0, 1, 1])).firstObservationEqual, false);
});
