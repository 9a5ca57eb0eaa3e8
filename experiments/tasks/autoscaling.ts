/**
 * Workload autoscaling (FLASH paper 5.2) as a harness task (`autoscaling`): one pair =
 * one application on the simulated 5-node Kubernetes cluster driven by one load trace
 * (K8sAutoscaling-v0, envs/autoscaling/env.ts: FIRM's Table 7 MDP). How pairs and
 * traces are chosen: autoscaling-pairs.ts.
 *
 * Agents:
 *   - original = FIRM's DDPG with Table 8's hyper-parameters (actor lr 3e-4, critic lr
 *     3e-3, soft update 3e-3, Gaussian noise sigma 0.2, discount 0.99, batch 64); the
 *     network sizes (FIRM does not state them) and the replay size are config fields:
 *     64x64 and 1e5 in quick, 400x300 (the DDPG paper's, SB3's) and 1e6 in full.
 *   - FLASH-FIRM = the same DDPG conditioned on the pair's embedding through
 *     agents/flash-conditioning.ts (the one FLASH mechanism); the critic's TD loss trains
 *     the meta learner during pretraining. Encoder: BiGRU 1x16, embedding 8, context 4
 *     trajectories x first 20 steps, 1 per batch in quick (bench/flash-overhead.ts
 *     measured that size as cheap); the paper's 2x256 BiGRU, embedding 32 in full.
 *   - TL (transfer learning as FIRM does it) = the same DDPG without embedding,
 *     pretrained on the same pool with the same budget, then fine-tuned on the new pair.
 *   - scratch = the reference run (DDPG from random weights on the new pair alone).
 *   - non-ML baselines: the Kubernetes HPA (target CPU 50%, tolerance 0.1, 5-minute
 *     scale-down stabilisation; limits fixed at the starting allocation) and the
 *     VPA-style recommender (p90 + 15%; replicas fixed), agents/baselines/. They are
 *     evaluated by `reference` on every new pair, on the same evaluation windows as the
 *     agents, and returned in its result as `baselines: {hpa, vpa}` (the harness's slot,
 *     tasks/types.ts): results.json `baselines.<name>` holds their reward and reward drop
 *     with the agents' definition, report.md a row each.
 *
 * Protocol steps (the harness's, experiments/protocols/rl-reproduce.ts; they run in the
 * shared RL-FLASH kit, rl-flash-kit.ts, which this file gives its env, DDPG config and
 * FLASH settings):
 *   - reference: DDPG from random weights, `referenceEpisodes` episodes on the pair
 *     (`learningStarts` uniform-random steps first); final deterministic evaluation; a
 *     uniform-random policy's return as the pair's baseline (the drop's zero point).
 *   - pretrain: one episode per call, pool pairs round-robin, one shared replay buffer,
 *     learning from the first step; FLASH first runs one uniform-random episode per pool
 *     pair (its first context; the harness counts them as pretraining episodes), TL
 *     does not need them (as the pendulum-family task).
 *   - adapt: load the pretrained networks, empty replay buffer, `adaptEpisodes` episodes
 *     on the new pair; FLASH with its meta learner frozen and the pair's episodes inserted
 *     as they finish (its embedding is a zero vector during the first episode).
 *   - serve: no weight update; FLASH first runs `embedEpisodes` deterministic episodes to
 *     get the embedding; every variant is evaluated on the same `evalEpisodes` windows.
 *
 * Beyond the kit's steps, this task gives the harness:
 *   - convergence on evaluation curves (`curve: "evaluation"`): Table 8's exploration
 *     noise OOM-kills pods, so training returns (quick: ~85) sit far below the
 *     deterministic policy's (~145) and mostly measure the noise; references and
 *     adaptations also record the deterministic return on evaluation window 0 after
 *     every episode, and convergence is judged on that.
 *   - the application-update experiment (`updates`, autoscaling-pairs.ts
 *     `updatePairsFor`): per scenario of the paper's 7, one test pair's application
 *     updated (sizes x4, load x2) on the same trace; scenarios that change no test
 *     application are left out (quick, 3 test pairs: usually 4-6 of 7).
 *   - Figure 8's operational metrics (`metricLabels`, `stepMetrics`): CPU utilisation
 *     and SLO preservation per evaluation step, for the served agents, the references
 *     and HPA/VPA.
 *
 * Pair and trace sources: `autoscalingProfile(name, seed, {traces, apps})`; from the CLI,
 * `flash reproduce autoscaling --traces T --apps DIR` (also `flash sweep`), T a dataset
 * name (`load-traces`, `azure-functions-2019`, ...), `synthetic` or a path. Without
 * them the profile decides: quick and full replay the repository's real load traces
 * (the paper replayed a real trace), golden and sweep draw synthetic ones. The
 * variables FLASH_AUTOSCALING_TRACES / FLASH_AUTOSCALING_APPS still work where the
 * option is not given. The resolved folders and pairs go into config.json, so `flash
 * rerun` repeats them without the options or variables. An unknown name or a folder
 * that does not exist is an error naming it and where it came from.
 *
 * Cost: quick runs in minutes on 2 cores; full is sized for a native/GPU backend: on
 * WebAssembly the paper's encoder (BiGRU 2x256 over 100 steps) makes a FLASH update
 * far too slow for 2,000 pretraining episodes, and the wasm heap aborts when a batch
 * holds about 48 distinct pairs (a 200-pair pool puts ~55 in a batch of 64). The
 * measured run times and per-update costs are in docs/results/ (2026-11-23.md, 2026-11-29-*.md).
 */
