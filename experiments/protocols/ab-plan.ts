/**
 * Who serves which pair in the A/B test (rl-reproduce.ts, unit `ab/r<k>`), decided once:
 *
 *   - the original agents: the reference agent of each new pair that has an RL reference
 *     (`RlBudgets.referencePairs`: the first ones; all by default), each served on
 *     `abTargets` other new pairs. The new pairs are cut into one block per original agent
 *     and each agent serves the pairs that follow its block's start (skipping its own), so
 *     with 6 originals, 30 new pairs and 5 targets every new pair is served by exactly one
 *     original agent; with every pair referenced it is the paper's "each agent on the next
 *     ten";
 *   - the pretrained variants on every new pair, and on pool pairs (`poolServed`): FLASH,
 *     TL, the oracle and the shuffled control on the replicate's whole pool, the paper's
 *     TL on the one pool pair it was trained on. A pool pair's test asks whether the
 *     agent conditions at all (it trained there); a new pair's, whether it generalises.
 */
import type { RlBudgets, ServeVariant } from "../tasks/types.js";

/** The new pairs with an RL reference (and so an original agent): the first `referencePairs`, all without it. */
export function referencedPairs(test: readonly string[], b: Pick<RlBudgets, "referencePairs">): string[] {
  return b.referencePairs === undefined ? [...test] : test.slice(0, b.referencePairs);
}

/** Each original agent's A/B targets (see the module comment); `originals` are new pairs, in `test` order. */
export function originalTargets(test: readonly string[], originals: readonly string[], perOriginal: number): Map<string, string[]> {
  const n = test.length;
  const stride = Math.max(1, Math.floor(n / Math.max(1, originals.length)));
  const want = Math.min(perOriginal, n - 1);
  const out = new Map<string, string[]>();
  for (const [i, from] of originals.entries()) {
    const start = i * stride;
    const targets: string[] = [];
    for (let o = 1; targets.length < want && o <= n; o++) {
      const p = test[(start + o) % n];
      if (p !== from) targets.push(p);
    }
    out.set(from, targets);
  }
  return out;
}

/** The pretrained variants served on pool pairs, and the pool pairs each is served on. */
export function poolServed(
  pool: readonly string[],
  tlPaperPair: string | undefined,
  variants: readonly ServeVariant[],
): Partial<Record<ServeVariant, string[]>> {
  const out: Partial<Record<ServeVariant, string[]>> = {};
  for (const v of variants) {
    if (v === "flash" || v === "tl" || v === "oracle" || v === "shuffled") out[v] = [...pool];
    if (v === "tl-paper" && tlPaperPair !== undefined) out[v] = [tlPaperPair];
  }
  return out;
}
