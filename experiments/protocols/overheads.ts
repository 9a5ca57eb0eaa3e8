/**
 * Overheads (paper 5.4, Table 3): latency of inference and of a model update, with and
 * without FLASH, per agent. The paper measured FLASH inference at ~3.5-3.9x and update
 * at ~3.1-4.1x the vanilla agent's, on a GPU.
 *
 * Each agent runs its case study's configuration (FIRM DDPG `FIRM_DDPG_DEFAULTS`,
 * SmartOverclock DQN `SMARTOVERCLOCK_DQN_DEFAULTS`, Aurora PPO `AURORA_PPO_DEFAULTS`) on
 * synthetic observations, so that only the networks are timed:
 *   - inference: one action for one observation (`predict`, deterministic). Without
 *     FLASH: the vanilla agent. With FLASH: the same agent conditioned through
 *     `FlashConditioner` in serving mode (meta updates off): the pair's cached embedding
 *     is appended to the observation (one cache look-up and one concatenation) and the
 *     networks are `embeddingDim` inputs wider. `embed_refresh_ms` is what a cache miss
 *     costs on top (one encoder forward pass over the pair's full context: after new
 *     trajectories or a meta update); the paper does not say which of the two its
 *     inference figure includes.
 *   - update: one training update (DDPG: critic + actor + targets; DQN: one TD step;
 *     PPO: one minibatch of the clipped-surrogate loss) on the agent's batch size.
 *     Without FLASH: the vanilla agent. With FLASH: pretraining (meta updates on), so the
 *     meta learner is trainable and every update encodes the contexts of the pairs in
 *     the batch, differentiably (see agents/flash-conditioning.ts for the passes per
 *     agent), with `subsample` trajectories per pair when K < M.
 *
 * Setting: `pairs` pairs (default 8), each with M = `contextSize` stored trajectories of
 * max(100, maxSteps) steps; replay / rollout rows spread evenly over the pairs. The PPO
 * rollout holds exactly one minibatch (nSteps x nEnvs = batch, one epoch), so one
 * `train` call is one minibatch update. Replay capacity is capped at 10 000 (it does not
 * change an update's cost).
 *
 * Timing (`timeInterleaved` of experiments/timing.ts): rounds alternate the
 * two sides (base first in even rounds, FLASH first in odd ones), so drifting load from
 * other processes hits both alike. Each round's figure is the median over its calls;
 * `without_ms` / `with_ms` are medians over rounds, `ratio` = with_ms / without_ms, and
 * `ratio_ci95` the mean and 95% t-interval of the per-round ratios (experiments/stats.ts;
 * null half-width with one round).
 *
 * `flash overheads --out DIR [--quick]` (`runOverheads`) measures three encoders: the
 * paper's (BiGRU 2 layers x 256; slow on WebAssembly, so few repeats, a subsampled and
 * shortened context), and the two cheap ones (BiGRU 32, 1 layer, 10 steps, K 2; TCN 32
 * channels, patch 4, full context) and writes overheads.json, overheads.md (Table 3
 * layout) and figures/overheads.{vl.json,svg,png}.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DDPG, FIRM_DDPG_DEFAULTS, type DDPGConfig } from "../../agents/ddpg.js";
import { DQN, SMARTOVERCLOCK_DQN_DEFAULTS, type DQNConfig } from "../../agents/dqn.js";
import { FlashConditioner } from "../../agents/flash-conditioning.js";
import { PPO, AURORA_PPO_DEFAULTS, type PPOConfig } from "../../agents/ppo.js";
import type { Policy } from "../../agents/types.js";
import { box, discrete } from "../../envs/env.js";
import { backendInfo } from "../../flash/backend.js";
import { SqliteBuffer } from "../../flash/buffer/sqlite.js";
import { ValueError } from "../../flash/errors.js";
import { FlashModel, RLModel, type EncoderOptions } from "../../flash/models.js";
import { Rng } from "../../flash/rng.js";
import { writeFigure, type VegaLiteSpec } from "../report/figures.js";
import { provenance } from "../runner/provenance.js";
import { callsForBudget, quantile, timeInterleaved, type InterleavedTiming } from "../timing.js";
import { InternalError } from "../../errors.js";

export const OVERHEAD_AGENTS = ["ddpg", "dqn", "ppo"] as const;
export type OverheadAgent = (typeof OVERHEAD_AGENTS)[number];

/** The paper's Table 3 ratios (GPU), as ranges over its agents. */
export const PAPER_RATIOS = { inference: { lo: 3.5, hi: 3.9 }, update: { lo: 3.1, hi: 4.1 } } as const;

