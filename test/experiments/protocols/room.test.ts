/**
 * The room benchmark (experiments/protocols/room.ts): losses against each pair's own best
 * fixed action, leave-one-application-out grouping (an application's pairs are left out
 * whole), the oracle's nearest neighbour from another application, the update effect,
 * and the verdict's three outcomes with the detectable effect they name.
 */
import t from "tap";
import { analyseRoom, detectableEffects, pairBlindChoice, roomVerdict, type RoomPairInput } from "../../../experiments/protocols/room.js";
import type { RoomRow } from "../../../experiments/protocols/room-units.js";
import { t975 } from "../../../experiments/stats.js";

/** A row whose selection and evaluation returns are the same (random 0). */
const row = (pair: string, r: number[], random = 0): RoomRow => ({ pair, select: r, eval: r, randomSelect: random, randomEval: random, seconds: 1 });
const pair = (id: string, application: string, r: number[], extra: Partial<RoomPairInput> = {}): RoomPairInput => ({
  id,
  application,
  role: "pool",
  row: row(id, r),
  ...extra,
});

/**
 * Application A has two pairs (a1 and its update a2) that need candidate 0; B and C need
 * candidate 1, a little. With A's two pairs counted, the pair-blind choice over all pairs
 * is 0; leaving one pair out would still see A through its sibling, leaving A out whole
 * does not, and serves A's pairs candidate 1.
 */
const PAIRS: RoomPairInput[] = [
  pair("a1", "A", [10, 0, 5], { oracle: [0, 0] }),
  pair("a2", "A", [10, 0, 5], { role: "updated", from: "a1", scenario: "fileSize", oracle: [0, 0.1] }),
  pair("b1", "B", [7, 10, 0], { oracle: [5, 5] }),
  pair("c1", "C", [8, 10, 0], { oracle: [0.2, 0.2] }),
];

t.test("pairBlindChoice: the best mean normalised selection return", async (t) => {
  t.equal(pairBlindChoice(PAIRS.map((p) => p.row)), 0, "(1 + 1 + 0.7 + 0.8) / 4 for 0 against (0 + 0 + 1 + 1) / 4 for 1");
  t.equal(pairBlindChoice(PAIRS.slice(2).map((p) => p.row)), 1);
  t.equal(pairBlindChoice([row("x", [-5, -3], 0)]), 1, "no candidate above random: raw means");
});

t.test("analyseRoom: leave-one-application-out leaves an application's pairs out whole", async (t) => {
  const r = analyseRoom({ labels: ["c0", "c1", "c2"], windows: { select: [2], eval: [1] }, pairs: PAIRS, tolerance: 0.05 });
  const by = Object.fromEntries(r.pairs.map((p) => [p.pair, p]));
  t.equal(r.applications, 3);
  t.equal(r.pair_blind_label, "c0");
  t.same([by.a1.own, by.a1.gain], [{ label: "c0", reward: 10, select_reward: 10 }, 10]);
  t.same(by.a1.pair_blind, { label: "c0", reward: 10, loss: 0, loss_fraction: 0 });
  t.same(by.a1.loao_pair_blind, { label: "c1", reward: 0, loss: 10, loss_fraction: 1 }, "chosen on B and C only, not on a1's sibling a2");
  t.same(by.b1.loao_pair_blind, { label: "c0", reward: 7, loss: 3, loss_fraction: 0.3 }, "B left out: A's two pairs and C choose c0");
  t.same(by.a1.other_pairs, { label: null, reward: (10 + 0 + 0) / 3, loss: 10 - 10 / 3, loss_fraction: (10 - 10 / 3) / 10 });
  // Oracle features: a1's nearest is a2 (same application: skipped), then c1 at (0.2, 0.2).
  t.equal(by.a1.loao_oracle!.nearest, "c1");
  t.same([by.a1.loao_oracle!.label, by.a1.loao_oracle!.loss], ["c1", 10]);
  t.same(by.a2.before_update, { label: "c0", reward: 10, loss: 0, loss_fraction: 0, from: "a1", scenario: "fileSize" });
  t.equal(by.a1.before_update, null);
  t.same(r.summary.by_scenario.fileSize.loss, { mean: 0, ci95: null, n: 1 });
  t.same(r.summary.own_best_counts, { c0: 2, c1: 2 });
  const loao = r.summary.loao_pair_blind;
  t.same(loao.loss!.mean, (10 + 10 + 3 + 2) / 4, "C left out: c0 (loss 2)");
  t.equal(loao.share, (10 + 10 + 3 + 2) / (10 + 10 + 10 + 10));
  t.equal(r.seconds, 4);
});

t.test("analyseRoom: a pair without a gain has no fraction; one application has no leave-one-application-out", async (t) => {
  const r = analyseRoom({
    labels: ["c0", "c1"],
    windows: { select: [2], eval: [1] },
    pairs: [pair("x", "A", [1, 2]), { ...pair("y", "A", [0, 0]), row: row("y", [-1, -2], 0) }],
    tolerance: 0.05,
  });
  t.equal(r.pairs[1].pair_blind.loss_fraction, null);
  t.equal(r.pairs[0].loao_pair_blind, null);
  t.same(r.summary.loao_pair_blind.loss, null);
  t.equal(r.verdict.outcome, "undecided");
  t.match(r.verdict.text, /no room could be measured/);
  t.equal(r.summary.loao_oracle, null, "no oracle features");
});

t.test("roomVerdict: room above the band, no room below it, undecided across it; each names the loss and what this many pairs can detect", async (t) => {
  const gain = { mean: 10, ci95: 1, n: 9 };
  const loss = (mean: number, ci95: number) => ({ loss: { mean, ci95, n: 9 }, loss_fraction: null, share: mean / 10, gain });
  const room = roomVerdict(loss(2, 0.5), 0.05);
  t.equal(room.outcome, "room");
  t.equal(room.band, 0.5);
  t.match(room.text, /^room: .* loses 2\.00 ± 0\.50 reward per episode .* above the convergence band \(tolerance 0\.05 x mean gain = 0\.50\)/);
  t.match(room.text, /the smallest loss these 9 pairs can tell from zero is 0\.50 reward per episode \(0\.050 of the gain/);
  const none = roomVerdict(loss(0.1, 0.2), 0.05);
  t.equal(none.outcome, "no room");
  t.match(none.text, /^no room: .*loses 0\.10 ± 0\.20 .* below the convergence band/);
  t.equal(none.detectable, 0.2);
  t.equal(none.detectable_share, 0.02);
  t.equal(roomVerdict(loss(0.6, 0.3), 0.05).outcome, "undecided");
  const d = detectableEffects({ mean: 0, ci95: 0.2, n: 9 });
  t.equal(d.detectable_80, (t975(8) + 0.84) * (0.2 / t975(8)), "80% power: (t + 0.84) SE");
  t.same(detectableEffects({ mean: 1, ci95: null, n: 1 }), { detectable: null, detectable_80: null });
});
