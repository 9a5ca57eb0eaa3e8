/**
 * The classic-control meta-RL family as a harness task (`pendulum-family`): one pair =
 * one Pendulum physics parameter set (envs/classic/family.ts), the original agent is
 * DDPG (SB3 semantics, small networks), FLASH is the same DDPG conditioned on the
 * pair's embedding through agents/flash-conditioning.ts, transfer learning (TL) is
 * the same DDPG without embedding pretrained on the same pool with the same budget.
 *
 * How each protocol step runs here:
 *   - reference (scratch on one pair): DDPG from random weights, `referenceEpisodes`
 *     episodes in one training call (`learningStarts` uniform-random steps first, as
 *     SB3). Its returns are the scratch adaptation curve; its final deterministic
 *     evaluation and its last-window training mean are the pair's references.
 *   - pretraining over the pool: one episode per call, pairs in round-robin order, the
 *     replay buffer shared, `learningStarts` 0 after a first random-policy episode per
 *     pool pair (which also gives FLASH its first context for each pair: an empty
 *     context has no gradient path to the meta learner). FLASH: meta updates on (the
 *     critic loss trains the meta learner), every finished episode inserted with
 *     `insertTrajSamples`.
 *   - adaptation (fine-tuning on a new pair): load the pretrained networks, an empty
 *     replay buffer, `learningStarts` 0 (the pretrained policy acts from the first step),
 *     `adaptEpisodes` episodes in one call. FLASH: meta learner frozen, episodes on the
 *     new pair inserted as they finish, so its embedding is computed from its first
 *     trajectories (a zero vector during the first episode: no data yet). Every episode
 *     counts, including those that built the embedding.
 *   - serving (A/B): no weight update. FLASH first runs `embedEpisodes` episodes with its
 *     deterministic policy to get the pair's embedding, then every variant is evaluated
 *     deterministically on the same `evalEpisodes` initial states.
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { DDPG, type DDPGConfig } from "../../agents/ddpg.js";
import { evaluatePolicy } from "../../agents/evaluate.js";
import { EpisodeRecorder, FlashConditioner } from "../../agents/flash-conditioning.js";
import { train } from "../../agents/train.js";
import { generatePairs, makeFamilyEnv, validateParams, validatePairId, type FamilyEnv, type PairSpec } from "../../envs/classic/family.js";
import { SqliteBuffer } from "../../flash/buffer/sqlite.js";
import { FlashModel, RLModel } from "../../flash/models.js";
import { Rng } from "../../flash/rng.js";
import type { AdaptResult, PretrainResult, ReferenceResult, RlBudgets, RlTask, ServeRequest, ServeResult } from "./types.js";

export interface ClassicFamilyConfig {
  family: "pendulum";
  /** Pretraining pool and new (test) pairs, resolved so the run is exact. */
  poolPairs: PairSpec[];
  testPairs: PairSpec[];
  agent: { netArch: number[]; batchSize: number; learningRate: number; gamma: number; noiseSigma: number; tau: number; learningStarts: number; bufferSize: number };
  flash: { hidden: number; layers: number; fcHidden: number; embeddingDim: number; contextSize: number; maxSteps: number; contextSubsample: number };
  budgets: RlBudgets;
}

