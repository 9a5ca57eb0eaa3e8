/**
 * The classic-control meta-RL family as a harness task (`pendulum-family`): one pair =
 * one Pendulum physics parameter set (envs/classic/family.ts), the original agent is
 * DDPG (SB3 semantics, small networks), FLASH is the same DDPG conditioned on the
 * pair's embedding through agents/flash-conditioning.ts, transfer learning (TL) is
 * the same DDPG without embedding pretrained on the same pool with the same budget.
 *
 * This file: the pairs, the profiles, the validated config, the environment and the DDPG
 * config; how each protocol step runs (reference, pretraining, adaptation, serving) is
 * the shared RL-FLASH kit's, rl-flash-kit.ts.
 */
import { DDPG, type DDPGConfig } from "../../agents/ddpg.js";
import { generatePairs, makeFamilyEnv, validateParams, validatePairId, type FamilyEnv, type PairSpec } from "../../envs/classic/family.js";
import { Rng } from "../../flash/rng.js";
import { distinctPairIds, netArch, num, obj, validateBudgets, validateFlashSettings } from "./config-checks.js";
import { flashWords, rlFlashKit, type FlashSettings } from "./rl-flash-kit.js";
import { constantActions, linspace } from "./fixed-actions.js";
import { paperBudgets, pickProfile, type ProfileSpec, type ProfileTable } from "./profiles.js";
import type { RlBudgets, RlTask } from "./types.js";
import { ConfigError } from "../../errors.js";

export interface ClassicFamilyConfig {
  family: "pendulum";
  /** Pretraining pool and new (test) pairs, resolved so the run is exact. */
  poolPairs: PairSpec[];
  testPairs: PairSpec[];
  agent: {
    netArch: number[];
    batchSize: number;
    learningRate: number;
    gamma: number;
    noiseSigma: number;
    tau: number;
    learningStarts: number;
    bufferSize: number;
  };
  flash: FlashSettings;
  budgets: RlBudgets;
}

/** The DDPG settings every profile shares (sizes, warm-up and replay are per profile). */
const PENDULUM_DDPG = { learningRate: 1e-3, gamma: 0.98, noiseSigma: 0.1, tau: 0.005 };