import { statSync } from "node:fs";
import { HpaAgent } from "../../agents/baselines/hpa.js";
import { VpaAgent } from "../../agents/baselines/vpa.js";
import { DDPG, FIRM_DDPG_DEFAULTS, type DDPGConfig } from "../../agents/ddpg.js";
import type { AutoscalingEnv } from "../../envs/autoscaling/env.js";
import { ACTION_DIM, OBS_DIM } from "../../envs/autoscaling/spaces.js";
import {
  drawPairs,
  makePairEnv,
  pairOracle,
  updatePairsFor,
  validateAutoscalingConfig,
  type AutoscalingConfig,
  type PairSources,
} from "./autoscaling-pairs.js";
import { EVAL_SEED, flashWords, rlFlashKit, runEpisode, StepMeans, total } from "./rl-flash-kit.js";
import { cartesian, constantActions, linspace } from "./fixed-actions.js";
import { PAPER_FLASH, paperBudgets, pickProfile, type ProfileSpec, type ProfileTable } from "./profiles.js";
import type { ProfileOptions, ReferenceResult, RlTask } from "./types.js";
import { MissingPathError } from "../../errors.js";
import { datasetPath, resolveDataset, type DatasetName } from "../datasets.js";

export { validateAutoscalingConfig, type AutoscalingConfig } from "./autoscaling-pairs.js";

const TASK = "autoscaling";

interface Profile extends ProfileSpec {
  /** Application-update scenarios to run (the first n of the paper's 7; `updatePairsFor`). */
  updates: number;
  /** The load traces without --traces: a dataset (the paper replayed a real trace) or null for the seeded synthetic ones. */
  traces: DatasetName | null;
  env: AutoscalingConfig["env"];
  agent: AutoscalingConfig["agent"];
}

/** Table 8 (FIRM's DDPG); sizes and replay are per profile. */
const TABLE8 = { batchSize: 64, actorLearningRate: 3e-4, criticLearningRate: 3e-3, gamma: 0.99, noiseSigma: 0.2, tau: 3e-3 };
const ENV = { intervalSeconds: 30, maxEpisodeSteps: 100, alpha: 0.5, loadFraction: 0.2, maxReplicas: 32, traceSeconds: 3 * 3600 };

