/**
 * The report's words for censoring-aware adaptation cost (protocols/censoring.ts), shared
 * by the reproduction's and the sweep's sections: the restricted mean and KM median of a
 * variant, the censoring-aware speedup beside the mean of per-test ratios, and the
 * sentence that says whether the cap binds. Results written before these fields existed
 * render as "—".
 */
import { formatMeanCi, type MeanCi } from "../stats.js";
import type { SpeedupJson, VariantCostJson } from "../runner/results.js";

type Json = { mean: number; ci95: number | null; n: number } | null | undefined;
const ci = (m: NonNullable<Json>, digits = 3) => formatMeanCi({ mean: m.mean, ci95: m.ci95 ?? NaN, n: m.n } as MeanCi, digits);

/** "12.3 ± 4.5 (tau 25)" or "—". */
export function restrictedText(v: Pick<VariantCostJson, "restricted_mean"> | undefined): string {
  const r = v?.restricted_mean;
  return r ? `${ci(r)} (up to ${r.tau})` : "—";
}

/** "7" or "not reached (> 25)" or "—". */
export function medianText(v: Pick<VariantCostJson, "km_median"> | undefined, cap: number): string {
  if (v?.km_median === undefined) return "—";
  return v.km_median === null ? `not reached (> ${cap})` : String(v.km_median);
}

/** "3 of 12" or "—". */
export function censoredText(v: (Pick<VariantCostJson, "censored"> & { n?: number }) | undefined, n?: number): string {
  if (v?.censored === undefined) return "—";
  return `${v.censored} of ${v.n ?? n ?? "?"}`;
}

/** The censoring-aware speedup in words: ratio of restricted means ± CI and the KM-median ratio. */
export function censoredSpeedupText(sp: SpeedupJson | null | undefined): string {
  const r = sp?.restricted_mean_ratio;
  if (!sp || !r) return "—";
  const m = sp.km_median_ratio;
  const med =
    m === undefined
      ? ""
      : m === null
        ? "; KM-median ratio: neither median reached"
        : `; KM-median ratio ${m.bound === "exact" ? "" : `${m.bound} `}${m.value.toFixed(2)}`;
  return `restricted-mean ratio ${ci(r)} (up to ${r.tau})${med}`;
}

/**
 * Whether the cap binds, per variant: the variants with censored runs and how many, and
 * what that does to the figures; one line.
 */
export function capBindsLine(rows: readonly (VariantCostJson & { n?: number })[], cap: number, label: (v: string) => string): string | null {
  if (rows.some((r) => r.censored === undefined)) return null;
  const bound = rows.filter((r) => (r.censored ?? 0) > 0);
  if (bound.length === 0) return `- The cap (${cap} episodes) does not bind: every adaptation run converged within it.`;
  const notReached = bound.filter((r) => r.km_median === null).map((r) => label(r.variant));
  return (
    `- **The cap binds** (${cap} episodes): ${bound.map((r) => `${label(r.variant)} ${r.censored} of ${r.n ?? "?"} runs censored`).join(", ")}. ` +
    `A censored run counts as the cap in the mean episodes and makes its per-test ratio a bound; the restricted mean up to the cap and ` +
    `the Kaplan-Meier median treat it as censored` +
    (notReached.length ? `; median not reached (more than half censored): ${notReached.join(", ")}` : "") +
    "."
  );
}
