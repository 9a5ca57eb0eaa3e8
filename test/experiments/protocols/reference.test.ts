/**
 * The reference rule (experiments/protocols/reference.ts): a weak RL reference is replaced
 * by the best policy that needs no learning as the drop's zero and the convergence target
 * and flagged; a strong one is kept; a bound never becomes the reference; the best fixed
 * action is chosen on the selection windows, not on the numbers it is judged by.
 */
import t from "tap";
import { REPORT_BUDGETS } from "../../helpers/fake-task.js";
import { nonSnakeFields } from "../../helpers/results-fields.js";
import { ruleReference, applyReferenceRule } from "../../../experiments/protocols/reference.js";
import { drops, type PairReference } from "../../../experiments/protocols/reward-drop.js";
import { planRl, summarise } from "../../../experiments/protocols/rl-reproduce.js";
import { bestFixed, roomUnits } from "../../../experiments/protocols/room-units.js";
import { rlMarkdown } from "../../../experiments/report/rl-report.js";
import type { UnitRecord } from "../../../experiments/runner/pool.js";
import type { RlResults } from "../../../experiments/runner/results.js";
import type { RlTask } from "../../../experiments/tasks/types.js";

const rl = (pair: string, evalReturn: number, trainLevel = evalReturn, baseline = -1100): PairReference => ({ pair, evalReturn, trainLevel, baseline });

t.test("ruleReference: a weak RL reference is replaced and flagged; a strong or equal one is kept; nothing to compare with: kept, unflagged", async (t) => {
  const weak = ruleReference(rl("p", -100, -130), { fixed: { label: "a1", selectReturn: -80, evalReturn: -60 }, baselines: { hpa: -90 }, bounds: {} });
  t.equal(weak.reached, false);
  t.equal(weak.source, "fixed:a1", "the stronger of the fixed action and the baselines");
  t.same(weak.used, { pair: "p", evalReturn: -60, trainLevel: -130 + 40, baseline: -1100, source: "fixed:a1" }, "target raised by the margin");
  t.same(weak.rl, rl("p", -100, -130), "the RL reference is kept beside");

  const byBaseline = ruleReference(rl("p", -100), { fixed: { label: "a0", selectReturn: -95, evalReturn: -95 }, baselines: { hpa: -50 }, bounds: {} });
  t.equal(byBaseline.source, "hpa");
  t.equal(byBaseline.used.evalReturn, -50);

  const strong = ruleReference(rl("q", -100), {
    fixed: { label: "a2", selectReturn: -120, evalReturn: -120 },
    baselines: { hpa: -200 },
    bounds: { oracle: 0 },
  });
  t.equal(strong.reached, true);
  t.equal(strong.source, "rl");
  t.same(strong.used, { ...rl("q", -100), source: "rl" }, "a bound above the RL reference does not replace it");

  const tie = ruleReference(rl("q", -100), { fixed: { label: "a2", selectReturn: -100, evalReturn: -100 }, baselines: {}, bounds: {} });
  t.equal(tie.reached, true, "at least as good: a tie is reached");

  const none = ruleReference(rl("q", -100), { fixed: null, baselines: {}, bounds: {} });
  t.equal(none.reached, null);
  t.equal(none.source, "rl");
});

t.test("drops against a ruled reference: flagged with its source; a test the RL reference would exclude is kept", async (t) => {
  const refs = new Map([
    ["p", ruleReference(rl("p", -1200), { fixed: { label: "a1", selectReturn: -500, evalReturn: -500 }, baselines: {}, bounds: {} }).used],
    ["q", ruleReference(rl("q", -100), { fixed: null, baselines: {}, bounds: {} }).used],
  ]);
  const served = [
    { variant: "flash", replicate: 0, pair: "p", reward: -800 },
    { variant: "flash", replicate: 0, pair: "q", reward: -600 },
  ];
  const before = drops(
    served,
    new Map([
      ["p", rl("p", -1200)],
      ["q", rl("q", -100)],
    ]),
  );
  t.same(
    before.excluded.map((x) => x.pair),
    ["p"],
    "RL reference below random: excluded before the rule",
  );
  const d = drops(served, refs);
  t.equal(d.excluded.length, 0);
  t.same(
    d.drops.map((x) => [x.pair, x.referenceSource, x.drop]),
    [
      ["p", "fixed:a1", (-500 + 800) / (-500 + 1100)],
      ["q", "rl", (-100 + 600) / (-100 + 1100)],
    ],
  );
});