/** quick's encoder: BiGRU 1x16 over the first 10 steps of 4 context trajectories, embedding 8 (bench/flash-overhead.ts measured it as cheap). */
const QUICK_FLASH = { hidden: 16, layers: 1, fcHidden: 16, embeddingDim: 8, contextSize: 4, maxSteps: 10, contextSubsample: 1 };

export const AUTOSCALING_PROFILES: ProfileTable<Profile> = {
  golden: {
    purpose: "seconds: tests and the golden regression run (20-step episodes, synthetic traces by default; numbers only, not learning)",
    pool: 2,
    test: 2,
    updates: 1,
    traces: null,
    env: { ...ENV, maxEpisodeSteps: 20, traceSeconds: 3600 },
    agent: { ...TABLE8, netArch: [16, 16], batchSize: 16, learningStarts: 20, bufferSize: 10_000 },
    flash: { hidden: 8, layers: 1, fcHidden: 8, embeddingDim: 4, contextSize: 2, maxSteps: 8, contextSubsample: 1 },
    budgets: { referenceEpisodes: 2, pretrainEpisodes: 2, adaptEpisodes: 2, embedEpisodes: 1, evalEpisodes: 1, abTargets: 1, window: 10, tolerance: 0.05 },
  },
  /**
   * A 12-pair pool: a 6-pair pool with 60 episodes left FLASH's and TL's served policies
   * no better than the original agent's. 30 new pairs per replicate (issue 20: intervals
   * over distinct pairs): serving is cheap, references are the cost, so RL references
   * (and so original agents and adaptation) on the first 6 only, each original agent
   * serving 5 others (ab-plan.ts: every new pair once); the other 24 take the best fixed
   * allocation as reference (reference.ts). 4 replicates by default, each with its own
   * pool and new pairs (42 x 4 = 168 of load-traces' 230 trace windows).
   */
  quick: {
    purpose:
      "under 20 minutes on 2 cores: small networks, short budgets, a 12-pair pool, 30 new pairs served per replicate (6 with RL references, " +
      "adapted to), 4 replicates by default, real load traces by default (load-traces)",
    pool: 12,
    test: 30,
    updates: 7,
    replicates: 4,
    traces: "load-traces",
    env: { ...ENV },
    agent: { ...TABLE8, netArch: [64, 64], learningStarts: 500, bufferSize: 100_000 },
    flash: { ...QUICK_FLASH },
    budgets: {
      referenceEpisodes: 40,
      pretrainEpisodes: 180,
      adaptEpisodes: 25,
      embedEpisodes: 2,
      evalEpisodes: 3,
      abTargets: 5,
      window: 10,
      tolerance: 0.05,
      referencePairs: 6,
      adaptPairs: 6,
    },
  },
  /** The paper's adaptation pool is 800 pairs: see the README for the time that would take. */
  full: {
    purpose: "the paper's sizes: pool 200, 100 new applications each served on 10 others, adaptation on the same 100 new pairs, real load traces by default",
    pool: 200,
    test: 100,
    updates: 7,
    traces: "load-traces",
    env: { ...ENV },
    agent: { ...TABLE8, netArch: [400, 300], learningStarts: 1000, bufferSize: 1_000_000 },
    flash: PAPER_FLASH,
    budgets: paperBudgets({ referenceEpisodes: 200, pretrainEpisodes: 2000, adaptEpisodes: 100 }),
  },
  /**
   * The pool-size sweep (`flash sweep autoscaling --profile sweep --pool-sizes 6,12,24,48`):
   * quick's agent, environment and encoder (BiGRU 1x16 over 10 steps: a FLASH episode
   * costs ~2.5x a TL one, within the 2.2-3.1x the overheads table measured for the TCN as
   * well, so the BiGRU stays), a 48-pair pool (48 distinct generated applications,
   * each with its own trace), and a fixed total of 64 pretraining episodes for every pool
   * size (pool-sweep.ts: 1-2 per pair at 48, 10-11 at 6; quick gives 12 pairs 180); no
   * update experiment (a sweep has no A/B test); a shorter adaptation cap and window, so
   * that replicates of four sizes fit in about half an hour on 2 shared cores.
   */
  sweep: {
    purpose:
      "the pool-size sweep (flash sweep --pool-sizes 6,12,24,48): a 48-pair pool, a fixed total of 64 pretraining episodes per size, synthetic " +
      "traces by default (as measured)",
    pool: 48,
    test: 3,
    updates: 0,
    traces: null,
    env: { ...ENV },
    agent: { ...TABLE8, netArch: [64, 64], learningStarts: 500, bufferSize: 100_000 },
    flash: { ...QUICK_FLASH },
    budgets: { referenceEpisodes: 40, pretrainEpisodes: 64, adaptEpisodes: 15, embedEpisodes: 2, evalEpisodes: 3, abTargets: 2, window: 5, tolerance: 0.05 },
  },
  /**
   * The paper's pool and budgets with quick's networks (`flash reproduce autoscaling --profile
   * paper`; issue 26). What differs from `full`, and why: the agent is 64x64 and the
   * encoder BiGRU 1x16 over 10 context steps (full: 400x300 and the paper's 2x256 over 100
   * steps, too slow on WebAssembly and over the wasm heap at ~55 pairs per batch, see the
   * module comment), so that 7,000 pretraining episodes fit two cores; 30 new pairs served
   * (each original agent on 10 others: 300 A/B tests per replicate) and 10 of them adapted
   * to (full: 100 and 100), since references and adaptations are the cost and serving is
   * cheap; references trained to a plateau between 200 and 400 episodes (plateau.ts; full:
   * a fixed 200), so that the drop's zero point is a converged agent and the report says
   * how many hit the cap; no update experiment (full: 7 scenarios; it would add 7 references
   * of up to 400 episodes). Shared with full: pool 200, 35 pretraining episodes per pool
   * pair (7,000 at 200 applications: the paper's Appendix A.7 gives 5,800-6,900 for 50-200),
   * an adaptation cap of 200 episodes (the paper adapts in 41.8-83.5), 3 context episodes
   * and 10 evaluation episodes, a 1e6 replay buffer, the oracle and shuffled controls.
   */
  paper: {
    purpose:
      "the paper's pool (200) and per-pair pretraining budget (35 x 200 = 7,000 episodes) with quick's networks; references to a plateau " +
      "(200-400 episodes); 30 new pairs served, 10 adapted with a 200-episode cap; real load traces by default (hours to days on 2 cores: flash reproduce --plan)",
    pool: 200,
    test: 30,
    updates: 0,
    traces: "load-traces",
    env: { ...ENV },
    agent: { ...TABLE8, netArch: [64, 64], learningStarts: 500, bufferSize: 1_000_000 },
    flash: { ...QUICK_FLASH },
    budgets: {
      ...paperBudgets({ referenceEpisodes: 200, pretrainEpisodes: 35 * 200, adaptEpisodes: 200 }),
      referenceCap: 400,
      adaptPairs: 10,
    },
  },
  /**
   * The per-pair pool-size sweep (`flash sweep autoscaling --profile sweep-paper --pool-sizes
   * 12,24,48,96`; issue 26): the paper's ~35 pretraining episodes per pool pair at every
   * size (sweep-budget.ts; 420 at 12, 3,360 at 96), so data grows with the pool as in the
   * paper, with FLASH, TL and the oracle at every size; quick's networks; 6 new pairs served
   * and 3 adapted to, with an adaptation cap of 100 episodes and the paper's 10-episode
   * window (the `sweep` profile's cap of 15 left most runs censored); references to a
   * plateau between 100 and 200 episodes.
   */
  "sweep-paper": {
    purpose:
      "the per-pair pool-size sweep (flash sweep --profile sweep-paper --pool-sizes 12,24,48,96): 35 pretraining episodes per pool pair, " +
      "FLASH, TL and the oracle at every size, a 100-episode adaptation cap, real load traces by default (load-traces)",
    pool: 96,
    test: 6,
    updates: 0,
    sweepPerPair: 35,
    traces: "load-traces",
    env: { ...ENV },
    agent: { ...TABLE8, netArch: [64, 64], learningStarts: 500, bufferSize: 1_000_000 },
    flash: { ...QUICK_FLASH },
    budgets: {
      referenceEpisodes: 100,
      referenceCap: 200,
      pretrainEpisodes: 35 * 96,
      adaptEpisodes: 100,
      adaptPairs: 3,
      embedEpisodes: 3,
      evalEpisodes: 5,
      abTargets: 5,
      window: 10,
      tolerance: 0.05,
    },
  },
};

