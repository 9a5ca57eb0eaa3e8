/**
 * The case-study descriptors: the registry is the list, each RL study loads its task,
 * and each benchmark a descriptor names runs and reports finite figures.
 */
import t from "tap";
import { CASE_STUDIES, rlTask, taskEntry, taskNames } from "../../../experiments/tasks/index.js";

t.test("the registry is CASE_STUDIES: one entry per descriptor, by its name", async (t) => {
  t.same(
    taskNames().slice(0, CASE_STUDIES.length),
    CASE_STUDIES.map((c) => c.name),
  );
  t.equal(new Set(CASE_STUDIES.map((c) => c.name)).size, CASE_STUDIES.length, "names unique");
  for (const c of CASE_STUDIES) {
    t.equal(taskEntry(c.name), c, `${c.name}: the registry holds the descriptor itself`);
    t.ok(Boolean(c.rl) !== Boolean(c.reproduce), `${c.name}: an RL loader or its own reproduction, not both`);
    if (c.rl) t.equal((await rlTask(c.name)).name, c.name, `${c.name}: the loader gives the task of that name`);
  }
});

t.test("every benchmark a descriptor names runs (quick) and reports finite figures", async (t) => {
  const benches = CASE_STUDIES.filter((c) => c.bench);
  t.same(
    benches.map((c) => c.name),
    ["autoscaling", "cpufreq", "congestion"],
  );
  for (const c of benches) {
    const r = await c.bench!.run({ quick: true });
    const numbers = Object.entries(r.results).filter(([, v]) => typeof v === "number");
    t.ok(numbers.length >= 1, `${c.name}: numeric figures`);
    for (const [k, v] of numbers) t.ok(Number.isFinite(v) && (v as number) > 0, `${c.name}: ${k} = ${v}`);
    t.ok(r.lines.length >= 1 && r.lines.every((l) => l.length > 0), `${c.name}: table lines`);
  }
});