export const CLASSIC_PROFILES: ProfileTable<ProfileSpec & { agent: ClassicFamilyConfig["agent"] }> = {
  golden: {
    purpose: "seconds: the golden regression test (numbers only, not meaningful learning)",
    pool: 2,
    test: 2,
    agent: { netArch: [8, 8], batchSize: 16, ...PENDULUM_DDPG, learningStarts: 100, bufferSize: 5_000 },
    flash: { hidden: 4, layers: 1, fcHidden: 4, embeddingDim: 4, contextSize: 1, maxSteps: 4, contextSubsample: 1 },
    budgets: { referenceEpisodes: 2, pretrainEpisodes: 1, adaptEpisodes: 1, embedEpisodes: 1, evalEpisodes: 1, abTargets: 1, window: 10, tolerance: 0.05 },
  },
  demo: {
    purpose: "the README's demo: every protocol and figure on real (if short) learning, in a few minutes on 2 cores",
    pool: 3,
    test: 3,
    agent: { netArch: [32, 32], batchSize: 64, ...PENDULUM_DDPG, learningStarts: 600, bufferSize: 50_000 },
    flash: { hidden: 16, layers: 1, fcHidden: 16, embeddingDim: 8, contextSize: 4, maxSteps: 10, contextSubsample: 1 },
    budgets: { referenceEpisodes: 20, pretrainEpisodes: 18, adaptEpisodes: 10, embedEpisodes: 1, evalEpisodes: 3, abTargets: 2, window: 5, tolerance: 0.05 },
  },
  quick: {
    purpose: "minutes on 2 cores: small networks, small pool, short budgets",
    pool: 4,
    test: 3,
    agent: { netArch: [64, 64], batchSize: 64, ...PENDULUM_DDPG, learningStarts: 1000, bufferSize: 100_000 },
    flash: { hidden: 16, layers: 1, fcHidden: 16, embeddingDim: 8, contextSize: 4, maxSteps: 10, contextSubsample: 1 },
    budgets: { referenceEpisodes: 40, pretrainEpisodes: 40, adaptEpisodes: 25, embedEpisodes: 2, evalEpisodes: 5, abTargets: 2, window: 10, tolerance: 0.05 },
  },
  full: {
    purpose: "the paper's protocol sizes: ten new pairs, each original agent served on ten others (~100 A/B tests per seed)",
    pool: 16,
    test: 11,
    agent: { netArch: [400, 300], batchSize: 64, ...PENDULUM_DDPG, learningStarts: 1000, bufferSize: 200_000 },
    flash: { hidden: 64, layers: 2, fcHidden: 32, embeddingDim: 32, contextSize: 8, maxSteps: 50, contextSubsample: 4 },
    budgets: paperBudgets({ referenceEpisodes: 150, pretrainEpisodes: 400, adaptEpisodes: 100 }),
  },
  /**
   * The pool-size sweep (`flash sweep pendulum-family --profile sweep --pool-sizes 6,12,24,48`):
   * quick's agent and encoder (BiGRU 1x16 over 10 steps: a FLASH pretraining episode costs
   * ~3x a TL one, within what the overheads table measured for the TCN as well, so the
   * BiGRU stays), a 48-pair pool, and a fixed
   * total of 48 pretraining episodes for every pool size (pool-sweep.ts: one episode per
   * pair at 48, eight at 6); a shorter adaptation cap and window so that several
   * replicates of four sizes fit in an hour on 2 shared cores.
   */
  sweep: {
    purpose: "the pool-size sweep (flash sweep --pool-sizes 6,12,24,48): a 48-pair pool, a fixed total of 48 pretraining episodes per size",
    pool: 48,
    test: 3,
    agent: { netArch: [64, 64], batchSize: 64, ...PENDULUM_DDPG, learningStarts: 1000, bufferSize: 100_000 },
    flash: { hidden: 16, layers: 1, fcHidden: 16, embeddingDim: 8, contextSize: 4, maxSteps: 10, contextSubsample: 1 },
    budgets: { referenceEpisodes: 40, pretrainEpisodes: 48, adaptEpisodes: 15, embedEpisodes: 2, evalEpisodes: 3, abTargets: 2, window: 5, tolerance: 0.05 },
  },
};

function pairList(v: unknown, where: string): PairSpec[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError(`${where}: expected a non-empty array of {id, params}`);
  return v.map((p, i) => {
    const o = obj(p, `${where}[${i}]`, ["id", "params"]);
    return { id: validatePairId(o.id, `${where}[${i}].id`), params: validateParams("pendulum", o.params, `${where}[${i}].params`) };
  });
}

export function validateClassicConfig(raw: unknown, where: string): ClassicFamilyConfig {
  const o = obj(raw, where, ["family", "poolPairs", "testPairs", "agent", "flash", "budgets"]);
  if (o.family !== "pendulum") throw new ConfigError(`${where}.family: expected "pendulum", got ${JSON.stringify(o.family)}`);
  const poolPairs = pairList(o.poolPairs, `${where}.poolPairs`);
  const testPairs = pairList(o.testPairs, `${where}.testPairs`);
  distinctPairIds([...poolPairs, ...testPairs], where);
  const a = obj(o.agent, `${where}.agent`, ["netArch", "batchSize", "learningRate", "gamma", "noiseSigma", "tau", "learningStarts", "bufferSize"]);
  const agent = {
    netArch: netArch(a, `${where}.agent`),
    batchSize: num(a, "batchSize", `${where}.agent`, 1),
    learningRate: num(a, "learningRate", `${where}.agent`, 0, false),
    gamma: num(a, "gamma", `${where}.agent`, 0, false),
    noiseSigma: num(a, "noiseSigma", `${where}.agent`, 0, false),
    tau: num(a, "tau", `${where}.agent`, 0, false),
    learningStarts: num(a, "learningStarts", `${where}.agent`, 0),
    bufferSize: num(a, "bufferSize", `${where}.agent`, 1),
  };
  const flash = validateFlashSettings(o.flash, `${where}.flash`);
  const budgets = validateBudgets(o.budgets, `${where}.budgets`);
  return { family: "pendulum", poolPairs, testPairs, agent, flash, budgets };
}