const rec = (id: string, kind: string, result: unknown): [string, UnitRecord] => [
  id,
  { id, kind, seed: 1, key: "k", result, seconds: 2, worker: 0, finishedAt: "" },
];
const flat = (v: number, n = 30) => new Array<number>(n).fill(v);
const row = (pair: string, select: number[], evalR: number[]) => ({ pair, select, eval: evalR, randomSelect: -1100, randomEval: -1100, seconds: 0.5 });

/** p: the RL reference (-100) is weaker than the best fixed action (a1, -20); q: the RL reference beats every policy but a bound. */
function records(): Map<string, UnitRecord> {
  return new Map([
    rec("ref/p/r0", "reference", { returns: flat(-100), evalReturn: -100, baseline: -1100, baselines: { hpa: -300, oracle: 50 }, seconds: 1 }),
    rec("ref/q/r0", "reference", { returns: flat(-100), evalReturn: -100, baseline: -1100, baselines: { hpa: -200, oracle: 0 }, seconds: 1 }),
    // a2 is best on p's evaluation windows (-5) but not on its selection windows: the search must not pick it.
    rec("room/p", "room", row("p", [-900, -30, -500], [-950, -20, -5])),
    rec("room/q", "room", row("q", [-400, -300, -350], [-420, -310, -360])),
    rec("room/a", "room", row("a", [-100, -900, -900], [-100, -900, -900])),
    rec("adapt/flash/p/r0", "adapt", { returns: flat(-100), seconds: 1 }),
    rec("adapt/tl/p/r0", "adapt", { returns: flat(-100), seconds: 1 }),
    rec("adapt/flash/q/r0", "adapt", { returns: flat(-100), seconds: 1 }),
    rec("adapt/tl/q/r0", "adapt", { returns: flat(-100), seconds: 1 }),
    rec("ab/r0", "ab", {
      samples: [
        { variant: "flash", replicate: 0, pair: "p", reward: -150 },
        { variant: "flash", replicate: 0, pair: "q", reward: -200 },
        { variant: "tl", replicate: 0, pair: "p", reward: -300 },
        { variant: "tl", replicate: 0, pair: "q", reward: -350 },
      ],
      testEmbeddings: {},
      poolEmbeddings: {},
    }),
  ]);
}

const fake = {
  name: "fake",
  budgets: () => REPORT_BUDGETS,
  pairs: () => ({ pool: ["a"], test: ["p", "q"] }),
  describe: () => "fake",
  fixedActionGrid: () => ["a0", "a1", "a2"],
  boundBaselines: ["oracle"],
} as unknown as RlTask;

t.test("applyReferenceRule: the best fixed action by its selection windows, baselines by their mean, bounds apart", async (t) => {
  const { refs, ruled } = applyReferenceRule(
    fake,
    {},
    records(),
    new Map([
      ["p", rl("p", -100)],
      ["q", rl("q", -100)],
    ]),
  );
  const p = ruled.get("p")!;
  t.same(
    p.nonLearning.fixed,
    { label: "a1", selectReturn: -30, evalReturn: -20 },
    "a1 (best on the selection windows), not a2 (best on the evaluation windows)",
  );
  t.same(p.nonLearning.baselines, { hpa: -300 });
  t.same(p.nonLearning.bounds, { oracle: 50 }, "the oracle is a bound though it beats everything");
  t.equal(p.source, "fixed:a1");
  t.equal(refs.get("p")!.evalReturn, -20);
  t.equal(ruled.get("q")!.source, "rl");
  t.equal(refs.get("q")!.evalReturn, -100);
  t.notOk(ruled.has("a"), "a pool pair without a reference gets no rule");
});

