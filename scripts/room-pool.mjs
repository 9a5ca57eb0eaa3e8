#!/usr/bin/env node
// Pools the room benchmark over several run seeds: each `flash room <task> --seed S`
// writes its own pairs (the applications are drawn from the seed), so the pairs of all
// the room.json files given are distinct, and their losses pool into one mean ± 95% CI.
// Per measure: the loss in reward per episode, its share of the mean gain over random,
// and its p90 over pairs; for the processor changes (updated pairs without "+" in the
// name: the app moved to another processor), how many moved their best level.
// Usage: node scripts/room-pool.mjs runs/room-after-s0/room.json runs/room-after-s1/room.json ...
import { readFileSync } from "node:fs";

const T975 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
function stats(xs, gain) {
  const n = xs.length;
  if (n === 0) return "n=0";
  const m = mean(xs);
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1)) : NaN;
  const t = n - 1 < T975.length ? T975[n - 1] : 1.96;
  const s = [...xs].sort((a, b) => a - b);
  const p90 = s[Math.min(n - 1, Math.floor(0.9 * (n - 1)))];
  const share = gain === undefined ? "" : `, share of the gain ${(m / gain).toFixed(3)}`;
  return `${m.toFixed(2)} ± ${((t * sd) / Math.sqrt(n)).toFixed(2)} (n=${n}${share}, p90 ${p90.toFixed(2)})`;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node scripts/room-pool.mjs ROOM_JSON...");
  process.exit(2);
}
const gain = [];
const loss = { pair_blind: [], other_pairs: [], loao_pair_blind: [], loao_oracle: [] };
const proc = [];
let moved = 0;
const own = {};
for (const f of files) {
  const r = JSON.parse(readFileSync(f, "utf8"));
  const room = r.room ?? r;
  const byApp = new Map(room.pairs.filter((p) => p.role === "new").map((p) => [p.application, p]));
  for (const p of room.pairs) {
    gain.push(p.gain);
    own[p.own.label] = (own[p.own.label] ?? 0) + 1;
    for (const k of Object.keys(loss)) if (p[k]) loss[k].push(p[k].loss);
    if (p.role === "updated" && !p.pair.includes("+") && p.before_update) {
      proc.push(p.before_update.loss);
      if (byApp.get(p.application)?.own.label !== p.own.label) moved++;
    }
  }
}
const g = mean(gain);
console.log(`${files.length} room files, ${gain.length} pairs`);
console.log(`own best over random: ${stats(gain)}`);
console.log(`own best levels: ${JSON.stringify(own)}`);
for (const [k, xs] of Object.entries(loss)) console.log(`${k} loss: ${stats(xs, g)}`);
console.log(`processor change (the app's best level from its old processor): ${stats(proc, g)}; best level moved on ${moved} of ${proc.length}`);