/**
 * Each agent's case study and the spaces it is measured on. FIRM: the autoscaling env's
 * spaces (envs/autoscaling: 8 observations, 3 continuous actions). Aurora: 10 steps of
 * history x 3 statistics, one continuous rate change. SmartOverclock: 8 features and 4
 * frequency levels (an assumption: the latency barely depends on these widths).
 */
const CASE_STUDIES = {
  ddpg: { caseStudy: "FIRM", configName: "FIRM_DDPG_DEFAULTS", stateDim: 8, actions: 3 },
  dqn: { caseStudy: "SmartOverclock", configName: "SMARTOVERCLOCK_DQN_DEFAULTS", stateDim: 8, actions: 4 },
  ppo: { caseStudy: "Aurora", configName: "AURORA_PPO_DEFAULTS", stateDim: 30, actions: 1 },
} as const satisfies Record<OverheadAgent, unknown>;

export interface OverheadOptions {
  /** Agents to measure (default all three, in this order). */
  agents?: readonly OverheadAgent[];
  /** The meta learner's encoder (default the paper's: BiGRU, 2 layers, hidden 256). */
  encoder?: EncoderOptions;
  /** M: trajectories per pair in the context (default 8). */
  contextSize?: number;
  /** Steps of each trajectory the encoder reads (default 100). */
  maxSteps?: number;
  /** K: trajectories per pair per training batch (default M: no subsampling). */
  subsample?: number;
  /** Batch of one update (default: each agent's configured batch size: 64, 32, 2048). */
  batch?: number;
  /** Interleaved rounds (default 5). */
  repeats?: number;
  /** Inference calls per side per round (default 50). */
  inferenceCalls?: number;
  /** Updates per side per round (default 3). */
  updateCalls?: number;
  /**
   * Instead of `updateCalls`: choose the updates per round (1-10) so that the FLASH
   * updates take about this many milliseconds in all (the benchmark's setting, whose
   * encoders' update costs differ by 100x); the base side then runs at least 5 per round.
   */
  updateBudgetMs?: number;
  /** Pairs with context data; replay / rollout rows are spread over them (default 8). */
  pairs?: number;
  seed?: number | string;
  /** Overrides of each agent's case-study configuration (tests: tiny networks). */
  agentConfigs?: { ddpg?: Partial<DDPGConfig>; dqn?: Partial<DQNConfig>; ppo?: Partial<PPOConfig> };
  /** Name of this encoder setting in reports (default derived from `encoder`). */
  label?: string;
  log?: (s: string) => void;
}

export interface OverheadRow {
  agent: OverheadAgent;
  case_study: string;
  agent_config: string;
  /** Hidden layers of the agent's networks. */
  net: string;
  label: string;
  encoder: EncoderOptions;
  encoder_params: number;
  embedding_dim: number;
  context_size: number;
  subsample: number;
  max_steps: number;
  pairs: number;
  batch: number;
  inference: InterleavedTiming;
  update: InterleavedTiming;
  /** One encoder forward pass over one pair's full context (a serving cache miss), median ms. */
  embed_refresh_ms: number;
}

function posInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min)
    throw new ValueError(`measureOverheads ${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** "BiGRU 2x256", "TCN 32ch x3 patch 4". */
export function encoderLabel(e: EncoderOptions): string {
  if (e.type === "tcn") return `TCN ${e.channels ?? 64}ch x${e.layers ?? 3}${Number(e.patch ?? 1) > 1 ? ` patch ${String(e.patch)}` : ""}`;
  return `BiGRU ${e.layers ?? 2}x${e.hidden ?? 256}`;
}

function checkEncoder(e: unknown): EncoderOptions {
  if (typeof e !== "object" || e === null)
    throw new ValueError(`measureOverheads encoder: expected an object such as {type: "bigru", hidden: 256, layers: 2}, got ${JSON.stringify(e)}`);
  const o = e as Record<string, unknown>;
  const type = o.type ?? "bigru";
  if (type !== "bigru" && type !== "tcn") throw new ValueError(`measureOverheads encoder.type: expected "bigru" or "tcn", got ${JSON.stringify(o.type)}`);
  const sizes = type === "bigru" ? ["hidden", "layers", "fcHidden", "embeddingDim"] : ["channels", "layers", "patch", "kernelSize", "fcHidden", "embeddingDim"];
  for (const k of sizes) if (o[k] !== undefined) posInt(`encoder.${k}`, o[k]);
  return { ...o, type } as EncoderOptions;
}

/** Validated options with defaults; every error names the option. */
function resolve(opts: OverheadOptions) {
  const agents = opts.agents ?? OVERHEAD_AGENTS;
  if (!Array.isArray(agents) || agents.length === 0)
    throw new ValueError(`measureOverheads agents: expected a non-empty list of ${OVERHEAD_AGENTS.join(", ")}, got ${JSON.stringify(agents)}`);
  for (const a of agents) {
    if (!(OVERHEAD_AGENTS as readonly string[]).includes(a))
      throw new ValueError(`measureOverheads agents: unknown agent ${JSON.stringify(a)}; known: ${OVERHEAD_AGENTS.join(", ")}`);
  }
  if (new Set(agents).size !== agents.length) throw new ValueError(`measureOverheads agents: duplicate agent in ${JSON.stringify(agents)}`);
  const contextSize = posInt("contextSize", opts.contextSize ?? 8);
  const subsample = posInt("subsample", opts.subsample ?? contextSize);
  if (subsample > contextSize) throw new ValueError(`measureOverheads subsample: K = ${subsample} exceeds contextSize M = ${contextSize}; K must be in 1..M`);
  return {
    agents: agents as readonly OverheadAgent[],
    encoder: checkEncoder(opts.encoder ?? { type: "bigru", hidden: 256, layers: 2 }),
    contextSize,
    subsample,
    maxSteps: posInt("maxSteps", opts.maxSteps ?? 100),
    batch: opts.batch === undefined ? undefined : posInt("batch", opts.batch),
    repeats: posInt("repeats", opts.repeats ?? 5),
    inferenceCalls: posInt("inferenceCalls", opts.inferenceCalls ?? 50),
    updateCalls: posInt("updateCalls", opts.updateCalls ?? 3),
    updateBudgetMs: opts.updateBudgetMs === undefined ? undefined : posInt("updateBudgetMs", opts.updateBudgetMs),
    pairs: posInt("pairs", opts.pairs ?? 8),
    seed: opts.seed ?? 0,
  };
}

interface Measured {
  base: Policy & { dispose(): void };
  flash: Policy & { dispose(): void };
  update: (agent: Policy) => void;
  net: string;
  batch: number;
}

/** Build both agents of `agent`, filled with synthetic replay / rollout data over `pairs` context ids. */
function buildAgents(
  agent: OverheadAgent,
  cond: FlashConditioner,
  o: ReturnType<typeof resolve>,
  overrides: OverheadOptions["agentConfigs"],
  rng: Rng,
): Measured {
  const cs = CASE_STUDIES[agent];
  const S = cs.stateDim;
  const observationSpace = box(new Array(S).fill(-5), new Array(S).fill(5));
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const P = o.pairs;
  if (agent === "ddpg" || agent === "dqn") {
    const n = 2000;
    const data = Array.from({ length: n }, (_, i) => ({
      o: rand(S),
      o2: rand(S),
      a: agent === "ddpg" ? Float32Array.from({ length: cs.actions }, () => rng.uniform(-1, 1)) : Float32Array.of(rng.int(0, cs.actions)),
      r: rng.normal(),
      ctx: i % P,
    }));
    const make = (extra?: FlashConditioner) => {
      let a: DDPG | DQN;
      if (agent === "ddpg") {
        const cfg: DDPGConfig = { ...FIRM_DDPG_DEFAULTS, ...overrides?.ddpg };
        a = new DDPG(
          { observationSpace, actionSpace: box(new Array(cs.actions).fill(-1), new Array(cs.actions).fill(1)) },
          { ...cfg, batchSize: o.batch ?? cfg.batchSize, bufferSize: Math.min(cfg.bufferSize, 10_000) },
          { seed: 1, extra },
        );
      } else {
        const cfg: DQNConfig = { ...SMARTOVERCLOCK_DQN_DEFAULTS, ...overrides?.dqn };
        a = new DQN(
          { observationSpace, actionSpace: discrete(cs.actions) },
          { ...cfg, batchSize: o.batch ?? cfg.batchSize, bufferSize: Math.min(cfg.bufferSize, 10_000) },
          { seed: 1, extra },
        );
      }
      for (const t of data) a.store(t.o, t.o2, t.a, t.r, false, t.ctx);
      return a;
    };
    const base = make();
    const flash = make(cond);
    // FLASH's update includes the after-training hook the training loop calls (cache invalidation).
    const update = (a: unknown) => {
      (a as DDPG | DQN).train(1);
      if (a === flash) cond.afterUpdate();
    };
    return { base, flash, update, net: JSON.stringify(base.config.netArch), batch: base.config.batchSize };
  }
  // PPO: a rollout of exactly one minibatch (nSteps x nEnvs = batch), one epoch.
  const cfg: PPOConfig = { ...AURORA_PPO_DEFAULTS, ...overrides?.ppo };
  const batch = o.batch ?? cfg.batchSize;
  let nEnvs = 1;
  for (let d = Math.min(64, batch); d >= 1; d--) {
    if (batch % d === 0) {
      nEnvs = d;
      break;
    }
  }
  const nSteps = batch / nEnvs;
  const spaces = { observationSpace, actionSpace: box(new Array(cs.actions).fill(-1), new Array(cs.actions).fill(1)) };
  const obs = Array.from({ length: nSteps }, () => rand(nEnvs * S));
  const ctx = Array.from({ length: nSteps }, (_, s) => Int32Array.from({ length: nEnvs }, (_, i) => (s * nEnvs + i) % P));
  const rewards = Array.from({ length: nSteps }, () => rand(nEnvs));
  const make = (extra?: FlashConditioner) => {
    const a = new PPO(spaces, { ...cfg, batchSize: batch, nSteps, nEpochs: 1 }, { seed: 1, extra });
    a.startRollouts(nEnvs);
    for (let s = 0; s < nSteps; s++) {
      a.act(obs[s], ctx[s]);
      a.record(rewards[s], new Uint8Array(nEnvs));
    }
    a.finishRollout(new Float32Array(nEnvs), new Uint8Array(nEnvs));
    return a;
  };
  const base = make();
  const flash = make(cond);
  return {
    base,
    flash,
    update: (a) => {
      const n = (a as PPO).train(1).updates;
      if (a === flash) cond.afterUpdate();
      if (n !== 1) throw new InternalError(`measureOverheads: a PPO train call ran ${n} minibatch updates, expected 1`);
    },
    net: JSON.stringify(cfg.netArch),
    batch,
  };
}

/** Synthetic context trajectories: `contextSize` of `T` steps per pair, states scaled by the pair's index so pairs differ. */
async function fillContexts(model: RLModel, pairs: string[], agent: OverheadAgent, contextSize: number, T: number, rng: Rng): Promise<void> {
  const cs = CASE_STUDIES[agent];
  const actionDim = agent === "dqn" ? 1 : cs.actions;
  for (const [p, pair] of pairs.entries()) {
    for (let m = 0; m < contextSize; m++) {
      const s = Float32Array.from({ length: T * cs.stateDim }, () => rng.normal() * (1 + p / 4));
      const a = Float32Array.from({ length: T * actionDim }, () => (agent === "dqn" ? rng.int(0, cs.actions) : rng.uniform(-1, 1)));
      await model.insertTrajSamples(
        pair,
        s,
        a,
        Float32Array.from({ length: T }, () => rng.normal()),
      );
    }
  }
}

type Resolved = ReturnType<typeof resolve>;

/** One update of the base agent against one of the FLASH agent, interleaved (a fixed call count, or as many as the budget allows). */
function timeUpdates(b: Measured, o: Resolved) {
  const baseUpdate = () => b.update(b.base);
  const flashUpdate = () => b.update(b.flash);
  if (o.updateBudgetMs === undefined) return timeInterleaved(baseUpdate, flashUpdate, { rounds: o.repeats, calls: o.updateCalls, warmup: 1 });
  const calls = callsForBudget(baseUpdate, flashUpdate, o.updateBudgetMs, o.repeats);
  return timeInterleaved(baseUpdate, flashUpdate, { rounds: o.repeats, calls, baseCalls: Math.max(calls, 5), warmup: 0 });
}

/** Deterministic predictions of both agents on the same 16 random states, FLASH cycling through the pairs' contexts. */
function timeInference(b: Measured, stateDim: number, o: Resolved, rng: Rng) {
  const inputs = Array.from({ length: 16 }, () => Float32Array.from({ length: stateDim }, () => rng.normal()));
  let i = 0;
  let j = 0;
  return timeInterleaved(
    () => b.base.predict(inputs[i++ % inputs.length], { deterministic: true }),
    () => {
      const k = j++;
      return b.flash.predict(inputs[k % inputs.length], { deterministic: true, ctx: k % o.pairs });
    },
    { rounds: o.repeats, calls: o.inferenceCalls, warmup: Math.max(5, o.pairs) },
  );
}

/** Milliseconds to recompute a pair's embedding after a meta update (up to 5 times). */
function timeRefresh(model: RLModel, pair: string, repeats: number): number[] {
  const refresh: number[] = [];
  for (let r = 0; r < Math.max(1, Math.min(repeats, 5)); r++) {
    model.markMetaUpdated();
    const t0 = performance.now();
    model.getEmbedding(pair);
    refresh.push(performance.now() - t0);
  }
  return refresh;
}

/**
 * One agent's measuring set-up: a FLASH model (meta updates on) whose `pairs` pairs hold
 * synthetic context, its conditioner, and the vanilla and FLASH-conditioned agents filled
 * with the same synthetic replay / rollout data. `close` frees everything. Also the
 * pretraining profile's set-up (bench/pretrain-speed.ts).
 */
export interface OverheadSetup extends Measured {
  model: RLModel;
  cond: FlashConditioner;
  pairs: string[];
  /** The set-up's random stream, where its synthetic data left it (the inference inputs continue it). */
  rng: Rng;
  close(): void;
}

/** The set-up of `agent` (see `OverheadSetup`) under `dir`, with options as `measureOverheads`. */
export async function overheadSetup(agent: OverheadAgent, opts: OverheadOptions, dir: string): Promise<OverheadSetup> {
  const o = resolve({ ...opts, agents: [agent] });
  const cs = CASE_STUDIES[agent];
  const rng = new Rng(o.seed).fork(`overheads-${agent}`);
  const actionDim = agent === "dqn" ? 1 : cs.actions;
  const task = `overheads-${process.pid}-${agent}-${Math.floor(rng.next() * 1e9)}`;
  const buffer = SqliteBuffer.open(path.join(dir, `${agent}.sqlite`));
  const model = RLModel.register({
    task,
    stateDim: cs.stateDim,
    actionDim,
    buffer,
    encoder: o.encoder,
    contextSize: o.contextSize,
    maxSteps: o.maxSteps,
    seed: 1,
  });
  let built: Measured | undefined;
  const close = () => {
    built?.base.dispose();
    built?.flash.dispose();
    FlashModel.unregister(task);
    buffer.close();
  };
  try {
    const pairs = Array.from({ length: o.pairs }, (_, p) => `pair-${p}`);
    await fillContexts(model, pairs, agent, o.contextSize, Math.max(100, o.maxSteps), rng);
    const cond = new FlashConditioner(model, { pairs, contextSubsample: o.subsample < o.contextSize ? o.subsample : undefined, seed: 1 });
    // Pretraining (meta updates on) while the agents are built and updated.
    model.toggleMetaModelUpdate(true);
    built = buildAgents(agent, cond, o, opts.agentConfigs, rng);
    return { ...built, model, cond, pairs, rng, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** Measure inference and update latency with and without FLASH for each agent (see the module comment). */
export async function measureOverheads(opts: OverheadOptions = {}): Promise<OverheadRow[]> {
  const o = resolve(opts);
  const label = opts.label ?? encoderLabel(o.encoder);
  const dir = mkdtempSync(path.join(os.tmpdir(), "flash-overheads-"));
  const rows: OverheadRow[] = [];
  try {
    for (const agent of o.agents) {
      const cs = CASE_STUDIES[agent];
      const b = await overheadSetup(agent, opts, dir);
      try {
        const update = timeUpdates(b, o);
        // Serving: meta learner frozen, cached embeddings.
        b.model.toggleMetaModelUpdate(false);
        const inference = timeInference(b, cs.stateDim, o, b.rng);
        const refresh = timeRefresh(b.model, b.pairs[0], o.repeats);
        const row: OverheadRow = {
          agent,
          case_study: cs.caseStudy,
          agent_config: cs.configName,
          net: b.net,
          label,
          encoder: o.encoder,
          encoder_params: b.model.encoder.parameterCount(),
          embedding_dim: b.model.embeddingDim,
          context_size: o.contextSize,
          subsample: o.subsample,
          max_steps: o.maxSteps,
          pairs: o.pairs,
          batch: b.batch,
          inference,
          update,
          embed_refresh_ms: quantile(refresh, 0.5),
        };
        rows.push(row);
        opts.log?.(
          `${label} ${agent} (${cs.caseStudy}): inference ${inference.without_ms.toFixed(3)} -> ${inference.with_ms.toFixed(3)} ms ` +
            `(${inference.ratio.toFixed(2)}x), ` +
            `update ${update.without_ms.toFixed(1)} -> ${update.with_ms.toFixed(1)} ms (${update.ratio.toFixed(2)}x), embedding refresh ` +
            `${row.embed_refresh_ms.toFixed(1)} ms`,
        );
      } finally {
        b.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** One encoder setting of `flash overheads`. */
export type OverheadSetting = Omit<OverheadOptions, "agents" | "log" | "agentConfigs"> & { label: string; note: string };

/** The paper's encoder (few repeats: slow here) and the two cheap encoders. */
export function overheadSettings(quick = false): OverheadSetting[] {
  return [
    {
      label: "paper: BiGRU 2x256",
      note: quick ? "K 1 of M 8 trajectories, first 25 steps (the full context is minutes per update here)" : "K 2 of M 8 trajectories, 100 steps",
      encoder: { type: "bigru", hidden: 256, layers: 2 },
      contextSize: 8,
      subsample: quick ? 1 : 2,
      maxSteps: quick ? 25 : 100,
      repeats: quick ? 2 : 3,
      updateCalls: 1,
      inferenceCalls: quick ? 30 : 50,
    },
    {
      label: "BiGRU 1x32, 10 steps",
      note: "K 2 of M 8 trajectories, first 10 steps",
      encoder: { type: "bigru", hidden: 32, layers: 1 },
      contextSize: 8,
      subsample: 2,
      maxSteps: 10,
      repeats: quick ? 5 : 10,
      updateCalls: quick ? 3 : 5,
      inferenceCalls: quick ? 30 : 50,
    },
    {
      label: "TCN 32ch patch 4",
      note: "3 layers, all M 8 trajectories, 100 steps",
      encoder: { type: "tcn", channels: 32, layers: 3, patch: 4 },
      contextSize: 8,
      subsample: 8,
      maxSteps: 100,
      repeats: quick ? 5 : 10,
      updateCalls: quick ? 3 : 5,
      inferenceCalls: quick ? 30 : 50,
    },
  ];
}

export interface OverheadsReport {
  format: "flash-adapt-overheads@1";
  quick: boolean;
  started: string;
  wall_seconds: number;
  provenance: ReturnType<typeof provenance>;
  backend: ReturnType<typeof backendInfo>;
  paper_ratios: typeof PAPER_RATIOS;
  settings: OverheadSetting[];
  rows: OverheadRow[];
}

const fmtMs = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const fmtRatio = (t: InterleavedTiming) =>
  `${t.ratio.toFixed(2)}x${t.ratio_ci95.ci95 === null ? "" : ` (${t.ratio_ci95.mean.toFixed(2)} ± ${t.ratio_ci95.ci95.toFixed(2)})`}`;

/** overheads.md: one Table-3-style table per encoder setting. */
export function overheadsMarkdown(r: OverheadsReport): string {
  const m = r.provenance.machine;
  const lines = [
    "# Overheads (paper 5.4, Table 3)",
    "",
    `Backend **${r.backend.name}** (TensorFlow.js ${r.backend.tfVersion}), ${m.cpus} x ${m.cpuModel ?? "unknown CPU"}, ${m.memGiB} GiB, Node ` +
      `${r.provenance.node}; ` +
      `commit ${r.provenance.git.commit?.slice(0, 10) ?? "unknown"}${r.provenance.git.dirty ? " (dirty)" : ""}; ${r.quick ? "quick" : "full"} profile, ` +
      `${r.started}, ${Math.round(r.wall_seconds)} s.`,
    "",
    "Latency of one action for one observation (inference) and of one training update (DDPG: critic + actor + targets; DQN: one TD step; PPO: one " +
      "minibatch), " +
      "without FLASH (the vanilla agent) and with FLASH (inference: serving, meta learner frozen, cached embedding appended; update: pretraining, meta " +
      "learner trainable, contexts encoded in every update). " +
      "Synthetic observations, each agent's case-study configuration. Medians over interleaved rounds; the ratio is the ratio of medians, with the " +
      "mean ± 95% CI of the per-round ratios in parentheses. " +
      `The paper (GPU) reports FLASH at ${PAPER_RATIOS.inference.lo}-${PAPER_RATIOS.inference.hi}x for inference and ` +
      `${PAPER_RATIOS.update.lo}-${PAPER_RATIOS.update.hi}x for updates across its agents ` +
      "(ranges; the per-agent values are not transcribed here).",
    "",
    "Caveat: measured on a shared machine (other jobs on the same cores); absolute times move with its load, the interleaved ratios less so. On " +
      "WebAssembly a small op costs tens of microseconds, so " +
      "small networks are bound by op count, not FLOPs, unlike the paper's GPU.",
    "",
  ];
  for (const s of r.settings) {
    const rows = r.rows.filter((x) => x.label === s.label);
    if (rows.length === 0) continue;
    const e = rows[0];
    lines.push(
      `## ${s.label}`,
      "",
      `${encoderLabel(e.encoder)}, ${e.encoder_params.toLocaleString("en-US")} parameters, embedding ${e.embedding_dim}; ${s.note}; ${e.pairs} pairs; ` +
        `${e.update.rounds} rounds.`,
      "",
    );
    lines.push(
      "| Agent (case study) | Net, batch | Inference without (ms) | Inference with FLASH (ms) | Inference ratio | Paper | Update without (ms) | Update " +
        "with FLASH (ms) | Update ratio | Paper | Embedding refresh (ms) |",
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const x of rows) {
      lines.push(
        `| ${x.agent.toUpperCase()} (${x.case_study}) | ${x.net}, ${x.batch} | ${fmtMs(x.inference.without_ms)} | ${fmtMs(x.inference.with_ms)} | ` +
          `${fmtRatio(x.inference)} | ${PAPER_RATIOS.inference.lo}-${PAPER_RATIOS.inference.hi}x | ` +
          `${fmtMs(x.update.without_ms)} | ${fmtMs(x.update.with_ms)} | ${fmtRatio(x.update)} | ${PAPER_RATIOS.update.lo}-${PAPER_RATIOS.update.hi}x | ` +
          `${fmtMs(x.embed_refresh_ms)} |`,
      );
    }
    lines.push("");
  }
  lines.push(
    "Embedding refresh: one encoder forward pass over one pair's full context (M trajectories, maxSteps steps), what serving pays on a cache miss (new " +
      "trajectories or a meta update); the inference column excludes it.",
    "",
    "![FLASH latency ratios](figures/overheads.png)",
    "",
  );
  return lines.join("\n");
}

