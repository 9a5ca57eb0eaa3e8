/**
 * The field names of a results.json (runner/results.ts): every key except the keys of
 * maps, which are names (variant, pair, metric, scenario, unit and baseline ids) and keep
 * their own spelling, and except the embedded run config (its own schema).
 */

/** Paths whose object's keys are names; `*` is any map key, `[]` any array element. */
const MAPS = new Set([
  "seeds.units",
  "baselines",
  "baselines.*.by_pair",
  "wall.by_kind",
  "operations.labels",
  "operations.by_variant",
  "operations.by_variant.*",
  "operations.samples[].metrics",
  "reward_drop.samples[].metrics",
  "reward_drop.served[].metrics",
  "reward_drop_paper",
  "updates.all",
  "updates.by_scenario",
  "updates.by_scenario.*.variants",
  "updates.samples[].metrics",
  "pretraining",
  "pretraining_health.failed",
  "pretraining_health.reward_drop_healthy",
  "reward_drop_pool.samples[].metrics",
  "amortisation[].break_even",
  "sweep[].amortisation[].break_even",
  "reference_rule.by_source",
  "references[].bounds",
  "updates.references[].bounds",
  "room.summary.by_scenario",
  "room.summary.own_best_counts",
]);
const SKIP = new Set(["config"]);

/** Every field name with its path ("adaptation.by_variant[].converged_fraction"). */
export function resultFields(r: unknown): string[] {
  const out: string[] = [];
  const walk = (o: unknown, at: string): void => {
    if (Array.isArray(o)) return o.forEach((x) => walk(x, `${at}[]`));
    if (o === null || typeof o !== "object") return;
    const names = MAPS.has(at);
    for (const [k, v] of Object.entries(o)) {
      const here = at === "" ? k : `${at}.${names ? "*" : k}`;
      if (SKIP.has(here)) continue;
      if (!names) out.push(here);
      walk(v, here);
    }
  };
  walk(r, "");
  return [...new Set(out)];
}

/** The field names that are not snake_case (lower case, digits, underscores). */
export const nonSnakeFields = (r: unknown): string[] => resultFields(r).filter((f) => !/^[a-z0-9_]+$/.test(f.split(".").at(-1)!.replace(/\[\]$/, "")));