/** What each folder option holds (help texts and errors). */
export const AUTOSCALING_FOLDERS = {
  traces:
    "load traces: a dataset name (load-traces, or one trace such as azure-functions-2019; data/README.md), synthetic, or a folder of the files " +
    "load-traces holds or of `t,rate` CSV files (traces/README.md)",
  apps: "application JSON files (sim/k8s/README.md schema)",
} as const;

const ENV_VAR = { traces: "FLASH_AUTOSCALING_TRACES", apps: "FLASH_AUTOSCALING_APPS" } as const;

/**
 * The folders a profile reads: the option when given (null: explicitly none), else the
 * environment variable, else the profile's default (traces only). A trace source is a
 * dataset name, `synthetic` or a path (experiments/datasets.ts); an app folder must exist.
 * Errors name the value and where it came from.
 */
function resolveSources(opts: PairSources, profileTraces: DatasetName | null): { traces: string | null; apps: string | null } {
  const out = { traces: null as string | null, apps: null as string | null };
  const fromOption = (k: "traces" | "apps") =>
    opts[k] !== undefined ? { value: opts[k], from: `--${k}` } : { value: process.env[ENV_VAR[k]] || null, from: ENV_VAR[k] };
  const traces = fromOption("traces");
  if (traces.value) out.traces = resolveDataset(traces.value, { option: traces.from, kinds: ["load-traces"], synthetic: true });
  else if (opts.traces === undefined && profileTraces) out.traces = datasetPath(profileTraces);
  const { value: dir, from } = fromOption("apps");
  if (dir) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      throw new MissingPathError(dir, `${TASK}: apps folder "${dir}" (from ${from}) does not exist; expected a folder of ${AUTOSCALING_FOLDERS.apps}`);
    }
    if (!isDir)
      throw new MissingPathError(dir, `${TASK}: apps folder "${dir}" (from ${from}) is not a folder; expected a folder of ${AUTOSCALING_FOLDERS.apps}`);
    out.apps = dir;
  }
  return out;
}

