/**
 * Reproduction check of the agents on Gymnasium's classic-control tasks against the
 * published rl-baselines3-zoo numbers: train (algo, env) with the zoo's budget and
 * hyper-parameters for several seeds, evaluate each trained deterministic policy for
 * 10 episodes, and report the mean over seeds with a 95% t-interval next to SB3's.
 *
 *   flash classic-proof --algo ddpg --env Pendulum-v1 --seeds 3 --out runs/proof
 *
 * Writes <out>/<algo>-<env>.json and .md (rewritten after every seed, so a partial
 * run still leaves its numbers). A slow command, not a test.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Env } from "../../envs/env.js";
import { makeClassicEnv, isClassicEnvId } from "../../envs/classic/make.js";
import { NormalizedEnv, NormalizeStats } from "../../envs/normalize.js";
import { backendInfo } from "../../flash/backend.js";
import { DDPG, ZOO_DDPG_PENDULUM } from "../../agents/ddpg.js";
import { DQN, ZOO_DQN_CARTPOLE } from "../../agents/dqn.js";
import { PPO, ZOO_PPO_CARTPOLE, ZOO_PPO_PENDULUM } from "../../agents/ppo.js";
import { train } from "../../agents/train.js";
import { evaluatePolicy } from "../../agents/evaluate.js";
import type { Algorithm } from "../../agents/types.js";
import { UsageError } from "../../errors.js";
import { meanCi95 } from "../stats.js";

/** Published SB3 zoo results: rl-baselines3-zoo's benchmark.md (github.com/DLR-RM/rl-baselines3-zoo), deterministic policy, one training run per row. */
export const SB3_REFERENCE: Record<string, { mean: number; std: number; steps: number }> = {
  "ddpg/Pendulum-v1": { mean: -152.1, std: 94.3, steps: 20_000 },
  "ppo/Pendulum-v1": { mean: -172.2, std: 104.2, steps: 100_000 },
  "dqn/CartPole-v1": { mean: 500, std: 0, steps: 50_000 },
  "ppo/CartPole-v1": { mean: 500, std: 0, steps: 100_000 },
};

interface Setup {
  agent: Algorithm;
  envs: Env[];
  steps: number;
  config: object;
  /** The evaluation environment when it differs from a plain one (normalised observations). */
  evalEnv?: () => Env;
  dispose(): void;
}

function setup(algo: string, envId: string, seed: number, normalize: boolean): Setup {
  if (!isClassicEnvId(envId)) throw new UsageError(`unknown env ${envId}`);
  const key = `${algo}/${envId}`;
  const one = () => makeClassicEnv(envId, seed);
  switch (key) {
    case "ddpg/Pendulum-v1": {
      const env = one();
      const a = new DDPG(env, ZOO_DDPG_PENDULUM.config, { seed });
      return { agent: a, envs: [env], steps: ZOO_DDPG_PENDULUM.nTimesteps, config: a.config, dispose: () => a.dispose() };
    }
    case "dqn/CartPole-v1": {
      const env = one();
      const a = new DQN(env, ZOO_DQN_CARTPOLE.config, { seed });
      return { agent: a, envs: [env], steps: ZOO_DQN_CARTPOLE.nTimesteps, config: a.config, dispose: () => a.dispose() };
    }
    case "ppo/CartPole-v1":
    case "ppo/Pendulum-v1": {
      if (envId === "CartPole-v1") {
        const envs = Array.from({ length: ZOO_PPO_CARTPOLE.nEnvs }, () => makeClassicEnv(envId));
        const a = new PPO(envs[0], ZOO_PPO_CARTPOLE.config, { seed });
        return { agent: a, envs, steps: ZOO_PPO_CARTPOLE.nTimesteps, config: { ...a.config, nEnvs: ZOO_PPO_CARTPOLE.nEnvs }, dispose: () => a.dispose() };
      }
      const zoo = ZOO_PPO_PENDULUM;
      if (!normalize) {
        const envs = Array.from({ length: zoo.nEnvs }, () => makeClassicEnv(envId));
        const a = new PPO(envs[0], zoo.config, { seed });
        return { agent: a, envs, steps: zoo.nTimesteps, config: { ...a.config, nEnvs: zoo.nEnvs, normalize: false }, dispose: () => a.dispose() };
      }
      // The zoo normalises Pendulum's observations and rewards (VecNormalize); evaluation
      // reads observations through the frozen statistics and reports raw rewards.
      const stats = new NormalizeStats(3, zoo.normalize);
      const envs = Array.from({ length: zoo.nEnvs }, () => new NormalizedEnv(makeClassicEnv(envId), stats));
      const a = new PPO(envs[0], zoo.config, { seed });
      const evalEnv = () => {
        stats.training = false;
        return new NormalizedEnv(makeClassicEnv(envId), stats, { normalizeReward: false });
      };
      return {
        agent: a,
        envs,
        steps: zoo.nTimesteps,
        config: { ...a.config, nEnvs: zoo.nEnvs, normalize: zoo.normalize },
        evalEnv,
        dispose: () => a.dispose(),
      };
    }
    default:
      throw new UsageError(`no zoo setting for ${key}; supported: ${Object.keys(SB3_REFERENCE).join(", ")}`);
  }
}

/** One seed's training and deterministic evaluation. */
interface SeedResult {
  seed: number;
  evalMean: number;
  evalStd: number;
  evalReturns: number[];
  trainEpisodes: number;
  lastTrainReturns: number[];
  updates: number;
  trainSeconds: number;
}

