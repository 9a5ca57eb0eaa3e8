/**
 * CPU frequency scaling (FLASH paper 5.3) as a harness task (`cpufreq`): one pair = one
 * application on one processor (CpuFreq-v0, envs/cpufreq/env.ts: SmartOverclock's
 * Table 9 MDP on the DVFS server simulator of sim/cpufreq). Pairs, traces, processors
 * and the update experiment: cpufreq-pairs.ts.
 *
 * Agents (through the shared task kit, rl-flash-kit.ts):
 *   - original = SmartOverclock's DQN with Table 10's hyper-parameters (learning rate
 *     1e-4, learning starts 50,000, buffer 1e6, batch 32, gamma 0.99, target update rate
 *     (tau) 1.0, exploration fraction 0.1; SB3 for the rest: train every 4 steps, target
 *     copy every 10,000 steps, final epsilon 0.05, 64x64 ReLU MLP). The demo and quick
 *     profiles scale the step counts down (learning starts, target interval, buffer):
 *     `CPUFREQ_PROFILES` states every number, and the report's describe line prints them.
 *   - FLASH-SmartOverclock = the same DQN conditioned on the pair's embedding (DQN's TD
 *     loss trains the meta learner during pretraining); TL = the same DQN pretrained on the
 *     pool without embedding, then fine-tuned; scratch = the reference run.
 *   - the Linux governors (agents/baselines/governors.ts: performance, powersave, ondemand,
 *     conservative, schedutil) served beside the agents on the same evaluation windows:
 *     `reference` returns their rewards as `baselines.<governor>` and their metrics.
 *
 * Metrics per evaluation step (`CPUFREQ_METRICS`): instructions per second, energy
 * (reported as the episode's energy: each step contributes energy x steps, so the
 * per-step mean is joules per episode), SLO preservation, frequency and utilisation.
 *
 * The update experiment (`updates`): the paper's application updates (shared definition,
 * sim/k8s/scenarios.ts) and, as scenario "processor", each test application moved to
 * another processor; with the A/B test's other-application targets this gives Figure 13's
 * two drops of the original agent (new workload vs new processor).
 */
import { DQN, SB3_DQN_DEFAULTS, SMARTOVERCLOCK_DQN_DEFAULTS, type DQNConfig } from "../../agents/dqn.js";
import { Governor, GOVERNORS, type GovernorName } from "../../agents/baselines/governors.js";
import type { CpufreqEnv } from "../../envs/cpufreq/env.js";
import { CPUFREQ_ACTION_LEVELS, CPUFREQ_OBS_DIM } from "../../envs/cpufreq/env.js";
import type { StepResult } from "../../envs/env.js";
import {
  cpufreqPairOracle,
  cpufreqUpdatePairs,
  drawCpufreqPairs,
  makeCpufreqEnv,
  runProcessors,
  validateCpufreqConfig,
  type CpufreqConfig,
} from "./cpufreq-pairs.js";
import { specOf } from "../../sim/cpufreq/processor.js";
import { EVAL_SEED, flashWords, rlFlashKit, StepMeans } from "./rl-flash-kit.js";
import { constantActions } from "./fixed-actions.js";
import { PAPER_FLASH, paperBudgets, pickProfile, type ProfileSpec, type ProfileTable } from "./profiles.js";
import type { ProfileOptions, RlTask } from "./types.js";
import { resolveDataset } from "../datasets.js";

export { validateCpufreqConfig, type CpufreqConfig } from "./cpufreq-pairs.js";

const TASK = "cpufreq";

interface Profile extends ProfileSpec {
  /** Application-update scenarios (the first n of the paper's 7). */
  updates: number;
  /** Also move each test app to another processor (scenario "processor"). */
  processorChanges: boolean;
  env: CpufreqConfig["env"];
  agent: CpufreqConfig["agent"];
}

/** Table 10 (agents/dqn.ts holds it once), the fields this task's profiles set. */
const D = SMARTOVERCLOCK_DQN_DEFAULTS;
const TABLE10 = {
  netArch: [...D.netArch],
  learningRate: D.learningRate,
  bufferSize: D.bufferSize,
  learningStarts: D.learningStarts,
  batchSize: D.batchSize,
  gamma: D.gamma,
  tau: D.tau,
  explorationFraction: D.explorationFraction,
  trainFreq: D.trainFreq,
  targetUpdateInterval: D.targetUpdateInterval,
  explorationFinalEps: D.explorationFinalEps,
};
const ENV = { maxEpisodeSteps: 100, alpha: 0.5, powerWeight: 0.5, loadFraction: 0.5, counterNoise: 0.01, traceSeconds: 3600 };