/** Bar chart of the ratios per agent and encoder, inference and update side by side, the paper's range shaded. */
export function overheadsFigure(rows: readonly OverheadRow[]): VegaLiteSpec {
  const values = rows.flatMap((x) =>
    (["inference", "update"] as const).map((what) => {
      const t = x[what];
      const ci = t.ratio_ci95.ci95;
      const lo = ci === null ? t.ratio : Math.max(t.ratio_ci95.mean - ci, 0.05);
      const hi = ci === null ? t.ratio : t.ratio_ci95.mean + ci;
      return {
        measurement: what,
        agent: `${x.agent.toUpperCase()} (${x.case_study})`,
        encoder: x.label,
        ratio: t.ratio,
        lo,
        hi,
        paper_lo: PAPER_RATIOS[what].lo,
        paper_hi: PAPER_RATIOS[what].hi,
      };
    }),
  );
  const panel = (what: "inference" | "update"): VegaLiteSpec => {
    const x = { field: "agent", type: "nominal", title: "agent (case study)", axis: { labelAngle: 0, labelExpr: "split(datum.label, ' ')" } };
    // Bars on a log scale need a finite base: 1 (no overhead) unless a ratio falls below it.
    // CI lines are clamped to the plotted range (with two rounds t = 12.7 makes them huge).
    const ratios = values.filter((v) => v.measurement === what).map((v) => v.ratio);
    const floor = Math.min(1, ...ratios.map((v) => v * 0.8));
    const ceil = Math.max(PAPER_RATIOS[what].hi, ...ratios) * 3;
    const xOffset = { field: "encoder", type: "nominal" };
    const scale = { type: "log", domain: [floor, ceil], clamp: true, nice: false };
    return {
      title: { text: what === "inference" ? "inference (one action)" : "update (one training step)", fontSize: 14 },
      width: 360,
      height: 320,
      transform: [{ filter: `datum.measurement === '${what}'` }],
      layer: [
        {
          mark: { type: "rect", color: "#888", opacity: 0.25 },
          encoding: { y: { datum: PAPER_RATIOS[what].lo, type: "quantitative", scale }, y2: { datum: PAPER_RATIOS[what].hi } },
        },
        {
          mark: "bar",
          encoding: {
            x,
            xOffset,
            y: { field: "ratio", type: "quantitative", scale, title: "latency with FLASH / without (log scale)" },
            y2: { datum: floor },
            color: { field: "encoder", type: "nominal", title: "encoder" },
          },
        },
        { mark: { type: "rule", strokeWidth: 1.5 }, encoding: { x, xOffset, y: { field: "lo", type: "quantitative", scale }, y2: { field: "hi" } } },
        {
          mark: { type: "text", dy: -7, fontSize: 10 },
          encoding: { x, xOffset, y: { field: "hi", type: "quantitative", scale }, text: { field: "ratio", type: "quantitative", format: ".1f" } },
        },
      ],
    };
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "FLASH latency / vanilla latency per agent (grey band: the paper's range, GPU; lines: 95% CI over rounds, clipped)",
    data: { values },
    hconcat: [panel("inference"), panel("update")],
  };
}

