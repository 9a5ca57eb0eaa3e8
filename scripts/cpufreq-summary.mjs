#!/usr/bin/env node
// Summary of a `flash reproduce cpufreq` results.json for NOTES-cpufreq.md: reward drops
// with the harness's definition (R_ref - R) / (R_ref - R_random) and, because a random
// frequency policy is close to the reference on light pairs (which makes that
// denominator tiny), also the relative drop 1 - R / R_ref; Figure 13's original-agent
// drops (new workload = A/B targets, new processor = the "processor" update scenario)
// with mean, 95% Student-t CI, median and p90.
// Usage: node scripts/cpufreq-summary.mjs runs/cpufreq-quick/results.json
import { readFileSync } from "node:fs";

const T975 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086];
function stats(xs) {
  const n = xs.length;
  if (n === 0) return "n=0";
  const m = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1)) : NaN;
  const t = n - 1 < T975.length ? T975[n - 1] : 1.96;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(n - 1, Math.floor(p * (n - 1)))];
  return `${m.toFixed(3)} ± ${((t * sd) / Math.sqrt(n)).toFixed(3)} (n=${n}; median ${q(0.5).toFixed(3)}, p90 ${q(0.9).toFixed(3)})`;
}

const r = JSON.parse(readFileSync(process.argv[2], "utf8"));
const refs = new Map();
for (const x of [...r.references, ...(r.updates?.references ?? [])]) refs.set(x.pair, x);
// Field names of flash-adapt-results@2 (snake_case), falling back to @1's camelCase.
const ref = (pair) => refs.get(pair)?.eval_return ?? refs.get(pair)?.evalReturn;
const rel = (s) => 1 - s.reward / ref(s.pair);
const ab = r.reward_drop.samples;
const upd = r.updates?.samples ?? [];
console.log(`speedup FLASH vs TL: ${JSON.stringify(r.adaptation_speedup_vs_tl)}`);
for (const v of ["original", "flash", "tl"]) {
  const xs = ab.filter((s) => s.variant === v);
  console.log(`A/B ${v}: harness drop ${stats(xs.map((s) => s.drop))}; relative drop ${stats(xs.map(rel))}`);
}
for (const [name, keep] of [
  ["new workload (A/B, other apps)", (s) => true],
  ["new processor (update scenario)", (s) => s.scenario === "processor"],
  ["application updates", (s) => s.scenario !== "processor"],
]) {
  const xs = (name.startsWith("new workload") ? ab : upd).filter((s) => s.variant === "original" && keep(s));
  console.log(`Figure 13, original agent, ${name}: harness drop ${stats(xs.map((s) => s.drop))}; relative drop ${stats(xs.map(rel))}`);
}
for (const v of ["flash", "tl"]) {
  const xs = upd.filter((s) => s.variant === v && s.scenario === "processor");
  console.log(`processor change, ${v}: harness drop ${stats(xs.map((s) => s.drop))}; relative drop ${stats(xs.map(rel))}`);
}
for (const [g, b] of Object.entries(r.baselines ?? {})) {
  const rels = Object.entries(b.by_pair ?? b.byPair).map(([p, v]) => 1 - v / ref(p));
  console.log(`${g}: reward ${b.reward.mean.toFixed(2)} ± ${b.reward.ci95.toFixed(2)}; relative drop vs reference ${stats(rels)}`);
}
for (const [k, v] of Object.entries(r.operations?.by_variant ?? r.operations?.byVariant ?? r.operations ?? {}))
  if (typeof v === "object" && v && "energyJ" in v) console.log(`ops ${k}: ${JSON.stringify(v)}`);