t.test("summarise: drops and convergence use the ruled reference; results.json says so per pair, per test and over the run", async (t) => {
  const s = summarise(fake, {}, records());
  const rule = s.reference_rule!;
  t.same([rule.pairs, rule.reached, rule.fraction_reached], [2, 1, 0.5]);
  t.same(rule.by_source, { "fixed:a1": 1, rl: 1 });
  t.equal(rule.weak_reference_tests, 2, "FLASH and TL on p");
  t.same(rule.grid, { size: 3, select_windows: [1_000_500], eval_windows: [1_000_000] });
  t.same(rule.bounds, ["oracle"]);
  t.equal(rule.seconds, 1.5);
  const flashP = s.reward_drop.samples.find((x) => x.variant === "flash" && x.pair === "p")!;
  t.equal(flashP.reference_source, "fixed:a1", "the flag on the test");
  t.equal(flashP.drop, (-20 + 150) / (-20 + 1100), "the drop's zero is the fixed action's return");
  t.equal(rule.rl_only.reward_drop.flash!.mean, ((-100 + 150) / 1000 + (-100 + 200) / 1000) / 2, "the drop before the rule, beside");
  const ref = s.references.find((x) => x.pair === "p")!;
  t.same(
    [ref.eval_return, ref.reference_source, ref.reached, ref.used, ref.non_learning, ref.bounds],
    [-100, "fixed:a1", false, { eval_return: -20, train_level: -20 }, { source: "fixed:a1", eval_return: -20 }, { oracle: 50 }],
  );
  // A flat curve at -100: converged against the RL reference (-100), never against the raised target (-20, band -74).
  const cost = (v: string, p: string) => s.adaptation.costs.find((c) => c.variant === v && c.pair === p);
  t.same([cost("flash", "p")!.converged, cost("flash", "q")!.converged], [false, true]);
  t.equal(rule.rl_only.adaptation_speedup_vs_tl!.capped, 0, "against the RL references alone every run converged");
  t.same(nonSnakeFields(s), [], "field names snake_case; reference sources and room labels are map keys (names)");
  t.ok(s.room, "pool pair searched too: the room benchmark");
  t.equal(s.room!.pairs.length, 3);

  const md = rlMarkdown(
    { ...s, task: "fake", profile: "quick", command: "reproduce", describe: "fake", paper: null, ...REPORT_SHELL } as unknown as RlResults,
    [],
  );
  t.match(
    md,
    /- Reference rule: 1 of 2 pairs' RL references \(50%\) reach the best policy that needs no learning; reference source per pair: fixed:a1 \(1\), rl \(1\)\./,
  );
  t.match(md, /2 served A\/B test\(s\) sit on a pair whose RL reference did not reach it/);
  t.match(md, /\| p \| -100\.00 \| -100\.00 \| a1: -20\.00 \| fixed:a1: -20\.00 \| oracle 50\.00 \| -1100\.00 \| fixed:a1: -20\.00 \| \*\*no\*\* \|/);
  t.match(md, /## Room for a context \(fixed actions, no learning\)/);
  t.match(md, /- Room \(fixed actions, 3 pairs of 3 applications, no learning\): /);
});

const REPORT_SHELL = {
  format: "flash-adapt-results@2",
  profile_purpose: null,
  seeds: { run: 0, replicates: [0], units: {} },
  backend: "wasm",
  provenance: { git: { commit: "abc", dirty: false }, backend: null, node: "", machine: { cpus: 2, cpu_model: "", mem_gib: 1, platform: "" } },
  wall: { seconds: 10, units_span_seconds: 10, unit_seconds_sum: 18, by_kind: {}, workers: 2, ran_units: 9, resumed_units: 0, invocations: [] },
  config: { seeds: 1 },
  units: [],
};

t.test("bestFixed: the refined action when it is at least as good on the selection windows", async (t) => {
  const r = { ...row("p", [-900, -30, -500], [-950, -20, -5]), refined: { label: "a1+", select: -25, eval: -40, from: "a1" } };
  t.same(bestFixed(r, ["a0", "a1", "a2"]), { label: "a1+", selectReturn: -25, evalReturn: -40, refinedFrom: "a1" }, "even if worse on the evaluation windows");
  t.same(bestFixed({ ...r, refined: { ...r.refined, select: -31 } }, ["a0", "a1", "a2"]), { label: "a1", selectReturn: -30, evalReturn: -20 });
});

t.test("roomUnits: refined only on a pair with a reference, and only for a task that refines", async (t) => {
  const refining = { ...fake, refineFixedAction: () => ({ label: "x", select: 0, eval: 0 }) } as unknown as RlTask;
  const refine = (task: RlTask) =>
    roomUnits(task, "fake", {}, ["p", "a"], new Set(["p"])).map((u) => [u.id, (u.input as { refine?: boolean }).refine ?? false]);
  t.same(refine(refining), [
    ["room/p", true],
    ["room/a", false],
  ]);
  t.same(refine(fake), [
    ["room/p", false],
    ["room/a", false],
  ]);
});

t.test("planRl: a room unit per new, updated and pool pair (a sweep: new pairs only); none without a grid", async (t) => {
  const ids = planRl(fake, "fake", {}, 2).map((u) => u.id);
  t.same(
    ids.filter((id) => id.startsWith("room/")),
    ["room/p", "room/q", "room/a"],
    "once per pair, not per replicate",
  );
  t.same(
    planRl(fake, "fake", {}, 1, [1])
      .map((u) => u.id)
      .filter((id) => id.startsWith("room/")),
    ["room/p", "room/q"],
  );
  const plain = { ...fake, fixedActionGrid: undefined } as unknown as RlTask;
  t.notOk(planRl(plain, "fake", {}, 1).some((u) => u.kind === "room"));
});