/** What `flash classic-proof` runs (its options, checked by the command). */
export interface ProofOptions {
  algo: string;
  envId: string;
  nSeeds: number;
  first: number;
  evalEpisodes: number;
  /** Overrides the zoo's training budget (quick checks). */
  steps?: number;
  /** PPO Pendulum: the zoo's VecNormalize (envs/normalize.ts), else raw observations and rewards. */
  normalize: boolean;
  out: string;
  log?: (line: string) => void;
}

const stderrLine = (line: string): void => void process.stderr.write(line + "\n");

/** Whether (algo, env) has a zoo setting here; a usage error listing those that do. */
export function checkProofSetting(algo: string, envId: string): void {
  if (!(`${algo}/${envId}` in SB3_REFERENCE))
    throw new UsageError(`no zoo setting for --algo ${algo} --env ${envId}; supported: ${Object.keys(SB3_REFERENCE).join(", ")}`);
}

/** Train seed `s` with the zoo's settings (or `o.steps`), then evaluate it deterministically. */
function runSeed(o: ProofOptions, s: number): { result: SeedResult; config: object; steps: number } {
  const key = `${o.algo}/${o.envId}`;
  const su = setup(o.algo, o.envId, s, o.normalize);
  const steps = o.steps ?? su.steps;
  const log = o.log ?? stderrLine;
  log(`[${key} seed ${s}] training ${steps} steps on ${backendInfo().name}`);
  const res = train(su.agent, su.envs.length === 1 ? su.envs[0] : su.envs, {
    totalTimesteps: steps,
    seed: s,
    onProgress: (p) =>
      log(
        `[${key} seed ${s}] ${p.timesteps}/${p.totalTimesteps} steps, ${p.episodes} episodes, recent return ${p.recentMeanReturn.toFixed(1)}, ` +
          `${p.updates} updates, loss ${p.lastLoss.toPrecision(3)}, ${p.seconds.toFixed(0)} s`,
      ),
  });
  const ev = evaluatePolicy(su.agent, su.evalEnv ? su.evalEnv() : makeClassicEnv(o.envId as "Pendulum-v1"), {
    episodes: o.evalEpisodes,
    seed: 1_000_000 + 1000 * s,
  });
  su.dispose();
  log(
    `[${key} seed ${s}] deterministic evaluation over ${o.evalEpisodes} episodes: ${ev.mean.toFixed(1)} +/- ${ev.std.toFixed(1)} (train ` +
      `${res.seconds.toFixed(0)} s)`,
  );
  const result: SeedResult = {
    seed: s,
    evalMean: ev.mean,
    evalStd: ev.std,
    evalReturns: ev.returns,
    trainEpisodes: res.episodeReturns.length,
    lastTrainReturns: res.episodeReturns.slice(-10),
    updates: res.updates,
    trainSeconds: res.seconds,
  };
  return { result, config: su.config, steps };
}

/** `<base>.json` (every number) and `<base>.md` (the table against the SB3 zoo) for the seeds so far. */
function writeProof(base: string, o: ProofOptions, run: { steps: number; config: object; started: string; perSeed: SeedResult[] }): void {
  const { algo, envId, evalEpisodes } = o;
  const { steps, perSeed } = run;
  const ref = SB3_REFERENCE[`${algo}/${envId}`];
  const ci = meanCi95(perSeed.map((p) => p.evalMean));
  const report = {
    algo,
    env: envId,
    steps,
    seeds: perSeed.map((p) => p.seed),
    evalEpisodes,
    meanReturn: ci.mean,
    ci95HalfWidth: ci.ci95,
    sb3Reference: ref,
    backend: backendInfo(),
    started: run.started,
    finished: new Date().toISOString(),
    config: run.config,
    perSeed,
  };
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + "\n");
  const ciText = Number.isFinite(ci.ci95) ? `${ci.mean.toFixed(1)} ± ${ci.ci95.toFixed(1)}` : `${ci.mean.toFixed(1)} (one seed, no interval)`;
  const md = [
    `# ${algo.toUpperCase()} on ${envId}`,
    "",
    `Training budget ${steps} steps per seed (zoo hyper-parameters), deterministic evaluation ${evalEpisodes} episodes per seed, backend ` +
      `${backendInfo().name}.`,
    "",
    "| | mean return | 95% CI (t, over seeds) | seeds |",
    "|---|---:|---|---:|",
    `| this run | ${ci.mean.toFixed(1)} | ${ciText} | ${ci.n} |`,
    ref ? `| SB3 zoo (published, one run) | ${ref.mean} | std over episodes ${ref.std} | 1 |` : "",
    "",
    "| seed | eval mean | eval std | train episodes | updates | train s |",
    "|---:|---:|---:|---:|---:|---:|",
    ...perSeed.map(
      (p) => `| ${p.seed} | ${p.evalMean.toFixed(1)} | ${p.evalStd.toFixed(1)} | ${p.trainEpisodes} | ${p.updates} | ${p.trainSeconds.toFixed(0)} |`,
    ),
    "",
  ].join("\n");
  writeFileSync(`${base}.md`, md);
}

/** Trains and evaluates every seed; writes `<out>/<algo>-<env>.{json,md}` after each; returns the JSON file's base path. */
export async function classicProof(o: ProofOptions): Promise<string> {
  checkProofSetting(o.algo, o.envId);
  mkdirSync(o.out, { recursive: true });
  const base = path.join(o.out, `${o.algo}-${o.envId}`);
  const perSeed: SeedResult[] = [];
  const started = new Date().toISOString();
  for (let s = o.first; s < o.first + o.nSeeds; s++) {
    const { result, config, steps } = runSeed(o, s);
    perSeed.push(result);
    // Rewritten after every seed: an interrupted proof keeps what it measured.
    writeProof(base, o, { steps, config, started, perSeed });
  }
  return base;
}
