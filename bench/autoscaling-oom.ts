/**
 * What the autoscaling observation shows of OOM kills (issue 20), pair by pair: each test
 * pair of a profile is served with its best fixed allocation (searched with memory at
 * multiples of the peak working set, near the OOM cliff) and with that allocation's memory
 * at 1.1, 1.05 and 0.97 x peak (at and past the cliff: busy pods are killed). Per episode
 * it prints the intervals with kills and, over them, the held-pod mean memory utilisation
 * (the reward's RU_mem, which was observation 4 before issue 20), the new observation 4
 * (the fullest pod) and 8 (OOM back-off), and SLO preservation; then the same over the
 * intervals without kills. The simulation is the same before and
 * after the change (no random draw moved), so one run shows both observations.
 *
 * Run: `npm run build && node dist/bench/autoscaling-oom.js [--profile quick] [--seed 0] [--traces NAME|PATH] [--pool N]`
 * (quick replays load-traces unless `--traces synthetic`).
 */
import { encodeAction, type Allocation } from "../envs/autoscaling/spaces.js";
import type { AutoscalingEnv } from "../envs/autoscaling/env.js";
import { makePairEnv } from "../experiments/tasks/autoscaling-pairs.js";
import { autoscalingProfile } from "../experiments/tasks/autoscaling.js";
import { EVAL_SEED } from "../experiments/tasks/rl-flash-kit.js";

const MEM_X = [1, 1.05, 1.1, 1.15, 1.2, 1.3, 1.43, 1.6, 2, 3];
const GRID5 = [-1, -0.5, 0, 0.5, 1];
const SELECT_SEEDS = [EVAL_SEED + 500, EVAL_SEED + 501];

export interface EpisodeOom {
  ret: number;
  killIntervals: number;
  kills: number;
  /** Over the intervals with kills: the held-pod mean (old observation 4), range. */
  oldObs4: [number, number];
  /** Over the intervals with kills: observation 4, range. */
  newObs4: [number, number];
  /** Over the intervals with kills: observation 8, mean. */
  backoff: number;
  /** SLO preservation (observation 5), mean over intervals with kills / without. */
  spKill: number;
  spQuiet: number;
  /** Over the intervals without kills: observations 4 and 8, means. */
  obs4Quiet: number;
  backoffQuiet: number;
}

function serve(env: AutoscalingEnv, alloc: Allocation, seed: number): EpisodeOom {
  const a = encodeAction(alloc, env.scale);
  env.reset(seed);
  let ret = 0;
  let kills = 0;
  const oldObs4: [number, number] = [Infinity, -Infinity];
  const newObs4: [number, number] = [Infinity, -Infinity];
  const kill = { n: 0, backoff: 0, sp: 0 };
  const quiet = { n: 0, obs4: 0, backoff: 0, sp: 0 };
  for (let t = 0; t < env.maxEpisodeSteps; t++) {
    const r = env.step(a);
    const o = r.observation;
    ret += r.reward;
    const k = Number(r.info?.oomKills);
    if (k > 0) {
      kills += k;
      const old = Number(r.info?.ruMem);
      [oldObs4[0], oldObs4[1]] = [Math.min(oldObs4[0], old), Math.max(oldObs4[1], old)];
      [newObs4[0], newObs4[1]] = [Math.min(newObs4[0], o[4]), Math.max(newObs4[1], o[4])];
      kill.n++;
      kill.backoff += o[8];
      kill.sp += o[5];
    } else {
      quiet.n++;
      quiet.obs4 += o[4];
      quiet.backoff += o[8];
      quiet.sp += o[5];
    }
  }
  const k = (x: number) => (kill.n ? x / kill.n : NaN);
  const q = (x: number) => (quiet.n ? x / quiet.n : NaN);
  return {
    ...{ ret, killIntervals: kill.n, kills, oldObs4, newObs4, backoff: k(kill.backoff), spKill: k(kill.sp) },
    ...{ spQuiet: q(quiet.sp), obs4Quiet: q(quiet.obs4), backoffQuiet: q(quiet.backoff) },
  };
}

/** The best fixed allocation on the selection windows: CPU and replicas on a 5x5 action grid, memory at MEM_X x peak. */
export function bestFixed(env: AutoscalingEnv): { alloc: Allocation; memX: number } {
  const peak = env.profile.peakMemoryMB;
  let best = { alloc: env.initialAllocation(), memX: 0, ret: -Infinity };
  for (const c of GRID5)
    for (const rep of GRID5)
      for (const m of MEM_X) {
        const s = env.scale;
        const alloc = {
          cpuLimit: s.cpuMin * Math.pow(s.cpuMax / s.cpuMin, (c + 1) / 2),
          memoryLimitMB: m * peak,
          replicas: Math.round(1 + ((rep + 1) / 2) * (s.maxReplicas - 1)),
        };
        const ret = SELECT_SEEDS.reduce((acc, seed) => acc + serve(env, alloc, seed).ret, 0) / SELECT_SEEDS.length;
        if (ret > best.ret) best = { alloc, memX: m, ret };
      }
  return best;
}

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "-");
const range = ([a, b]: [number, number]) => (Number.isFinite(a) ? `${f2(a)}-${f2(b)}` : "-");

function main(argv: string[]): void {
  const arg = (name: string, dflt: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const traces = argv.includes("--traces") ? arg("traces", "") : undefined;
  const cfg = autoscalingProfile(arg("profile", "quick"), Number(arg("seed", "0")), { traces });
  const pairs = [...cfg.testPairs, ...cfg.poolPairs.slice(0, Number(arg("pool", "0")))];
  const t0 = performance.now();
  console.log(
    "| pair | allocation | return | kill intervals | kills | kill intervals: old obs 4 | new obs 4 | obs 8 | SP | other intervals: obs 4 | obs 8 | SP |",
  );
  console.log(`|${"---|".repeat(12)}`);
  for (const p of pairs) {
    const env = makePairEnv(cfg.env, p, 0);
    const { alloc, memX } = bestFixed(env);
    const at = (x: number) => ({ ...alloc, memoryLimitMB: x * env.profile.peakMemoryMB });
    for (const [label, al] of [
      [`best: ${alloc.cpuLimit.toFixed(2)} cores, ${memX}x peak, ${alloc.replicas} pods`, alloc],
      ["same, memory 1.1x peak", at(1.1)],
      ["same, memory 1.05x peak", at(1.05)],
      ["same, memory 0.97x peak", at(0.97)],
    ] as const) {
      const e = serve(env, al, EVAL_SEED);
      const kill = `${range(e.oldObs4)} | ${range(e.newObs4)} | ${f2(e.backoff)} | ${f2(e.spKill)}`;
      const other = `${f2(e.obs4Quiet)} | ${f2(e.backoffQuiet)} | ${f2(e.spQuiet)}`;
      console.log(`| ${p.id} | ${label} | ${e.ret.toFixed(1)} | ${e.killIntervals} | ${e.kills} | ${kill} | ${other} |`);
    }
  }
  console.log(`\nwall ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
