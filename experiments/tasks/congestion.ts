/**
 * Congestion control (FLASH paper A.5-A.6) as a harness task (`congestion`): one pair =
 * one network environment (a link cell of the paper's 625, or a Pantheon link trace with
 * `--traces network-traces`) on the packet-level path simulator (sim/network), in Aurora's MDP
 * (AuroraCongestion-v0, envs/congestion/env.ts). Pairs and their config:
 * congestion-pairs.ts.
 *
 * Agents:
 *   - original = Aurora: our PPO (agents/ppo.ts) with Aurora's network (policy and value
 *     MLPs of 32 and 16 tanh units) and Table 12's hyper-parameters: learning rate 3e-4,
 *     gamma 0.99, GAE lambda 0.95, clip 0.2, entropy 0.005, value coefficient 0.5,
 *     2048-step rollouts (full); Table 12 does not state minibatch size and epochs: SB3's
 *     64 and 10. quick/demo use shorter rollouts (stated per profile).
 *   - FLASH-Aurora = the same PPO conditioned on the pair's embedding through
 *     agents/flash-conditioning.ts (PPO's combined loss trains the meta learner); TL = the
 *     same PPO pretrained on the pool without embedding; scratch = the reference run.
 *   - non-ML baselines (agents/baselines/congestion.ts), evaluated by `reference` on every
 *     new pair on the agents' evaluation episodes: the oracle fixed rate at the path's
 *     capacity, AIMD with CUBIC growth (halve on loss), and a BBR-like pacer.
 *
 * Rates are clamped to [5, 20000] packets/s (0.06-240 Mbps: the grid's 0.1-128 Mbps
 * needs more room than Aurora's [40, 1000]; Genet, the Aurora follow-up that packaged the
 * Pantheon traces, uses these bounds). Monitor intervals last at least two packet
 * intervals (`minIntervalPackets` 2; Aurora: none), so the grid's low
 * bandwidth-delay cells (0.1 Mbps at 1 ms: a packet every 120 ms, MIs of 1 ms) do not
 * spend most MIs without a packet.
 *
 * The protocol steps are the shared kit's (rl-flash-kit.ts); Figure 12's experiment is
 * the harness's `updates` hook (an updated pair = a test cell with one parameter moved
 * two sub-ranges, or all four).
 */
import { ConfigError, OptionValueError } from "../../errors.js";
import { AimdSender, BbrSender, FixedRateSender, senderAction, type RateSender } from "../../agents/baselines/congestion.js";
import { AURORA_PPO_DEFAULTS, PPO, SB3_PPO_DEFAULTS, type PPOConfig } from "../../agents/ppo.js";
import type { CongestionEnv } from "../../envs/congestion/env.js";
import { FEATURES } from "../../envs/congestion/env.js";
import {
  congestionPairOracle,
  linkPair,
  makePairEnv,
  shuffledCells,
  tracePairs,
  updatePairsFor,
  validateCongestionConfig,
  type CongestionAgentConfig,
  type CongestionConfig,
  type CongestionEnvConfig,
} from "./congestion-pairs.js";
import { EVAL_SEED, flashWords, rlFlashKit, StepMeans, total, type FlashSettings } from "./rl-flash-kit.js";
import { constantActions } from "./fixed-actions.js";
import { PAPER_FLASH, paperBudgets, pickProfile, type ProfileSpec, type ProfileTable } from "./profiles.js";
import { resolveDataset } from "../datasets.js";
import type { ProfileOptions, RlTask } from "./types.js";

export { validateCongestionConfig, type CongestionConfig } from "./congestion-pairs.js";

const TASK = "congestion";
/** Aurora's history length; the FLASH model's state size is HISTORY x 3. */
const HISTORY = 10;

interface Profile extends ProfileSpec {
  /** Trace pairs added to the test pairs with --traces. */
  traces: number;
  /** Figure 12 scenarios (the first n of bandwidth, delay, queue, loss, all). */
  updates: number;
  env: CongestionEnvConfig;
  agent: CongestionAgentConfig;
}

