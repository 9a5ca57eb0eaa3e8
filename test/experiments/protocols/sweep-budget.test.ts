import t from "tap";
import { REPORT_BUDGETS } from "../../helpers/fake-task.js";
import { adaptedPairs, planRl } from "../../../experiments/protocols/rl-reproduce.js";
import { applySweepBudget, configAtSize, parseSweepBudget, pretrainEpisodesAt } from "../../../experiments/protocols/sweep-budget.js";
import type { RlBudgets, RlTask } from "../../../experiments/tasks/types.js";

type Cfg = { budgets: RlBudgets };
/** A fake task whose config carries its budgets, as every kit task's does. */
const fake = {
  name: "fake",
  budgets: (c: Cfg) => c.budgets,
  withBudgets: (c: Cfg, b: RlBudgets) => ({ ...c, budgets: { ...b } }),
  pairs: (_c: unknown, n?: number) => ({ pool: ["a", "b", "c", "d", "e", "f"].slice(0, n ?? 6), test: ["p", "q", "r"] }),
  oracle: () => [1],
  describe: () => "fake",
} as unknown as RlTask;
const cfg: Cfg = { budgets: { ...REPORT_BUDGETS, pretrainEpisodes: 40 } };

t.test("parseSweepBudget: total:N and per-pair:N; anything else names what was expected", async (t) => {
  t.same(parseSweepBudget("per-pair:35"), { kind: "per-pair", episodes: 35 });
  t.same(parseSweepBudget("total:64"), { kind: "total", episodes: 64 });
  for (const bad of ["per-pair:0", "per-pair", "35", "per-pair:3.5", "perpair:35", "total:-1", ""])
    t.throws(() => parseSweepBudget(bad), { name: "OptionValueError", message: /--budget: expected total:N or per-pair:N with N a positive integer/ }, bad);
  t.throws(() => parseSweepBudget(true), { name: "OptionValueError" }, "a flag without a value");
});

t.test("per-pair budget arithmetic: N x size episodes per pool size, the total otherwise", async (t) => {
  t.equal(pretrainEpisodesAt(64, undefined, 48), 64, "a fixed total at every size");
  t.equal(pretrainEpisodesAt(64, 35, 12), 420);
  t.equal(pretrainEpisodesAt(64, 35, 96), 3360);
  t.equal(pretrainEpisodesAt(7000, 35, 200), 7000, "the paper's ~35 per application at 200 applications");
  t.equal(configAtSize(fake, cfg, 4, undefined), cfg, "no per-pair budget: the same config object (unit keys unchanged)");
  t.equal((configAtSize(fake, cfg, 4, 10) as Cfg).budgets.pretrainEpisodes, 40, "4 x 10 = the total: the same config");
  t.equal((configAtSize(fake, cfg, 6, 10) as Cfg).budgets.pretrainEpisodes, 60);
  t.equal(cfg.budgets.pretrainEpisodes, 40, "the run's config is not changed");
});

t.test("applySweepBudget: a total is folded into the config and must reach every pool pair; per-pair is returned apart", async (t) => {
  t.same(applySweepBudget(fake, cfg, undefined, [2, 6], "sweep"), { cfg, perPair: undefined });
  const tot = applySweepBudget(fake, cfg, { kind: "total", episodes: 12 }, [2, 6], "sweep");
  t.equal((tot.cfg as Cfg).budgets.pretrainEpisodes, 12);
  t.throws(() => applySweepBudget(fake, cfg, { kind: "total", episodes: 4 }, [2, 6], "sweep"), { name: "ConfigError", message: /at most 4 .*got 6/ });
  t.same(applySweepBudget(fake, cfg, { kind: "per-pair", episodes: 35 }, [2, 6], "sweep"), { cfg, perPair: 35 });
  const noChange = { ...fake, withBudgets: undefined } as unknown as RlTask;
  t.throws(() => applySweepBudget(noChange, cfg, { kind: "total", episodes: 12 }, [2], "sweep"), /cannot change its budgets/);
});

t.test("planRl with a per-pair budget: each size's pretraining, adaptation and serving read that size's budget; the oracle runs", async (t) => {
  const units = planRl(fake, "fake", cfg, 1, [2, 6], 0, 35);
  const budgetOf = (id: string) => ((units.find((u) => u.id === id)!.input as { cfg: Cfg }).cfg.budgets.pretrainEpisodes as number) ?? NaN;
  t.equal(budgetOf("P2/pretrain/flash/r0"), 70);
  t.equal(budgetOf("P6/pretrain/tl/r0"), 210);
  t.equal(budgetOf("P6/pretrain/oracle/r0"), 210, "the oracle pretrains in a sweep, with the same budget");
  t.equal(budgetOf("P6/adapt/flash/p/r0"), 210, "adaptation reads its size's config");
  t.equal(budgetOf("P2/serve/r0"), 70);
  t.equal(budgetOf("ref/p/r0"), 40, "references do not depend on the pool size");
  t.same((units.find((u) => u.id === "P6/serve/r0")!.input as { pretrain: object }).pretrain, {
    flash: "P6/pretrain/flash/r0",
    tl: "P6/pretrain/tl/r0",
    oracle: "P6/pretrain/oracle/r0",
  });
  t.ok(units.find((u) => u.id === "P6/pretrain/flash/r0")!.cost! > units.find((u) => u.id === "P2/pretrain/flash/r0")!.cost!, "cost grows with the size");
  t.notOk(
    units.some((u) => u.id.includes("tl-paper")),
    "the paper's TL is a reproduction's",
  );
  const total = planRl(fake, "fake", cfg, 1, [2, 6], 0);
  t.equal((total.find((u) => u.id === "P6/pretrain/tl/r0")!.input as { cfg: Cfg }).cfg, cfg, "a total budget: the run's config itself");
});

t.test("adaptPairs: adaptation on the first N test pairs; every test pair keeps its reference", async (t) => {
  t.same(adaptedPairs(["p", "q", "r"], {}), ["p", "q", "r"]);
  t.same(adaptedPairs(["p", "q", "r"], { adaptPairs: 2 }), ["p", "q"]);
  t.throws(() => adaptedPairs(["p"], { adaptPairs: 2 }), {
    name: "ConfigError",
    message: /adaptPairs: expected at most the 1 test pairs of the config, got 2/,
  });
  const c2: Cfg = { budgets: { ...cfg.budgets, adaptPairs: 1 } };
  const ids = planRl(fake, "fake", c2, 1).map((u) => u.id);
  t.same(
    ids.filter((id) => id.startsWith("adapt/flash/")),
    ["adapt/flash/p/r0"],
  );
  t.same(
    ids.filter((id) => id.startsWith("ref/")),
    ["ref/p/r0", "ref/q/r0", "ref/r/r0"],
  );
});
