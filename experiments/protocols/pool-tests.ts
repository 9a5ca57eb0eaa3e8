/**
 * Controls on the pool as well as on new pairs, defined once. The A/B unit serves FLASH,
 * TL, the oracle and the shuffled control on the replicate's own pool pairs too, and the
 * paper's TL on the one pool pair it was trained on (ab-plan.ts), each without weight
 * update and with the same serve protocol as on a new pair (FLASH collects its context on
 * the pair first). A pool pair's drop uses the same definition as a new pair's
 * (reward-drop.ts) against the pool pair's reference: its best fixed action
 * (reference.ts `fixedReferences`; an RL reference per pool pair would cost as much as the
 * pretraining).
 *
 * Two findings differ (issue 20) and the summary says which one holds, per conditioned
 * variant (FLASH, the oracle), from the paired drop difference to TL per (pair, replicate):
 *   - "cannot condition": on its own pool pairs the variant serves no better than TL (the
 *     difference's 95% interval does not lie below 0): it does not use what it is told
 *     about the pair even where it was trained;
 *   - "cannot generalise": better than TL on pool pairs, not on new ones;
 *   - "conditions and generalises": better on both.
 * FLASH minus the shuffled control (another pool pair's embedding) on pool pairs says
 * whether FLASH reads the pair's own embedding there at all.
 */
import type { ConditioningJson, DropJson, LevelsJson, PoolDropJson } from "../runner/results.js";
import { levelsJson } from "./levels.js";
import { drops, type DropSample, type PairReference, type ServedSample } from "./reward-drop.js";

/** What a pool pair's reference is (results.json `reward_drop_pool.reference`). */
export const POOL_REFERENCE = "the best policy that needs no learning on the pool pair (reference.ts): its best fixed action, chosen on selection windows";

/** The drops of a variant's tests, as two-level values. */
const valuesOf = (ds: readonly DropSample[], variant: string) =>
  ds.filter((d) => d.variant === variant).map((d) => ({ replicate: d.replicate, pair: d.pair, value: d.drop }));

/** Per (pair, replicate) present for both: drop of `a` minus drop of `b`. */
export function pairedDifference(ds: readonly DropSample[], a: string, b: string): LevelsJson | null {
  const key = (d: DropSample) => `${d.replicate}\u0000${d.pair}`;
  const bs = new Map(ds.filter((d) => d.variant === b).map((d) => [key(d), d.drop]));
  const diffs = ds
    .filter((d) => d.variant === a && bs.has(key(d)))
    .map((d) => ({ replicate: d.replicate, pair: d.pair, value: d.drop - (bs.get(key(d)) as number) }));
  return levelsJson(diffs);
}

/** Below zero with its whole 95% interval (over tests)? null: no interval. */
function below(x: LevelsJson | null): boolean | null {
  if (!x || x.ci95 === null) return null;
  return x.mean + x.ci95 < 0;
}

const fmt = (x: LevelsJson | null) => (x ? `${x.mean.toFixed(2)} ± ${x.ci95 === null ? "?" : x.ci95.toFixed(2)} (n=${x.n})` : "none");

/** Which finding holds for `variant` against TL (see the module comment). */
export function conditioningFinding(variant: string, poolDrops: readonly DropSample[], newDrops: readonly DropSample[]): ConditioningJson {
  const pool = pairedDifference(poolDrops, variant, "tl");
  const fresh = pairedDifference(newDrops, variant, "tl");
  const bp = below(pool);
  const bn = below(fresh);
  const finding: ConditioningJson["finding"] =
    bp === null ? null : bp === false ? "cannot condition" : bn === null ? null : bn ? "conditions and generalises" : "cannot generalise";
  const says =
    finding === null
      ? null
      : `${variant} minus TL, drop on pool pairs ${fmt(pool)}, on new pairs ${fmt(fresh)}: ${finding}` +
        (finding === "cannot condition" ? " (no better than TL even on the pairs it was trained on)" : "");
  return { variant, pool_minus_tl: pool, new_minus_tl: fresh, finding, says };
}

/** The pool tests of the A/B units: drops against the pool references, per variant (`reward_drop_pool` and the controls' pool drops). */
export function poolDropSummary(
  served: readonly ServedSample[],
  poolRefs: ReadonlyMap<string, PairReference>,
  reference: string,
  dropJson: (d: DropSample) => DropJson,
): { drops: DropSample[]; json: PoolDropJson | null; of: (variant: string) => LevelsJson | null } {
  const all = served.filter((s) => s.pool);
  const pool = all.filter((s) => poolRefs.has(s.pair));
  if (pool.length === 0) return { drops: [], json: null, of: () => null };
  const d = drops(pool, poolRefs);
  // A pool test without a reference (its pair was not searched) is excluded and counted, like one whose reference is no better than random.
  const unreferenced = all.length - pool.length;
  const of = (v: string) => levelsJson(valuesOf(d.drops, v));
  return {
    drops: d.drops,
    of,
    json: { flash: of("flash"), tl: of("tl"), tl_paper: of("tl-paper"), reference, excluded: d.excluded.length + unreferenced, samples: d.drops.map(dropJson) },
  };
}