const ENV: CongestionEnvConfig = {
  historyLength: 10,
  deltaScale: 0.025,
  minRate: 5,
  maxRate: 20000,
  rewardScale: 0.001,
  maxEpisodeSteps: 400,
  minIntervalPackets: 2,
};
/** Table 12 (agents/ppo.ts holds it once; minibatch and epochs SB3's), in this task's agent shape. */
const A = AURORA_PPO_DEFAULTS;
export const TABLE12: CongestionAgentConfig = {
  netArch: [...A.netArch.pi],
  learningRate: A.learningRate as number,
  nSteps: A.nSteps,
  batchSize: A.batchSize,
  nEpochs: A.nEpochs,
  gamma: A.gamma,
  gaeLambda: A.gaeLambda,
  clipRange: A.clipRange as number,
  entCoef: A.entCoef,
  vfCoef: A.vfCoef,
  learningStarts: 0,
};
const SMALL_FLASH: FlashSettings = { hidden: 16, layers: 1, fcHidden: 16, embeddingDim: 8, contextSize: 4, maxSteps: 20, contextSubsample: 1 };

export const CONGESTION_PROFILES: ProfileTable<Profile> = {
  golden: {
    purpose: "seconds: tests and golden runs (20-MI episodes)",
    pool: 2,
    test: 2,
    traces: 1,
    updates: 2,
    env: { ...ENV, maxEpisodeSteps: 20 },
    agent: { ...TABLE12, nSteps: 20, batchSize: 10, nEpochs: 1 },
    flash: { ...SMALL_FLASH, hidden: 8, fcHidden: 8, embeddingDim: 4, contextSize: 2, maxSteps: 8 },
    budgets: { referenceEpisodes: 2, pretrainEpisodes: 4, adaptEpisodes: 2, embedEpisodes: 1, evalEpisodes: 1, abTargets: 1, window: 10, tolerance: 0.05 },
  },
  demo: {
    purpose: "a few minutes: 100-MI episodes, 6-cell pool, 3 new cells, 512-step rollouts",
    pool: 6,
    test: 3,
    traces: 1,
    updates: 5,
    env: { ...ENV, maxEpisodeSteps: 100 },
    agent: { ...TABLE12, nSteps: 512 },
    flash: SMALL_FLASH,
    budgets: { referenceEpisodes: 30, pretrainEpisodes: 120, adaptEpisodes: 20, embedEpisodes: 1, evalEpisodes: 2, abTargets: 2, window: 5, tolerance: 0.05 },
  },
  quick: {
    purpose:
      "about 30 minutes on 2 cores (target): 200-MI episodes, 12-cell pool, 4 new cells (the paper's link cells; --traces network-traces adds 2), " +
      "1024-step rollouts, 60k-step PPO references",
    pool: 12,
    test: 4,
    traces: 2,
    updates: 5,
    env: { ...ENV, maxEpisodeSteps: 200 },
    agent: { ...TABLE12, nSteps: 1024 },
    flash: SMALL_FLASH,
    // References: 300 episodes x 200 MIs = 60k PPO steps per pair (was 30 = 6k, which the oracle and the BBR-like sender beat).
    // Exploration on run seed 0's new and updated pairs: the deterministic return gains little after 40-60k steps
    // (docs/results/2026-12-06-congestion-pccrl.md); Aurora's own curve: 459.7 -> 589.5 in 120k steps.
    budgets: { referenceEpisodes: 300, pretrainEpisodes: 180, adaptEpisodes: 20, embedEpisodes: 2, evalEpisodes: 3, abTargets: 2, window: 5, tolerance: 0.05 },
  },
  full: {
    purpose: "the paper's: pool 200, the other 425 cells new, 400-MI episodes, Table 12's 2048-step rollouts, 100 A/B tests (10 per agent)",
    pool: 200,
    test: 425,
    traces: 537,
    updates: 5,
    env: { ...ENV },
    agent: { ...TABLE12 },
    flash: PAPER_FLASH,
    budgets: paperBudgets({ referenceEpisodes: 500, pretrainEpisodes: 20000, adaptEpisodes: 200 }),
  },
};

export const CONGESTION_FOLDERS = {
  traces: "link traces: the dataset name network-traces (Pantheon JSON; data/README.md) or a folder of *.json / *.csv files (sim/network/README.md)",
} as const;