const PROFILES: Record<string, { pool: number; test: number; agent: ClassicFamilyConfig["agent"]; flash: ClassicFamilyConfig["flash"]; budgets: RlBudgets }> = {
  /** Seconds: for the golden regression test (numbers only, not meaningful learning). */
  golden: {
    pool: 2,
    test: 2,
    agent: { netArch: [8, 8], batchSize: 16, learningRate: 1e-3, gamma: 0.98, noiseSigma: 0.1, tau: 0.005, learningStarts: 100, bufferSize: 5_000 },
    flash: { hidden: 4, layers: 1, fcHidden: 4, embeddingDim: 4, contextSize: 1, maxSteps: 4, contextSubsample: 1 },
    budgets: { referenceEpisodes: 2, pretrainEpisodes: 1, adaptEpisodes: 1, embedEpisodes: 1, evalEpisodes: 1, abTargets: 1, window: 10, tolerance: 0.05 },
  },
  /** The README's demo: every protocol and figure on real (if short) learning, in a few minutes on 2 cores. */
  demo: {
    pool: 3,
    test: 3,
    agent: { netArch: [32, 32], batchSize: 64, learningRate: 1e-3, gamma: 0.98, noiseSigma: 0.1, tau: 0.005, learningStarts: 600, bufferSize: 50_000 },
    flash: { hidden: 16, layers: 1, fcHidden: 16, embeddingDim: 8, contextSize: 4, maxSteps: 10, contextSubsample: 1 },
    budgets: { referenceEpisodes: 20, pretrainEpisodes: 18, adaptEpisodes: 10, embedEpisodes: 1, evalEpisodes: 3, abTargets: 2, window: 5, tolerance: 0.05 },
  },
  /** Minutes on 2 cores: small networks, small pool, short budgets. */
  quick: {
    pool: 4,
    test: 3,
    agent: { netArch: [64, 64], batchSize: 64, learningRate: 1e-3, gamma: 0.98, noiseSigma: 0.1, tau: 0.005, learningStarts: 1000, bufferSize: 100_000 },
    flash: { hidden: 16, layers: 1, fcHidden: 16, embeddingDim: 8, contextSize: 4, maxSteps: 10, contextSubsample: 1 },
    budgets: { referenceEpisodes: 40, pretrainEpisodes: 40, adaptEpisodes: 25, embedEpisodes: 2, evalEpisodes: 5, abTargets: 2, window: 10, tolerance: 0.05 },
  },
  /** The paper's protocol sizes: ten new pairs, each original agent served on ten others (~100 A/B tests per seed). */
  full: {
    pool: 16,
    test: 11,
    agent: { netArch: [400, 300], batchSize: 64, learningRate: 1e-3, gamma: 0.98, noiseSigma: 0.1, tau: 0.005, learningStarts: 1000, bufferSize: 200_000 },
    flash: { hidden: 64, layers: 2, fcHidden: 32, embeddingDim: 32, contextSize: 8, maxSteps: 50, contextSubsample: 4 },
    budgets: { referenceEpisodes: 150, pretrainEpisodes: 400, adaptEpisodes: 100, embedEpisodes: 3, evalEpisodes: 10, abTargets: 10, window: 10, tolerance: 0.05 },
  },
};

function num(o: Record<string, unknown>, k: string, where: string, min: number, integer = true): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) throw new Error(`${where}.${k}: expected ${integer ? "an integer" : "a number"} >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function obj(v: unknown, where: string, keys: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(`${where}: expected an object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Error(`${where}.${k}: unknown field; expected ${keys.join(", ")}`);
  for (const k of keys) if (!(k in o)) throw new Error(`${where}.${k}: missing`);
  return o;
}