/**
 * A profile's config for a run seed; `traces` (a dataset name, `synthetic` or a path) and
 * `apps` (a folder) override the profile's traces and the generated applications.
 */
export function autoscalingProfile(name: string, runSeed: number, opts: ProfileOptions = {}): AutoscalingConfig {
  const p = pickProfile(AUTOSCALING_PROFILES, name, TASK);
  const src = resolveSources({ traces: opts.traces, apps: opts.apps }, p.traces);
  const pool = opts.poolSize ?? p.pool;
  const drawn = drawPairs(runSeed, p.test + pool, p.env, src);
  const testPairs = drawn.slice(0, p.test);
  return {
    task: TASK,
    traces: src.traces,
    apps: src.apps,
    env: { ...p.env },
    testPairs,
    poolPairs: drawn.slice(p.test),
    updatePairs: updatePairsFor(testPairs, p.updates).pairs,
    agent: { ...p.agent, netArch: [...p.agent.netArch] },
    flash: { ...p.flash },
    budgets: { ...p.budgets },
  };
}

/**
 * Replicate `k`'s config (`RlTask.replicateConfig`): block k of the run seed's draw of
 * (test + pool) pairs per replicate (`drawPairs` is prefix-stable, so block 0 is the
 * profile's own pairs), test pairs first; its own applications and trace windows, so no
 * pair (and no generated application) is in two replicates. The application-update
 * experiment stays in replicate 0: its references are RL runs on 7 more pairs.
 */
