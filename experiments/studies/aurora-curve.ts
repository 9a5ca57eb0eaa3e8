/**
 * Aurora's learning curve at its original training ranges (envs/congestion/aurora.ts:
 * PCC-RL's defaults, a new link every episode, rate clamped to [40, 1000] packets/s,
 * 400-MI episodes): Table 12's PPO trained on AuroraCongestion-v0, its deterministic policy
 * evaluated every `every` steps on 10 fixed held-out links, next to two fixed-rate senders
 * on the same links: "hold" (the starting rate, 0.3-1.5 x capacity, never changed: action
 * 0) and the oracle at capacity.
 *
 *   flash aurora-curve --steps 100000 --every 10000 --seed 0 --out runs/aurora-curve
 *
 * Writes <out>/aurora-curve.json after every evaluation (a partial run keeps its points).
 * A slow command, not a test.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FixedRateSender } from "../../agents/baselines/congestion.js";
import { evaluatePolicy } from "../../agents/evaluate.js";
import { PPO } from "../../agents/ppo.js";
import { train } from "../../agents/train.js";
import { auroraEnv } from "../../envs/congestion/aurora.js";
import { backendInfo } from "../../flash/backend.js";
import { ppoConfig, runSender, TABLE12 } from "../tasks/congestion.js";
import { total } from "../tasks/rl-flash-kit.js";

export interface AuroraCurveOptions {
  /** PPO training steps in all. */
  steps: number;
  /** Steps between evaluations. */
  every: number;
  seed: number;
  out: string;
  log?: (line: string) => void;
}

export interface AuroraCurve {
  backend: string;
  config: typeof TABLE12;
  evalLinks: number;
  /** The starting rate held for the whole episode, mean over the evaluation links. */
  hold: number;
  /** A sender at the link's capacity, mean over the evaluation links. */
  oracle: number;
  curve: { steps: number; evalReturn: number; trainRecent: number; seconds: number }[];
}

const EVAL_LINKS = 10;
const EVAL_SEED = 5_000_000;

/** Trains and evaluates as described above; returns (and has written) the curve. */
export async function auroraCurve(o: AuroraCurveOptions): Promise<AuroraCurve> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + "\n"));
  mkdirSync(o.out, { recursive: true });
  const env = auroraEnv(o.seed);
  const evalEnv = auroraEnv(o.seed, "aurora-eval");
  const agent = new PPO(env, ppoConfig(TABLE12), { seed: o.seed });
  try {
    const ev = () => evaluatePolicy(agent, evalEnv, { episodes: EVAL_LINKS, seed: EVAL_SEED }).mean;
    const hold = { algo: "hold", obsDim: 30, actionSpace: evalEnv.actionSpace, predict: () => Float32Array.of(0) };
    const fixed = (s: FixedRateSender | null) =>
      Array.from({ length: EVAL_LINKS }, (_, i) =>
        s ? total(runSender(evalEnv, s, EVAL_SEED + i)) : evaluatePolicy(hold, evalEnv, { episodes: 1, seed: EVAL_SEED + i }).mean,
      ).reduce((a, b) => a + b, 0) / EVAL_LINKS;
    const result: AuroraCurve = {
      backend: backendInfo().name,
      config: TABLE12,
      evalLinks: EVAL_LINKS,
      hold: fixed(null),
      oracle: fixed(new FixedRateSender()),
      curve: [{ steps: 0, evalReturn: ev(), trainRecent: NaN, seconds: 0 }],
    };
    const t0 = performance.now();
    for (let done = 0; done < o.steps; done += o.every) {
      const r = train(agent, env, { totalTimesteps: Math.min(o.every, o.steps - done), seed: done === 0 ? o.seed : undefined });
      const recent = r.episodeReturns.slice(-10);
      result.curve.push({
        steps: Math.min(done + o.every, o.steps),
        evalReturn: ev(),
        trainRecent: recent.length ? total(recent) / recent.length : NaN,
        seconds: (performance.now() - t0) / 1000,
      });
      writeFileSync(path.join(o.out, "aurora-curve.json"), JSON.stringify(result, null, 2) + "\n");
      const last = result.curve[result.curve.length - 1];
      log(
        `${last.steps} steps: eval ${last.evalReturn.toFixed(1)} (hold ${result.hold.toFixed(1)}, oracle ${result.oracle.toFixed(1)}), train ` +
          `${last.trainRecent.toFixed(1)}, ${last.seconds.toFixed(0)} s`,
      );
    }
    return result;
  } finally {
    agent.dispose();
  }
}
