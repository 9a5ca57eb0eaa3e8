/**
 * Evaluate a policy: run whole episodes with the deterministic (greedy / mean) action,
 * as SB3's evaluate_policy with deterministic=True, and summarise the returns.
 */
import type { Env, StepResult } from "../envs/env.js";
import { checkPositiveInt, checkReward } from "./checks.js";
import type { Policy } from "./types.js";

export interface EvaluateOptions {
  /** Episodes to run (default 10). */
  episodes?: number;
  /** Episode i starts with `env.reset(seed + i)` so evaluations are reproducible (default 0). */
  seed?: number;
  /** Default true. */
  deterministic?: boolean;
  /** Context id for the extra-input hook. */
  ctx?: number;
  /** Called with every step's result (e.g. to average the env's `info` diagnostics). */
  onStep?: (r: StepResult) => void;
}

export interface EvaluateResult {
  returns: number[];
  lengths: number[];
  mean: number;
  /** Population standard deviation, as SB3 reports (np.std). */
  std: number;
}

export function evaluatePolicy(policy: Policy, env: Env, opts: EvaluateOptions = {}): EvaluateResult {
  const episodes = opts.episodes ?? 10;
  checkPositiveInt("evaluate episodes", episodes);
  const seed = opts.seed ?? 0;
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let e = 0; e < episodes; e++) {
    let obs = env.reset(seed + e);
    let total = 0;
    let len = 0;
    for (;;) {
      const r = env.step(policy.predict(obs, { deterministic: opts.deterministic ?? true, ctx: opts.ctx }));
      checkReward(`${env.id} reward`, r.reward);
      opts.onStep?.(r);
      total += r.reward;
      len++;
      if (r.terminated || r.truncated) break;
      obs = r.observation;
    }
    returns.push(total);
    lengths.push(len);
  }
  const mean = returns.reduce((a, b) => a + b, 0) / episodes;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / episodes);
  return { returns, lengths, mean, std };
}