export function autoscalingReplicateConfig(cfg: AutoscalingConfig, runSeed: number, k: number): AutoscalingConfig {
  if (k === 0) return cfg;
  const t = cfg.testPairs.length;
  const n = t + cfg.poolPairs.length;
  const block = drawPairs(runSeed, (k + 1) * n, cfg.env, { traces: cfg.traces, apps: cfg.apps }).slice(k * n);
  return { ...cfg, testPairs: block.slice(0, t), poolPairs: block.slice(t), updatePairs: [] };
}

/** FIRM's DDPG (Table 8) at the config's sizes. */
export function autoscalingDdpgConfig(cfg: AutoscalingConfig, learningStarts: number): DDPGConfig {
  const a = cfg.agent;
  return {
    ...FIRM_DDPG_DEFAULTS,
    netArch: a.netArch,
    batchSize: a.batchSize,
    learningRate: a.criticLearningRate,
    actorLearningRate: a.actorLearningRate,
    criticLearningRate: a.criticLearningRate,
    gamma: a.gamma,
    tau: a.tau,
    bufferSize: a.bufferSize,
    learningStarts,
    actionNoise: { type: "normal", sigma: a.noiseSigma },
  };
}

/**
 * Figure 8's operational panels, per step: CPU utilisation (used / held CPU of the pods
 * holding capacity, the reward's RU_cpu) and SLO preservation (SP = min(1, SLO / p99)).
 */
export const AUTOSCALING_METRICS = {
  cpuUtil: "CPU utilisation (used / held, mean per step)",
  slo: "SLO preservation (min(1, SLO / p99 latency), mean per step)",
} as const;

function stepMetrics(info: Record<string, number | string | boolean>): Record<keyof typeof AUTOSCALING_METRICS, number> {
  return { cpuUtil: Number(info.ruCpu), slo: Number(info.sp) };
}

/** Mean return (and operational metrics) of the HPA and the VPA-style recommender over the evaluation windows. */
export function nonMlRewards(
  cfg: AutoscalingConfig,
  pair: string,
  seed: number,
): { baselines: { hpa: number; vpa: number }; metrics: Record<string, Record<string, number>> } {
  const env = kit.envOf(cfg, pair, seed);
  const agents = { hpa: new HpaAgent(env.scale, env.intervalSeconds), vpa: new VpaAgent(env.scale, env.intervalSeconds) };
  const n = cfg.budgets.evalEpisodes;
  const baselines = { hpa: 0, vpa: 0 };
  const metrics: Record<string, Record<string, number>> = {};
  for (const [name, agent] of Object.entries(agents) as [keyof typeof agents, HpaAgent | VpaAgent][]) {
    const ops = new StepMeans(stepMetrics);
    for (let e = 0; e < n; e++) {
      agent.reset();
      baselines[name] += total(runEpisode(env, EVAL_SEED + e, (o) => agent.act(o), ops.add).rewards) / n;
    }
    metrics[name] = ops.means() ?? {};
  }
  return { baselines, metrics };
}

/** A reference result with the non-ML baselines' rewards on the pair. */
export interface AutoscalingReferenceResult extends ReferenceResult {
  baselines: { hpa: number; vpa: number };
}

