/**
 * The profile tables: every RL task has one, its `profiles` are the table's names, each
 * entry says what it is for, `flash tasks` lists them, and a name outside the table is
 * an error listing the table's names.
 */
import t from "tap";
import { UnknownNameError } from "../../../errors.js";
import { taskLines } from "../../../experiments/runner/commands.js";
import { rlTask, taskEntry, taskNames } from "../../../experiments/tasks/index.js";
import { PAPER_FLASH, paperBudgets, pickProfile, profileLines, type ProfileSpec } from "../../../experiments/tasks/profiles.js";

const spec = (purpose: string, pool: number): ProfileSpec => ({
  purpose,
  pool,
  test: 2,
  flash: PAPER_FLASH,
  budgets: paperBudgets({ referenceEpisodes: 1, pretrainEpisodes: 2, adaptEpisodes: 3 }),
});

t.test("pickProfile: the entry, or an UnknownNameError naming the task and every known profile", async (t) => {
  const table = { tiny: spec("seconds", 2), big: spec("hours", 200) };
  t.equal(pickProfile(table, "big", "toy").pool, 200);
  t.throws(() => pickProfile(table, "huge", "toy"), UnknownNameError);
  t.throws(() => pickProfile(table, "huge", "toy"), /toy: unknown profile "huge"; known profiles: tiny, big/);
  t.throws(() => pickProfile(table, "toString", "toy"), UnknownNameError, "not an inherited property");
  t.same(profileLines(table), ["tiny (pool 2, 2 new pairs): seconds", "big (pool 200, 2 new pairs): hours"]);
});

t.test("paperBudgets: the paper's protocol constants around the task's episode counts", async (t) => {
  t.same(paperBudgets({ referenceEpisodes: 200, pretrainEpisodes: 2000, adaptEpisodes: 100 }), {
    referenceEpisodes: 200,
    pretrainEpisodes: 2000,
    adaptEpisodes: 100,
    embedEpisodes: 3,
    evalEpisodes: 10,
    abTargets: 10,
    window: 10,
    tolerance: 0.05,
  });
});

t.test("every RL task: one profile table; its names are the task's profiles, each with a purpose; flash tasks lists them", async (t) => {
  const lines = await taskLines();
  for (const name of taskNames().filter((n) => taskEntry(n).rl)) {
    const task = await rlTask(name);
    const table = task.profileTable;
    if (!table) {
      t.fail(`${name} has no profile table`);
      continue;
    }
    t.same(task.profiles, Object.keys(table), `${name}: profiles are the table's names`);
    t.ok(task.profiles.includes("quick"), `${name}: the CLI's default profile exists`);
    for (const [p, x] of Object.entries(table)) {
      t.ok(x.purpose.length > 10, `${name} ${p}: says what it is for`);
      t.ok(lines.includes(`  --profile ${p} (pool ${x.pool}, ${x.test} new pairs): ${x.purpose}`), `flash tasks lists ${name} ${p}`);
    }
    t.throws(() => task.profile("nope", 0), new RegExp(`unknown profile "nope"; known profiles: ${task.profiles.join(", ")}`));
  }
});
