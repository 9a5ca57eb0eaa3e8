/**
 * `flash room` programmatically (experiments/runner/run-room.ts) on tiny profiles: room.json
 * and room.md are written, the room covers every new, updated and pool pair, the search
 * resumes from its units, and with `--references` the RL references are trained as
 * `flash reproduce` trains them and compared with the best policy that needs no learning.
 */
import t from "tap";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runRoom, ROOM_FORMAT } from "../../../experiments/runner/run-room.js";
import { rlTask } from "../../../experiments/tasks/index.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "flash-room-"));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

t.test("runRoom (cpufreq demo): every pair searched once, room.json and room.md, the same numbers when resumed", async (t) => {
  const out = path.join(tmp, "cpufreq");
  const r = await runRoom({ task: "cpufreq", profile: "demo", out, workers: 0, log: () => {} });
  const task = await rlTask("cpufreq");
  const cfg = task.profile("demo", 0);
  const p = task.pairs(cfg);
  const all = new Set([...p.test, ...p.pool, ...task.updates!(cfg).map((u) => u.pair)]);
  t.equal(r.format, ROOM_FORMAT);
  t.equal(r.room!.pairs.length, all.size, "new, updated and pool pairs");
  t.same(new Set(r.room!.pairs.map((x) => x.pair)), all);
  t.equal(r.references, null, "no references without --references");
  t.ok(existsSync(path.join(out, "room.md")));
  const md = readFileSync(path.join(out, "room.md"), "utf8");
  t.match(md, /## Room for a context \(fixed actions, no learning\)/);
  t.match(md, new RegExp(`\\*\\*Verdict\\*\\*: (room|no room|undecided): `));
  t.same(JSON.parse(readFileSync(path.join(out, "room.json"), "utf8")).room, r.room);
  const again = await runRoom({ task: "cpufreq", profile: "demo", out, workers: 0, log: () => {} });
  t.equal(again.wall.resumed_units, all.size, "every unit resumed");
  t.same(again.room, r.room, "the same numbers");
});

t.test("runRoom --references (pendulum golden): the reproduction's reference units and the rule on every new pair", async (t) => {
  const out = path.join(tmp, "pendulum");
  const r = await runRoom({ task: "pendulum-family", profile: "golden", out, references: true, seeds: 1, workers: 0, log: () => {} });
  const test = (await rlTask("pendulum-family")).pairs((await rlTask("pendulum-family")).profile("golden", 0)).test;
  t.same(
    r.references!.map((x) => x.pair),
    test,
  );
  t.ok(r.wall.by_kind.reference > 0, "reference units ran");
  const rule = r.reference_rule!;
  t.equal(rule.pairs, test.length);
  t.equal(rule.reached, r.references!.filter((x) => x.reached).length);
  for (const x of r.references!) {
    t.equal(x.reached, x.eval_return >= x.non_learning!.eval_return, `${x.pair}: reached means the RL reference is at least as good`);
    t.equal(x.used!.eval_return, Math.max(x.eval_return, x.non_learning!.eval_return), "the stronger of the two is used");
  }
  t.match(readFileSync(path.join(out, "room.md"), "utf8"), /## The RL references against the best policy that needs no learning/);
});
