/**
 * Which of a pair's stored sequences form its context (the meta learner's input): a
 * policy, so the paper's choice can be measured against the alternatives.
 *
 *   - "paper" (RL, paper A.1): the ceil(m/2) highest-reward sequences (ties: earlier
 *     first), then the earliest of the others up to m. The buffer implements it without
 *     reading the other sequences' data (`BufferBackend.select`); `pickContext` is the
 *     same rule on records in memory.
 *   - "earliest": the first m sequences (a fixed context that never drifts).
 *   - "latest": the last m (the context follows the agent as it improves).
 *   - "random": m drawn without replacement from all of them, by a seeded stream (the
 *     model draws afresh, deterministically, whenever the pair's data changes).
 * Every policy returns at most m sequences in ascending id order, all of them when there
 * are no more than m.
 */
import { ValueError } from "./errors.js";
import type { Rng } from "./rng.js";
import type { SequenceRecord } from "./types.js";

export const CONTEXT_SELECTIONS = ["paper", "earliest", "latest", "random"] as const;
export type ContextSelection = (typeof CONTEXT_SELECTIONS)[number];

/** `v` as a ContextSelection, or a ValueError naming the choices. */
export function checkSelection(v: unknown, what = "selection"): ContextSelection {
  if (!(CONTEXT_SELECTIONS as readonly unknown[]).includes(v))
    throw new ValueError(`${what}: expected one of ${CONTEXT_SELECTIONS.map((s) => JSON.stringify(s)).join(", ")}, got ${JSON.stringify(v)}`);
  return v as ContextSelection;
}

/** At most `m` of `records` (any order) by `policy`, ascending id; `rng` is read by "random" only. */
export function pickContext<R extends Pick<SequenceRecord, "id" | "reward">>(records: readonly R[], m: number, policy: ContextSelection, rng?: Rng): R[] {
  if (!Number.isInteger(m) || m < 1) throw new ValueError(`pickContext: expected m a positive integer, got ${m}`);
  const byId = [...records].sort((a, b) => a.id - b.id);
  if (byId.length <= m) return byId;
  let chosen: R[];
  if (policy === "earliest") chosen = byId.slice(0, m);
  else if (policy === "latest") chosen = byId.slice(byId.length - m);
  else if (policy === "random") {
    if (!rng) throw new ValueError(`pickContext: the "random" policy needs a seeded Rng`);
    chosen = rng.shuffle([...byId]).slice(0, m);
  } else {
    // Stable sort: equal rewards keep ascending id, so ties go to the earlier sequence.
    const best = [...byId].sort((a, b) => (b.reward ?? -Infinity) - (a.reward ?? -Infinity)).slice(0, Math.ceil(m / 2));
    const taken = new Set(best.map((r) => r.id));
    chosen = [...best, ...byId.filter((r) => !taken.has(r.id)).slice(0, m - best.length)];
  }
  return chosen.sort((a, b) => a.id - b.id);
}