/** `flash overheads`: measure every setting, write DIR/overheads.json, overheads.md and figures/overheads.*. */
export async function runOverheads(opts: {
  out: string;
  quick?: boolean;
  agents?: readonly OverheadAgent[];
  settings?: OverheadSetting[];
  log?: (s: string) => void;
}): Promise<OverheadsReport> {
  const t0 = performance.now();
  const started = new Date().toISOString();
  const settings = opts.settings ?? overheadSettings(opts.quick);
  const rows: OverheadRow[] = [];
  for (const s of settings) {
    opts.log?.(`overheads: ${s.label} (${s.note})`);
    rows.push(...(await measureOverheads({ ...s, agents: opts.agents, log: (x) => opts.log?.(`  ${x}`) })));
  }
  const backend = backendInfo();
  const report: OverheadsReport = {
    format: "flash-adapt-overheads@1",
    quick: opts.quick === true,
    started,
    wall_seconds: (performance.now() - t0) / 1000,
    provenance: provenance(backend),
    backend,
    paper_ratios: PAPER_RATIOS,
    settings,
    rows,
  };
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(path.join(opts.out, "overheads.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(path.join(opts.out, "overheads.md"), overheadsMarkdown(report));
  await writeFigure(path.join(opts.out, "figures"), "overheads", overheadsFigure(rows));
  return report;
}