export const CPUFREQ_PROFILES: ProfileTable<Profile> = {
  demo: {
    purpose: "seconds: tests and the golden regression run (20-step episodes, synthetic load by default; numbers, not learning)",
    pool: 3,
    test: 2,
    updates: 1,
    processorChanges: true,
    env: { ...ENV, maxEpisodeSteps: 20, traceSeconds: 600 },
    agent: { ...TABLE10, netArch: [16, 16], bufferSize: 10_000, learningStarts: 20, targetUpdateInterval: 20 },
    flash: { hidden: 8, layers: 1, fcHidden: 8, embeddingDim: 4, contextSize: 2, maxSteps: 8, contextSubsample: 1 },
    budgets: { referenceEpisodes: 2, pretrainEpisodes: 3, adaptEpisodes: 2, embedEpisodes: 1, evalEpisodes: 1, abTargets: 1, window: 5, tolerance: 0.05 },
  },
  /**
   * Step counts scaled from Table 10: learning starts
   * 50,000 -> 1,000, target copy every 10,000 -> 500 steps, buffer 1e6 -> 1e5; and the
   * learning rate 1e-4 -> 1e-3: at 1e-4 a scratch DQN was still no better than a random
   * policy after 600 episodes (60,000 steps) on the quick test pairs (docs/notes/cpufreq.md),
   * so at these budgets 1e-4 would leave no reference to measure drops against.
   */
  quick: {
    purpose: "under 20 minutes on 2 cores: Table 10's step counts scaled down, learning rate 1e-3, synthetic load by default (no public trace in the paper)",
    pool: 12,
    test: 6,
    updates: 7,
    processorChanges: true,
    env: { ...ENV },
    agent: { ...TABLE10, learningRate: 1e-3, bufferSize: 100_000, learningStarts: 1000, targetUpdateInterval: 500 },
    flash: { hidden: 16, layers: 1, fcHidden: 16, embeddingDim: 8, contextSize: 4, maxSteps: 20, contextSubsample: 1 },
    budgets: { referenceEpisodes: 300, pretrainEpisodes: 480, adaptEpisodes: 60, embedEpisodes: 2, evalEpisodes: 5, abTargets: 3, window: 10, tolerance: 0.05 },
  },
  full: {
    purpose: "the paper's sizes: pool 200, 100 new pairs (100 A/B tests x 10), Table 10 unscaled, the paper's encoder, synthetic load by default",
    pool: 200,
    test: 100,
    updates: 7,
    processorChanges: true,
    env: { ...ENV },
    agent: { ...TABLE10 },
    flash: PAPER_FLASH,
    budgets: paperBudgets({ referenceEpisodes: 1000, pretrainEpisodes: 4000, adaptEpisodes: 300 }),
  },
};

export const CPUFREQ_FOLDERS = {
  traces:
    "load traces: a dataset name (load-traces, or one trace such as nasa-http-1995; data/README.md), synthetic (the default), or a folder of the " +
    "files load-traces holds or of `t,rate` CSV files (traces/README.md); read at 1 s resolution",
} as const;

/**
 * A profile's config for a run seed. Every profile draws synthetic per-second load, as
 * SmartOverclock's setup has no public trace to replay; `traces` (a dataset name or a
 * path, experiments/datasets.ts) replaces it with real or user traces.
 */
export function cpufreqProfile(name: string, runSeed: number, opts: ProfileOptions = {}): CpufreqConfig {
  const p = pickProfile(CPUFREQ_PROFILES, name, TASK);
  const given =
    opts.traces !== undefined ? { value: opts.traces, from: "--traces" } : { value: process.env.FLASH_CPUFREQ_TRACES || null, from: "FLASH_CPUFREQ_TRACES" };
  const traces = given.value ? resolveDataset(given.value, { option: given.from, kinds: ["load-traces"], synthetic: true }) : null;
  const procs = runProcessors();
  const drawn = drawCpufreqPairs(runSeed, p.test + (opts.poolSize ?? p.pool), p.env, procs, traces || null);
  const testPairs = drawn.slice(0, p.test);
  return {
    task: TASK,
    traces: traces || null,
    processors: procs.map(specOf),
    env: { ...p.env },
    poolPairs: drawn.slice(p.test),
    testPairs,
    updatePairs: cpufreqUpdatePairs(
      testPairs,
      p.updates,
      procs.map((x) => x.name),
      p.processorChanges,
    ),
    agent: { ...p.agent, netArch: [...p.agent.netArch] },
    flash: { ...p.flash },
    budgets: { ...p.budgets },
  };
}

export function dqnConfig(cfg: CpufreqConfig, learningStarts: number): Partial<DQNConfig> {
  const a = cfg.agent;
  return { ...SB3_DQN_DEFAULTS, ...a, netArch: [...a.netArch], learningStarts };
}

export const CPUFREQ_METRICS = {
  gips: "instructions per second (10^9, mean per step)",
  energyJ: "energy (J per episode)",
  slo: "SLO preservation (min(1, SLO / p99 latency), mean per step)",
  ghz: "frequency (GHz, mean per step)",
  util: "CPU utilisation (mean per step)",
} as const;

function metricsOf(steps: number) {
  return (info: NonNullable<StepResult["info"]>): Record<keyof typeof CPUFREQ_METRICS, number> => ({
    gips: Number(info.ips) / 1e9,
    energyJ: Number(info.energyJ) * steps,
    slo: Number(info.sp),
    ghz: Number(info.frequencyGHz),
    util: Number(info.utilisation),
  });
}