/**
 * A profile's config for a run seed. Every profile draws the paper's link cells (Aurora's
 * parameter ranges; the paper used no measured links); `traces` (a dataset name or a
 * path, experiments/datasets.ts) adds the profile's count of trace pairs to the new pairs.
 */
export function congestionProfile(name: string, runSeed: number, opts: ProfileOptions = {}): CongestionConfig {
  const p = pickProfile(CONGESTION_PROFILES, name, TASK);
  const pool = opts.poolSize ?? p.pool;
  if (p.test + pool > 625) throw new OptionValueError("--pool-sizes", `at most ${625 - p.test} (the 625 cells of the grid less ${p.test} new ones)`, pool);
  const cells = shuffledCells(runSeed);
  const test = cells.slice(0, p.test).map((c) => linkPair(c, runSeed));
  const traces = opts.traces ? resolveDataset(opts.traces, { option: "--traces", kinds: ["link-traces"], synthetic: true }) : null;
  const testPairs = traces ? [...test, ...tracePairs(traces, p.traces, runSeed)] : test;
  return {
    task: TASK,
    traces,
    env: { ...p.env },
    poolPairs: cells.slice(p.test, p.test + pool).map((c) => linkPair(c, runSeed)),
    testPairs,
    updatePairs: updatePairsFor(test, p.updates, runSeed),
    agent: { ...p.agent, netArch: [...p.agent.netArch] },
    flash: { ...p.flash },
    budgets: { ...p.budgets },
  };
}

export function ppoConfig(a: CongestionAgentConfig): PPOConfig {
  return {
    ...SB3_PPO_DEFAULTS,
    netArch: { pi: [...a.netArch], vf: [...a.netArch] },
    learningRate: a.learningRate,
    nSteps: a.nSteps,
    batchSize: a.batchSize,
    nEpochs: a.nEpochs,
    gamma: a.gamma,
    gaeLambda: a.gaeLambda,
    clipRange: a.clipRange,
    entCoef: a.entCoef,
    vfCoef: a.vfCoef,
  };
}

/** Per evaluation step: what the report shows next to the reward. */
export const CONGESTION_METRICS = {
  throughputMbps: "throughput (Mbps, mean per MI)",
  utilisation: "throughput / capacity (mean per MI)",
  latencyMs: "mean RTT (ms, mean per MI)",
  loss: "loss ratio (mean per MI)",
} as const;

function stepMetrics(info: Record<string, number | string | boolean>): Record<keyof typeof CONGESTION_METRICS, number> {
  const cap = Number(info.capacityMbps);
  return {
    throughputMbps: Number(info.throughputMbps),
    utilisation: cap > 0 ? Number(info.throughputMbps) / cap : 0,
    latencyMs: Number(info.latencyMs),
    loss: Number(info.loss),
  };
}

export const BASELINE_LABELS = {
  oracle: "fixed rate at the path's capacity (oracle)",
  aimd: "AIMD, CUBIC growth, halve on loss",
  bbr: "BBR-like (max-throughput x gain cycle, min-RTT inflight cap)",
} as const;

const senders = (): Record<keyof typeof BASELINE_LABELS, RateSender> => ({
  oracle: new FixedRateSender(),
  aimd: new AimdSender({ growth: "cubic" }),
  bbr: new BbrSender(),
});

/** One deterministic episode of a baseline sender from `reset(seed)`. */
export function runSender(env: CongestionEnv, sender: RateSender, seed: number, onStep?: (r: ReturnType<CongestionEnv["step"]>) => void): number[] {
  sender.reset();
  env.reset(seed);
  const rewards: number[] = [];
  for (;;) {
    const r = env.step(senderAction(sender, env));
    onStep?.(r);
    rewards.push(r.reward);
    if (r.truncated || r.terminated) return rewards;
  }
}

/** Mean return and per-step metrics of each baseline over the evaluation episodes. */
export function baselineRewards(
  cfg: CongestionConfig,
  pair: string,
  seed: number,
): { baselines: Record<string, number>; metrics: Record<string, Record<string, number>> } {
  const env = kit.envOf(cfg, pair, seed);
  const baselines: Record<string, number> = {};
  const metrics: Record<string, Record<string, number>> = {};
  const n = cfg.budgets.evalEpisodes;
  for (const [name, s] of Object.entries(senders())) {
    const ops = new StepMeans(stepMetrics);
    let sum = 0;
    for (let e = 0; e < n; e++) sum += total(runSender(env, s, EVAL_SEED + e, ops.add));
    baselines[name] = sum / n;
    metrics[name] = ops.means() ?? {};
  }
  return { baselines, metrics };
}