/** The fixed-action grid (action-space coordinates in [-1, 1]^3: CPU limit, memory limit, replicas). */
export const AUTOSCALING_FIXED_GRID: number[][] = cartesian([linspace(-1, 1, 5), linspace(-1, 1, 5), linspace(-1, 1, 5)]);

// ---------------------------------------------------------------- the rest is the shared RL-FLASH kit

const kit = rlFlashKit<AutoscalingConfig, AutoscalingEnv, Pick<AutoscalingReferenceResult, "baselines">>({
  name: TASK,
  stateDim: OBS_DIM,
  actionDim: ACTION_DIM,
  env: (cfg, pair, seed) => makePairEnv(cfg.env, pair, seed),
  episodeSteps: (cfg) => cfg.env.maxEpisodeSteps,
  agent: (cfg, env, o) => new DDPG(env, autoscalingDdpgConfig(cfg, o.learningStarts), { seed: o.seed, extra: o.extra }),
  randomAction: (rng) => () => [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)],
  progress: { digits: 1, referenceEvery: 5 },
  referenceExtras: (cfg, pair, seed) => nonMlRewards(cfg, pair, seed),
  // Table 8's noise (sigma 0.2 on a log-scale memory action) OOM-kills pods, so training
  // returns measure the noise more than the policy (quick: ~85 vs ~145 deterministic).
  curve: "evaluation",
  stepMetrics,
  oracle: (cfg, pair) => pairOracle(cfg.env, pair),
  // A 5 x 5 x 5 grid over the action box (CPU limit, memory limit, replicas; log scales), as the room bench's coarse grid.
  fixedActions: () => constantActions(AUTOSCALING_FIXED_GRID),
  // Then two local refinements at half and a quarter of the grid's step, as the room bench.
  fixedActionRefinement: { lo: [-1, -1, -1], hi: [1, 1, 1], steps: [0.25, 0.125] },
  application: (_cfg, pair) => pair.app.name,
});

export function createAutoscalingTask(): RlTask<AutoscalingConfig> {
  return kit.task({
    summary:
      "Kubernetes autoscaling (FLASH 5.2): generated or user applications x synthetic or real load traces; FIRM's DDPG, FLASH-FIRM, transfer learning, " +
      "HPA/VPA baselines",
    profileTable: AUTOSCALING_PROFILES,
    folderOptions: { ...AUTOSCALING_FOLDERS },
    metricLabels: { ...AUTOSCALING_METRICS },
    baselineLabels: {
      hpa: "Kubernetes HPA (CPU target 50%, tolerance 0.1, 5-min scale-down window; limits fixed)",
      vpa: "VPA-style recommender (p90 + 15%; replicas fixed)",
    },
    paper: { speedupVsTl: 5.5, rewardDropOriginal: 0.37, rewardDropFlash: 0.105, source: "FLASH (MLSys 2024) 5.2: workload autoscaling, FIRM's DDPG" },
    profile: (name, runSeed, opts = {}) => autoscalingProfile(name, runSeed, opts),
    replicateConfig: autoscalingReplicateConfig,
    validateConfig: validateAutoscalingConfig,
    describe(cfg) {
      const a = cfg.agent;
      const f = cfg.flash;
      const src =
        `${cfg.apps ? `apps from ${cfg.apps}` : "generated apps"} x ${cfg.traces ? `trace windows from ${cfg.traces}` : "synthetic traces"} ` +
        `(${cfg.env.traceSeconds / 3600} h each)`;
      return (
        `${src}; ${cfg.env.maxEpisodeSteps} steps of ${cfg.env.intervalSeconds} s, alpha ${cfg.env.alpha}; FIRM DDPG net ${a.netArch.join("x")}, ` +
        `batch ${a.batchSize}, lr actor ${a.actorLearningRate} / critic ${a.criticLearningRate}, tau ${a.tau}, gamma ${a.gamma}, noise N(0, ` +
        `${a.noiseSigma}); ${flashWords(f)}`
      );
    },
  });
}