function pairList(v: unknown, where: string): PairSpec[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${where}: expected a non-empty array of {id, params}`);
  return v.map((p, i) => {
    const o = obj(p, `${where}[${i}]`, ["id", "params"]);
    return { id: validatePairId(o.id, `${where}[${i}].id`), params: validateParams("pendulum", o.params, `${where}[${i}].params`) };
  });
}

export function validateClassicConfig(raw: unknown, where: string): ClassicFamilyConfig {
  const o = obj(raw, where, ["family", "poolPairs", "testPairs", "agent", "flash", "budgets"]);
  if (o.family !== "pendulum") throw new Error(`${where}.family: expected "pendulum", got ${JSON.stringify(o.family)}`);
  const poolPairs = pairList(o.poolPairs, `${where}.poolPairs`);
  const testPairs = pairList(o.testPairs, `${where}.testPairs`);
  const ids = new Set<string>();
  for (const p of [...poolPairs, ...testPairs]) {
    if (ids.has(p.id)) throw new Error(`${where}: pair id "${p.id}" appears twice (pool and test pairs must be distinct)`);
    ids.add(p.id);
  }
  const a = obj(o.agent, `${where}.agent`, ["netArch", "batchSize", "learningRate", "gamma", "noiseSigma", "tau", "learningStarts", "bufferSize"]);
  if (!Array.isArray(a.netArch) || a.netArch.length === 0 || !a.netArch.every((x) => Number.isInteger(x) && x > 0)) throw new Error(`${where}.agent.netArch: expected a non-empty array of positive integers`);
  const agent = {
    netArch: a.netArch as number[],
    batchSize: num(a, "batchSize", `${where}.agent`, 1),
    learningRate: num(a, "learningRate", `${where}.agent`, 0, false),
    gamma: num(a, "gamma", `${where}.agent`, 0, false),
    noiseSigma: num(a, "noiseSigma", `${where}.agent`, 0, false),
    tau: num(a, "tau", `${where}.agent`, 0, false),
    learningStarts: num(a, "learningStarts", `${where}.agent`, 0),
    bufferSize: num(a, "bufferSize", `${where}.agent`, 1),
  };
  const f = obj(o.flash, `${where}.flash`, ["hidden", "layers", "fcHidden", "embeddingDim", "contextSize", "maxSteps", "contextSubsample"]);
  const flash = {
    hidden: num(f, "hidden", `${where}.flash`, 1),
    layers: num(f, "layers", `${where}.flash`, 1),
    fcHidden: num(f, "fcHidden", `${where}.flash`, 1),
    embeddingDim: num(f, "embeddingDim", `${where}.flash`, 1),
    contextSize: num(f, "contextSize", `${where}.flash`, 1),
    maxSteps: num(f, "maxSteps", `${where}.flash`, 1),
    contextSubsample: num(f, "contextSubsample", `${where}.flash`, 1),
  };
  const b = obj(o.budgets, `${where}.budgets`, ["referenceEpisodes", "pretrainEpisodes", "adaptEpisodes", "embedEpisodes", "evalEpisodes", "abTargets", "window", "tolerance"]);
  const budgets: RlBudgets = {
    referenceEpisodes: num(b, "referenceEpisodes", `${where}.budgets`, 1),
    pretrainEpisodes: num(b, "pretrainEpisodes", `${where}.budgets`, 1),
    adaptEpisodes: num(b, "adaptEpisodes", `${where}.budgets`, 1),
    embedEpisodes: num(b, "embedEpisodes", `${where}.budgets`, 1),
    evalEpisodes: num(b, "evalEpisodes", `${where}.budgets`, 1),
    abTargets: num(b, "abTargets", `${where}.budgets`, 1),
    window: num(b, "window", `${where}.budgets`, 1),
    tolerance: num(b, "tolerance", `${where}.budgets`, 0, false),
  };
  return { family: "pendulum", poolPairs, testPairs, agent, flash, budgets };
}

const STEPS = 200; // Pendulum-v1's episode limit

function ddpgConfig(cfg: ClassicFamilyConfig, learningStarts: number): Partial<DDPGConfig> {
  const a = cfg.agent;
  return { netArch: a.netArch, batchSize: a.batchSize, learningRate: a.learningRate, gamma: a.gamma, tau: a.tau, bufferSize: a.bufferSize, learningStarts, actionNoise: { type: "normal", sigma: a.noiseSigma } };
}

function pairSpec(cfg: ClassicFamilyConfig, id: string): PairSpec {
  const p = cfg.poolPairs.find((x) => x.id === id) ?? cfg.testPairs.find((x) => x.id === id);
  if (!p) throw new Error(`pendulum-family: unknown pair "${id}"`);
  return p;
}

const envOf = (cfg: ClassicFamilyConfig, id: string, seed: number): FamilyEnv => makeFamilyEnv("pendulum", pairSpec(cfg, id), seed);

/** A fresh FLASH model on its own buffer file and its own task name; `close` unregisters it. */
function flashModel(cfg: ClassicFamilyConfig, bufferPath: string, seed: number): { model: RLModel; close(): void } {
  // One model per unit: drop any registration a failed unit in this process left behind
  // (the registry would otherwise hand back that model with its old buffer).
  FlashModel.unregister("pendulum-family");
  const buffer = SqliteBuffer.open(bufferPath);
  const f = cfg.flash;
  const model = RLModel.register({ task: "pendulum-family", stateDim: 3, actionDim: 1, buffer, encoder: { hidden: f.hidden, layers: f.layers, fcHidden: f.fcHidden, embeddingDim: f.embeddingDim }, contextSize: f.contextSize, maxSteps: f.maxSteps, seed });
  return {
    model,
    close() {
      FlashModel.unregister("pendulum-family");
      buffer.close();
    },
  };
}

/** One episode with uniform random actions; returns states, actions, rewards. */
function randomEpisode(env: FamilyEnv, rng: Rng, seed: number): { states: Float32Array; actions: Float32Array; rewards: number[] } {
  const states: number[] = [];
  const actions: number[] = [];
  const rewards: number[] = [];
  let o = env.reset(seed);
  for (;;) {
    const u = rng.uniform(-2, 2);
    const r = env.step([u]);
    states.push(...o);
    actions.push(u);
    rewards.push(r.reward);
    if (r.terminated || r.truncated) break;
    o = r.observation;
  }
  return { states: Float32Array.from(states), actions: Float32Array.from(actions), rewards };
}

/**
 * Evaluation episode i always starts from `reset(EVAL_SEED + i)`: every variant, every
 * replicate and the reference are evaluated on the same initial states (common random
 * numbers), so differences are the policies' and not the draws'.
 */
const EVAL_SEED = 1_000_000;
const evalSeed = (_seed: number) => EVAL_SEED;

export function createClassicFamilyTask(): RlTask<ClassicFamilyConfig> {
  return {
    name: "pendulum-family",
    summary: "Pendulum physics pairs (mass, length, gravity); DDPG original agent, FLASH-conditioned DDPG, transfer learning",
    profiles: Object.keys(PROFILES),
    paper: { speedupVsTl: 5.5, rewardDropOriginal: 0.37, rewardDropFlash: 0.105, source: "FLASH (MLSys 2024) 5.2, autoscaling with FIRM's DDPG (the closest DDPG case study; the paper has no Pendulum experiment)" },
    profile(name, runSeed, opts = {}) {
      const p = PROFILES[name];
      if (!p) throw new Error(`pendulum-family: unknown profile "${name}"; known profiles: ${Object.keys(PROFILES).join(", ")}`);
      const pool = opts.poolSize ?? p.pool;
      const drawn = generatePairs("pendulum", pool + p.test, new Rng(`pendulum-family/pairs/${runSeed}`));
      // Test pairs first so that sweeping the pool size keeps the same new pairs.
      return { family: "pendulum", testPairs: drawn.slice(0, p.test), poolPairs: drawn.slice(p.test), agent: { ...p.agent }, flash: { ...p.flash }, budgets: { ...p.budgets } };
    },
    validateConfig: validateClassicConfig,
    budgets: (cfg) => cfg.budgets,
    pairs(cfg, poolSize) {
      const pool = cfg.poolPairs.map((p) => p.id);
      if (poolSize !== undefined && poolSize > pool.length) throw new Error(`pendulum-family: pool size ${poolSize} > the ${pool.length} pool pairs in the config`);
      return { pool: poolSize === undefined ? pool : pool.slice(0, poolSize), test: cfg.testPairs.map((p) => p.id) };
    },
    describe(cfg) {
      const a = cfg.agent;
      const f = cfg.flash;
      return `DDPG net ${a.netArch.join("x")}, batch ${a.batchSize}, lr ${a.learningRate}, gamma ${a.gamma}, noise N(0, ${a.noiseSigma}); FLASH encoder BiGRU ${f.layers}x${f.hidden}, embedding ${f.embeddingDim}, context ${f.contextSize} trajectories x ${f.maxSteps} steps (subsample ${f.contextSubsample} per batch)`;
    },

    async reference(cfg, pair, seed, workDir, progress): Promise<ReferenceResult> {
      const t0 = performance.now();
      const env = envOf(cfg, pair, seed);
      const agent = new DDPG(env, ddpgConfig(cfg, cfg.agent.learningStarts), { seed });
      try {
        const total = cfg.budgets.referenceEpisodes * STEPS;
        const r = train(agent, env, { totalTimesteps: total, seed, progressEvery: 10 * STEPS, onProgress: (p) => progress(p.timesteps / total, `${p.episodes} episodes, recent ${p.recentMeanReturn.toFixed(0)}`) });
        await agent.save(path.join(workDir, "agent"), "pendulum-family");
        const ev = evaluatePolicy(agent, envOf(cfg, pair, seed), { episodes: cfg.budgets.evalEpisodes, seed: evalSeed(seed) });
        const rng = new Rng(seed).fork("baseline");
        const benv = envOf(cfg, pair, seed);
        let base = 0;
        for (let e = 0; e < cfg.budgets.evalEpisodes; e++) base += randomEpisode(benv, rng, evalSeed(seed) + e).rewards.reduce((x, y) => x + y, 0);
        return { returns: r.episodeReturns, evalReturn: ev.mean, baseline: base / cfg.budgets.evalEpisodes, seconds: (performance.now() - t0) / 1000 };
      } finally {
        agent.dispose();
      }
    },

    async pretrain(cfg, variant, pool, seed, workDir, progress): Promise<PretrainResult> {
      const t0 = performance.now();
      const envs = pool.map((p, i) => envOf(cfg, p, seed + i));
      const fm = variant === "flash" ? flashModel(cfg, path.join(workDir, "buffer.sqlite"), seed) : undefined;
      const cond = fm ? new FlashConditioner(fm.model, { pairs: pool, contextSubsample: cfg.flash.contextSubsample, seed }) : undefined;
      const rec = fm ? new EpisodeRecorder(fm.model) : undefined;
      const base = new DDPG(envs[0], ddpgConfig(cfg, 0), { seed, extra: cond });
      const agent = cond ? cond.attach(base) : base;
      const returns: number[] = [];
      const pairs: string[] = [];
      try {
        // One random-policy episode per pool pair: FLASH's first context (same data cost for TL, which just skips it).
        if (fm) {
          const rng = new Rng(seed).fork("warmup");
          for (const [i, env] of envs.entries()) {
            const ep = randomEpisode(env, rng, seed * 1000 + i);
            await fm.model.insertTrajSamples(env.pair, ep.states, ep.actions, ep.rewards);
          }
        }
        const n = cfg.budgets.pretrainEpisodes;
        for (let e = 0; e < n; e++) {
          const i = e % envs.length;
          const r = train(agent, envs[i], { totalTimesteps: STEPS, seed: e < envs.length ? seed + 7919 * (i + 1) : undefined, contextId: cond?.contextId, onTransition: rec?.onTransition, progressEvery: STEPS });
          if (rec) await rec.flush();
          returns.push(r.episodeReturns[0]);
          pairs.push(pool[i]);
          progress((e + 1) / n, `episode ${e + 1}/${n}, return ${r.episodeReturns[0].toFixed(0)}`);
        }
        await agent.save(path.join(workDir, "agent"), "pendulum-family");
        if (fm) await fm.model.save(path.join(workDir, "meta"));
        return { returns, pairs, episodes: n, seconds: (performance.now() - t0) / 1000 };
      } finally {
        agent.dispose();
        fm?.close();
      }
    },

    async adapt(cfg, variant, pretrainDir, pair, seed, workDir, progress): Promise<AdaptResult> {
      const t0 = performance.now();
      const env = envOf(cfg, pair, seed);
      const fm = variant === "flash" ? flashModel(cfg, path.join(workDir, "buffer.sqlite"), seed) : undefined;
      try {
        if (fm) {
          await fm.model.load(path.join(pretrainDir, "meta"));
          fm.model.toggleMetaModelUpdate(false);
        }
        const cond = fm ? new FlashConditioner(fm.model, { pairs: [pair], seed }) : undefined;
        const rec = fm ? new EpisodeRecorder(fm.model) : undefined;
        const agent = new DDPG(env, ddpgConfig(cfg, 0), { seed, extra: cond });
        try {
          await agent.load(path.join(pretrainDir, "agent"), "pendulum-family");
          const total = cfg.budgets.adaptEpisodes * STEPS;
          const r = train(agent, env, { totalTimesteps: total, seed, contextId: cond?.contextId, onTransition: rec?.onTransition, progressEvery: 5 * STEPS, onProgress: (p) => progress(p.timesteps / total, `${p.episodes} episodes, recent ${p.recentMeanReturn.toFixed(0)}`) });
          if (rec) await rec.flush();
          return { returns: r.episodeReturns, seconds: (performance.now() - t0) / 1000 };
        } finally {
          agent.dispose();
        }
      } finally {
        fm?.close();
      }
    },

    async poolEmbeddings(cfg, pretrainDir, workDir) {
      const src = path.join(pretrainDir, "buffer.sqlite");
      if (!existsSync(src)) throw new Error(`no FLASH buffer in ${pretrainDir}`);
      mkdirSync(workDir, { recursive: true });
      const copy = path.join(workDir, "pool-buffer.sqlite");
      copyFileSync(src, copy);
      const fm = flashModel(cfg, copy, 0);
      try {
        await fm.model.load(path.join(pretrainDir, "meta"));
        fm.model.toggleMetaModelUpdate(false);
        const out: Record<string, number[]> = {};
        for (const p of cfg.poolPairs.map((x) => x.id)) if (fm.model.buffer.count(fm.model.task, p) > 0) out[p] = Array.from(fm.model.getEmbedding(p));
        return out;
      } finally {
        fm.close();
      }
    },

    async serve(cfg, req: ServeRequest): Promise<ServeResult[]> {
      const env0 = envOf(cfg, req.pairs[0], req.seed);
      const fm = req.variant === "flash" ? flashModel(cfg, path.join(req.workDir, `serve-${req.variant}.sqlite`), req.seed) : undefined;
      try {
        if (fm) {
          await fm.model.load(path.join(req.modelDir, "meta"));
          fm.model.toggleMetaModelUpdate(false);
        }
        const cond = fm ? new FlashConditioner(fm.model, { pairs: req.pairs, seed: req.seed }) : undefined;
        const agent = new DDPG(env0, ddpgConfig(cfg, 0), { seed: req.seed, extra: cond });
        try {
          await agent.load(path.join(req.modelDir, "agent"), "pendulum-family");
          const out: ServeResult[] = [];
          for (const pair of req.pairs) {
            const env = envOf(cfg, pair, req.seed);
            let embedding: number[] | undefined;
            const ctx = cond ? cond.ctxOf(pair) : 0;
            if (fm) {
              // A few episodes with the deterministic FLASH policy (no weight update) give the embedding.
              for (let e = 0; e < cfg.budgets.embedEpisodes; e++) {
                const states: number[] = [];
                const actions: number[] = [];
                const rewards: number[] = [];
                let o = env.reset(req.seed * 31 + 17 * e + 5);
                for (;;) {
                  const a = agent.predict(o, { deterministic: true, ctx });
                  const r = env.step(a);
                  states.push(...o);
                  actions.push(...a);
                  rewards.push(r.reward);
                  if (r.terminated || r.truncated) break;
                  o = r.observation;
                }
                await fm.model.insertTrajSamples(pair, Float32Array.from(states), Float32Array.from(actions), rewards);
              }
              embedding = Array.from(fm.model.getEmbedding(pair));
            }
            const ev = evaluatePolicy(agent, env, { episodes: cfg.budgets.evalEpisodes, seed: evalSeed(req.seed), ctx });
            out.push({ pair, reward: ev.mean, embedding });
          }
          return out;
        } finally {
          agent.dispose();
        }
      } finally {
        fm?.close();
      }
    },
  };
}