/**
 * The fixed-action grid: constant rate changes in the random policy's range [-1, 1]
 * (0 holds the starting rate; +-1 moves it 2.5% per MI), finer near 0. A grid of fixed
 * sending rates is not searched: a rate far above a link's capacity costs up to 30 s of
 * packet-level simulation per episode (128 Mbps on a 0.1 Mbps cell), and the rate that
 * matches the capacity is the oracle below, a bound.
 */
export const CONGESTION_FIXED_CHANGES = [-1, -0.5, -0.25, -0.1, -0.05, 0, 0.05, 0.1, 0.25, 0.5, 1];

const kit = rlFlashKit<CongestionConfig, CongestionEnv, { baselines: Record<string, number> }>({
  name: TASK,
  // The FLASH model's state size is fixed per task: Aurora's 10-MI history (the config's historyLength is checked against it).
  stateDim: HISTORY * FEATURES,
  actionDim: 1,
  env: (cfg, pair, seed) => makePairEnv(cfg.env, pair as CongestionConfig["poolPairs"][number], seed),
  episodeSteps: (cfg) => cfg.env.maxEpisodeSteps,
  agent: (cfg, env, o) => new PPO(env, ppoConfig(cfg.agent), { seed: o.seed, extra: o.extra }),
  randomAction: (rng) => () => [rng.uniform(-1, 1)],
  progress: { digits: 1, referenceEvery: 5 },
  referenceExtras: (cfg, pair, seed) => baselineRewards(cfg, pair, seed),
  stepMetrics,
  // The oracle control and the probe read the link's parameters.
  oracle: (_cfg, pair) => congestionPairOracle(pair),
  fixedActions: () => constantActions(CONGESTION_FIXED_CHANGES.map((a) => [a])),
});

export function createCongestionTask(): RlTask<CongestionConfig> {
  return kit.task({
    summary:
      "Congestion control (FLASH A.5): 625 link cells (+ Pantheon traces) on a packet-level simulator; Aurora's PPO, FLASH-Aurora, transfer learning, " +
      "oracle/AIMD/BBR baselines",
    profileTable: CONGESTION_PROFILES,
    folderOptions: { ...CONGESTION_FOLDERS },
    metricLabels: { ...CONGESTION_METRICS },
    baselineLabels: { ...BASELINE_LABELS },
    // The oracle sends at the link's capacity, which no sender can read: a bound, not a reference.
    boundBaselines: ["oracle"],
    paper: { speedupVsTl: 2.4, rewardDropOriginal: 0.28, rewardDropFlash: 0.056, source: "FLASH (MLSys 2024) A.5-A.6: congestion control, Aurora's PPO" },
    profile: (name, runSeed, opts = {}) => congestionProfile(name, runSeed, opts),
    validateConfig(raw, where) {
      const cfg = validateCongestionConfig(raw, where);
      if (cfg.env.historyLength !== HISTORY)
        throw new ConfigError(
          `${where}.env.historyLength: expected ${HISTORY} (the FLASH model's state is ${HISTORY} MIs x ${FEATURES}), got ${cfg.env.historyLength}`,
        );
      return cfg;
    },
    describe(cfg) {
      const a = cfg.agent;
      const f = cfg.flash;
      const traces = cfg.testPairs.filter((p) => p.kind === "trace").length;
      return (
        `${cfg.poolPairs.length} pool cells, ${cfg.testPairs.length - traces} new cells${traces ? ` + ${traces} traces from ${cfg.traces}` : ""}; ` +
        `${cfg.env.maxEpisodeSteps} MIs per episode, rate in [${cfg.env.minRate}, ${cfg.env.maxRate}] pkt/s; Aurora PPO ${a.netArch.join("x")}, lr ` +
        `${a.learningRate}, ${a.nSteps}-step rollouts, batch ${a.batchSize} x ${a.nEpochs} epochs, ent ${a.entCoef}; ` +
        flashWords(f)
      );
    },
  });
}