const STEPS = 200; // Pendulum-v1's episode limit

/** The first `n` pendulum pairs of a run seed's draw (prefix-stable: a longer draw starts with the same pairs). */
function drawFamilyPairs(runSeed: number, n: number): PairSpec[] {
  return generatePairs("pendulum", n, new Rng(`pendulum-family/pairs/${runSeed}`));
}

function ddpgConfig(cfg: ClassicFamilyConfig, learningStarts: number): Partial<DDPGConfig> {
  const a = cfg.agent;
  return {
    netArch: a.netArch,
    batchSize: a.batchSize,
    learningRate: a.learningRate,
    gamma: a.gamma,
    tau: a.tau,
    bufferSize: a.bufferSize,
    learningStarts,
    actionNoise: { type: "normal", sigma: a.noiseSigma },
  };
}

const torqueLabel = ([x]: readonly number[]) => `torque ${Number(x.toFixed(4))}`;

// ---------------------------------------------------------------- the rest is the shared RL-FLASH kit

const kit = rlFlashKit<ClassicFamilyConfig, FamilyEnv>({
  name: "pendulum-family",
  stateDim: 3,
  actionDim: 1,
  env: (_cfg, pair, seed) => makeFamilyEnv("pendulum", pair, seed),
  episodeSteps: () => STEPS,
  agent: (cfg, env, o) => new DDPG(env, ddpgConfig(cfg, o.learningStarts), { seed: o.seed, extra: o.extra }),
  randomAction: (rng) => () => [rng.uniform(-2, 2)],
  progress: { digits: 0, referenceEvery: 10 },
  // The oracle control reads the pair's physics (mass, length, gravity, ...), in key order.
  oracle: (_cfg, pair) =>
    Object.keys(pair.params)
      .sort()
      .map((k) => pair.params[k]),
  // Constant torques over Pendulum's range [-2, 2].
  fixedActions: () =>
    constantActions(
      linspace(-2, 2, 9).map((x) => [x]),
      torqueLabel,
    ),
  fixedActionRefinement: { lo: [-2], hi: [2], steps: [0.25, 0.125], label: torqueLabel },
});

export function createClassicFamilyTask(): RlTask<ClassicFamilyConfig> {
  return kit.task({
    summary: "Pendulum physics pairs (mass, length, gravity); DDPG original agent, FLASH-conditioned DDPG, transfer learning",
    profileTable: CLASSIC_PROFILES,
    paper: {
      speedupVsTl: 5.5,
      rewardDropOriginal: 0.37,
      rewardDropFlash: 0.105,
      source: "FLASH (MLSys 2024) 5.2, autoscaling with FIRM's DDPG (the closest DDPG case study; the paper has no Pendulum experiment)",
    },
    profile(name, runSeed, opts = {}) {
      const p = pickProfile(CLASSIC_PROFILES, name, "pendulum-family");
      const pool = opts.poolSize ?? p.pool;
      const drawn = drawFamilyPairs(runSeed, pool + p.test);
      // Test pairs first so that sweeping the pool size keeps the same new pairs.
      return {
        family: "pendulum",
        testPairs: drawn.slice(0, p.test),
        poolPairs: drawn.slice(p.test),
        agent: { ...p.agent },
        flash: { ...p.flash },
        budgets: { ...p.budgets },
      };
    },
    // Replicate k: block k of the run seed's draw (prefix-stable, distinct ids), test pairs first.
    replicateConfig(cfg, runSeed, k) {
      if (k === 0) return cfg;
      const t = cfg.testPairs.length;
      const n = t + cfg.poolPairs.length;
      const block = drawFamilyPairs(runSeed, (k + 1) * n).slice(k * n);
      return { ...cfg, testPairs: block.slice(0, t), poolPairs: block.slice(t) };
    },
    validateConfig: validateClassicConfig,
    describe(cfg) {
      const a = cfg.agent;
      const f = cfg.flash;
      return `DDPG net ${a.netArch.join("x")}, batch ${a.batchSize}, lr ${a.learningRate}, gamma ${a.gamma}, noise N(0, ${a.noiseSigma}); ${flashWords(f)}`;
    },
  });
}
