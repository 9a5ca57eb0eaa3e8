/**
 * The reference rule and the room benchmark in words and tables (protocols/reference.ts,
 * protocols/room.ts): the verdict lines of report.md, its room section, and `flash room`'s
 * room.md. Built from results.json's `reference_rule`, `references` and `room` alone.
 */
import { formatMeanCi, type MeanCi } from "../stats.js";
import type { MeanCiJson, ReferenceJson, ReferenceRuleJson, RoomJson, RoomLossJson, RoomPolicyJson } from "../runner/results.js";

const fmt = (m: MeanCiJson | null | undefined, digits = 3): string =>
  m ? `${formatMeanCi({ mean: m.mean, ci95: m.ci95 ?? NaN, n: m.n } as MeanCi, digits)} (n=${m.n})` : "n/a";
const num = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? "—" : x.toFixed(digits));

/** How many pairs' RL references reach the best policy that needs no learning, and the reference source per pair. */
export function referenceReach(rule: ReferenceRuleJson): string {
  const sources = Object.entries(rule.by_source)
    .map(([s, n]) => `${s} (${n})`)
    .join(", ");
  const reach =
    rule.fraction_reached === null
      ? `no pair had a policy that needs no learning to compare with (${rule.pairs} pairs)`
      : `${rule.reached} of ${rule.pairs} pairs' RL references (${(100 * rule.fraction_reached).toFixed(0)}%) reach the best policy that needs no learning`;
  return `${reach}; reference source per pair: ${sources}`;
}

/** The reference rule's verdict line (null: results from before the rule). */
export function referenceRuleLine(rule: ReferenceRuleJson | null, excluded: number): string | null {
  if (!rule) return null;
  const before = rule.rl_only.reward_drop;
  return (
    `- Reference rule: ${referenceReach(rule)}. ${rule.weak_reference_tests} served A/B test(s) sit on a pair whose RL ` +
    `reference did not reach it: their drop is measured from that policy (flagged \`reference_source\`, not excluded). Against the RL references ` +
    `alone the drops were FLASH ${num(before.flash?.mean, 3)}, original ${num(before.original?.mean, 3)}, TL ${num(before.tl?.mean, 3)} ` +
    `(${before.excluded} test(s) excluded there, ${excluded} now), and the speedup over TL ${num(rule.rl_only.adaptation_speedup_vs_tl?.mean)}.`
  );
}

/** The room's verdict line (null: no room benchmark). */
export function roomLine(room: RoomJson | null): string | null {
  if (!room) return null;
  return `- Room (fixed actions, ${room.pairs.length} pairs of ${room.applications} applications, no learning): ${room.verdict.text}.`;
}

/** Per pair: the RL reference beside the best policy that needs no learning, and which one the protocols use. */
export function referenceTable(refs: readonly ReferenceJson[], baselineLabel: (id: string) => string): string[] {
  const L = [
    "| pair | RL reference (eval) | RL level (learning curve) | best fixed action (eval) | best policy without learning | bounds | random | reference used | reached |",
    "|---|---:|---:|---|---|---|---:|---|---|",
  ];
  for (const x of refs) {
    const fixed = x.fixed_action ? `${x.fixed_action.label}: ${x.fixed_action.eval_return.toFixed(2)}` : "—";
    const nl = x.non_learning ? `${baselineLabel(x.non_learning.source)}: ${x.non_learning.eval_return.toFixed(2)}` : "—";
    const bounds = Object.entries(x.bounds ?? {})
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(", ");
    const used = x.used ? `${x.reference_source}: ${x.used.eval_return.toFixed(2)}` : "rl (before the rule)";
    const reached = x.reached === undefined || x.reached === null ? "—" : x.reached ? "yes" : "**no**";
    L.push(
      `| ${x.pair} | ${x.eval_return.toFixed(2)} | ${x.train_level.toFixed(2)} | ${fixed} | ${nl} | ${bounds || "—"} | ${x.baseline.toFixed(2)} | ${used} | ${reached} |`,
    );
  }
  return L;
}

const MEASURES: { key: "pair_blind" | "other_pairs" | "loao_pair_blind" | "loao_oracle"; label: string }[] = [
  { key: "pair_blind", label: "pair-blind best (one candidate for every pair)" },
  { key: "other_pairs", label: "another pair's best (mean over the other pairs)" },
  { key: "loao_pair_blind", label: "pair-blind best, leave-one-application-out" },
  { key: "loao_oracle", label: "nearest other application's best in the oracle features" },
];

const lossRow = (label: string, x: RoomLossJson | null) => `| ${label} | ${fmt(x?.loss ?? null)} | ${num(x?.share, 3)} | ${fmt(x?.loss_fraction ?? null)} |`;

/** The room section: summary, verdict and the per-pair table (heading level `h`, e.g. "##"). */
export function roomMarkdown(room: RoomJson, h = "##"): string[] {
  const s = room.summary;
  const counts = Object.entries(s.own_best_counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} (${n})`)
    .join(", ");
  const L = [
    `${h} Room for a context (fixed actions, no learning)`,
    "",
    `Every candidate of the task's fixed-action grid (${room.grid.length} candidates) on every pair (${room.pairs.length} pairs of ` +
      `${room.applications} applications: new, updated and pool pairs). A pair's own best is chosen on its selection windows ` +
      `(${room.windows.select.length}) and every return is read on the agents' evaluation windows (${room.windows.eval.length}). Loss = own best - ` +
      "policy, in reward per episode, as a share of the mean gain over a random policy (mean loss / mean gain) and as a fraction of each pair's " +
      "gain (mean ± 95% CI over pairs with a positive gain; heavy-tailed where a gain is small); experiments/protocols/room.ts.",
    "",
    `Own best over random: ${fmt(s.gain)} reward per episode. Own bests: ${counts}. Pair-blind candidate: ${room.pair_blind_label}.`,
    "",
    "| policy served instead of the pair's own best | loss (reward per episode) | share of the mean gain | fraction of each pair's gain |",
    "|---|---|---|---|",
    ...MEASURES.map((m) => lossRow(m.label, s[m.key])),
    ...Object.entries(s.by_scenario).map(([sc, x]) => lossRow(`the pair before the update (${sc})`, x)),
    "",
    `**Verdict**: ${room.verdict.text}.`,
    "",
    "| pair | application | role | random | own best | pair-blind | another pair's | LOAO pair-blind | LOAO oracle | before the update |",
    "|---|---|---|---:|---|---:|---:|---:|---:|---:|",
  ];
  const cell = (x: RoomPolicyJson | null) => (x ? `${x.reward.toFixed(2)} (${num(x.loss_fraction)})` : "—");
  for (const p of room.pairs)
    L.push(
      `| ${p.pair} | ${p.application} | ${p.role} | ${p.random.toFixed(2)} | ${p.own.label}: ${p.own.reward.toFixed(2)} | ${cell(p.pair_blind)} | ` +
        `${cell(p.other_pairs)} | ${cell(p.loao_pair_blind)} | ${cell(p.loao_oracle)} | ${cell(p.before_update)} |`,
    );
  L.push("", "Cells: reward per episode (fraction of the own best's gain lost).", "");
  return L;
}