/** One episode of a governor from `reset(seed)`: its return, each step seen by `onStep`. */
export function governorEpisode(env: CpufreqEnv, gov: Governor, seed: number, onStep?: (r: StepResult) => void): number {
  gov.reset();
  let obs = env.reset(seed);
  let ret = 0;
  for (;;) {
    const r = env.stepFrequency(gov.next(obs[1], env.frequencyGHz));
    onStep?.(r);
    ret += r.reward;
    if (r.truncated || r.terminated) return ret;
    obs = r.observation;
  }
}

/** Each governor's mean return and metrics on the pair over the evaluation windows. */
export function governorRewards(
  cfg: CpufreqConfig,
  pair: string,
  seed: number,
): { baselines: Record<GovernorName, number>; metrics: Record<string, Record<string, number>> } {
  const env = kit.envOf(cfg, pair, seed);
  const n = cfg.budgets.evalEpisodes;
  const baselines = {} as Record<GovernorName, number>;
  const metrics: Record<string, Record<string, number>> = {};
  for (const name of GOVERNORS) {
    const gov = new Governor(name, env.processor);
    const ops = new StepMeans(metricsOf(cfg.env.maxEpisodeSteps));
    let sum = 0;
    for (let e = 0; e < n; e++) sum += governorEpisode(env, gov, EVAL_SEED + e, ops.add);
    baselines[name] = sum / n;
    metrics[name] = ops.means() ?? {};
  }
  return { baselines, metrics };
}

const kit = rlFlashKit<CpufreqConfig, CpufreqEnv, { baselines: Record<GovernorName, number> }>({
  name: TASK,
  stateDim: CPUFREQ_OBS_DIM,
  actionDim: 1,
  env: (cfg, pair, seed) => makeCpufreqEnv(cfg, pair, seed),
  episodeSteps: (cfg) => cfg.env.maxEpisodeSteps,
  agent: (cfg, env, o) => new DQN(env, dqnConfig(cfg, o.learningStarts), { seed: o.seed, extra: o.extra }),
  randomAction: (rng) => () => [rng.int(0, CPUFREQ_ACTION_LEVELS)],
  progress: { digits: 2, referenceEvery: 10 },
  referenceExtras: (cfg, pair, seed) => governorRewards(cfg, pair, seed),
  stepMetrics: (info) => metricsOf(Number(info.episodeSteps))(info),
  // The oracle control and the probe read the workload, processor and trace parameters.
  oracle: (cfg, pair) => cpufreqPairOracle(cfg, pair),
  // Every frequency level held for the whole episode.
  fixedActions: () =>
    constantActions(
      Array.from({ length: CPUFREQ_ACTION_LEVELS }, (_, k) => [k]),
      ([k]) => `level ${k}`,
    ),
  application: (_cfg, pair) => pair.app.name,
});

export function createCpufreqTask(): RlTask<CpufreqConfig> {
  return kit.task({
    summary:
      "CPU frequency scaling (FLASH 5.3): apps x processors on a DVFS server simulator; SmartOverclock's DQN, FLASH-SmartOverclock, transfer learning, " +
      "Linux governors",
    profileTable: CPUFREQ_PROFILES,
    folderOptions: { ...CPUFREQ_FOLDERS },
    metricLabels: { ...CPUFREQ_METRICS },
    baselineLabels: {
      performance: "Linux performance governor (f_max)",
      powersave: "Linux powersave governor (f_min)",
      ondemand: "Linux ondemand (up_threshold 80, sampling_down_factor 1)",
      conservative: "Linux conservative (5% steps, thresholds 80/20)",
      schedutil: "Linux schedutil (1.25 f_max util, frequency-invariant)",
    },
    paper: {
      speedupVsTl: 9.2,
      rewardDropOriginal: 0.39,
      rewardDropFlash: 0.071,
      source: "FLASH (MLSys 2024) 5.3: CPU frequency scaling, SmartOverclock's DQN",
    },
    profile: (name, runSeed, opts = {}) => cpufreqProfile(name, runSeed, opts),
    validateConfig: validateCpufreqConfig,
    describe(cfg) {
      const a = cfg.agent;
      const f = cfg.flash;
      const e = cfg.env;
      const src = cfg.traces ? `trace windows from ${cfg.traces}` : "synthetic 1 s traces";
      return (
        `apps x processors (${cfg.processors.map((p) => p.name).join(", ")}), ${src}; ${e.maxEpisodeSteps} steps of 1 s, ${CPUFREQ_ACTION_LEVELS} ` +
        `levels, alpha ${e.alpha}, power weight ${e.powerWeight}; SmartOverclock DQN net ${a.netArch.join("x")}, lr ${a.learningRate}, batch ` +
        `${a.batchSize}, gamma ${a.gamma}, tau ${a.tau}, learning starts ${a.learningStarts}, buffer ${a.bufferSize}, target every ` +
        `${a.targetUpdateInterval}, train every ${a.trainFreq}, exploration ${a.explorationFraction} -> ${a.explorationFinalEps}; ` +
        flashWords(f)
      );
    },
  });
}
