/**
 * `flash_pretrain_episode_ratio`: FLASH's wall seconds per pretraining episode over TL's,
 * at the autoscaling task's quick sizes (100-step episodes, one DDPG update per step,
 * 64x64 networks, batch 64; FLASH's BiGRU 1x16 reading 1 trajectory x 10 steps per pair,
 * about 12 pairs per batch), and the same with the paper's encoder sizes (BiGRU 2x256,
 * head 64, embedding 32) on the same context. Plus where a FLASH update's time goes.
 *
 * Episodes: the task's own pretraining units (`RlTask.openPretraining`, the code
 * `flash reproduce` runs), one TL and one FLASH, on the quick profile's synthetic pool.
 * Both first train `warmEpisodes` untimed episodes (a pass over the pool: every pair is in
 * the replay buffer and has a context of its own), then `rounds` rounds alternate the two
 * sides (TL first in even rounds), each timing `episodesPerRound` episodes; seconds per
 * episode are medians over rounds, the ratio is FLASH's over TL's (wall time, the headline; the
 * process's CPU time beside it, which other jobs on a shared machine move less). FLASH's random warm-up
 * episodes (counted by the reproduction's `pretraining` block, where they make FLASH's
 * figure slightly lower) are not in it: these are trained episodes only.
 *
 * Profile (`pretrainProfile`): one update of the vanilla DDPG and of the FLASH-conditioned
 * one on the overheads protocol's synthetic set-up at the same sizes (12 pairs, context 4
 * trajectories, 10 steps read, K 1), and, timed alone at the same shapes, the parts of the
 * FLASH update: the context batch of a training batch's pairs (buffer versions, selection,
 * subsampling, padding), the encoder's forward pass, its backward pass (forward + backward
 * minus forward), the optimiser step on the encoder's variables, and one host read-back of
 * the embeddings. Calls per update are counted on real updates (encoder passes, each on
 * one context batch) or fixed by the update's structure (one backward, one optimiser step, two
 * read-backs: the critic's and the actor's taped passes). `other` is what the parts leave
 * of the FLASH update beyond the vanilla one (conditioner glue, selecting rows, the
 * concatenation, the networks' wider input). Kernels are `tf.profile` kernel counts.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { adam } from "../agents/optim.js";
import { overheadSetup, type OverheadSetup } from "../experiments/protocols/overheads.js";
import { autoscalingProfile, autoscalingDdpgConfig, createAutoscalingTask, type AutoscalingConfig } from "../experiments/tasks/autoscaling.js";
import { PAPER_FLASH } from "../experiments/tasks/profiles.js";
import type { PretrainRun } from "../experiments/tasks/types.js";
import { quantile } from "../experiments/timing.js";
import type { ContextBatch } from "../flash/encoder.js";
import { InternalError } from "../errors.js";

export interface EpisodeTiming {
  /** Encoder of FLASH's side, e.g. "BiGRU 1x16". */
  encoder: string;
  warm_episodes: number;
  rounds: number;
  episodes_per_round: number;
  /** Per-round seconds per episode. */
  tl_rounds_s: number[];
  flash_rounds_s: number[];
  tl_s_per_episode: number;
  flash_s_per_episode: number;
  /** flash_s_per_episode / tl_s_per_episode. */
  ratio: number;
  /** The same from the process's CPU seconds (user + system) per episode: less moved by other jobs on a shared machine. */
  tl_cpu_s_per_episode: number;
  flash_cpu_s_per_episode: number;
  cpu_ratio: number;
}

export interface ProfilePart {
  part: string;
  calls_per_update: number;
  ms_per_call: number;
  kernels_per_call: number;
  ms_per_update: number;
}

export interface PretrainProfile {
  pairs: number;
  tl_update_ms: number;
  flash_update_ms: number;
  tl_kernels_per_update: number;
  flash_kernels_per_update: number;
  parts: ProfilePart[];
  /** FLASH update - TL update - the parts' ms per update. */
  other_ms_per_update: number;
  rounds: number;
}

export interface PretrainSpeedResult {
  flash_pretrain_episode_ratio: number;
  flash_pretrain_episode_ratio_paper_encoder: number;
  pretrain_episodes: EpisodeTiming[];
  pretrain_profile: PretrainProfile;
}

/** The quick autoscaling config on the synthetic pool, optionally with the paper's encoder sizes. */
export function benchConfig(paperEncoder = false): AutoscalingConfig {
  const cfg = autoscalingProfile("quick", 0, { traces: null, apps: null });
  if (paperEncoder) {
    const { hidden, layers, fcHidden, embeddingDim } = PAPER_FLASH;
    cfg.flash = { ...cfg.flash, hidden, layers, fcHidden, embeddingDim };
  }
  return cfg;
}

const median = (xs: number[]) => quantile(xs, 0.5);

/** Seconds per pretraining episode of TL and FLASH, interleaved (see the module comment). */
export async function timeEpisodes(
  cfg: AutoscalingConfig,
  opts: { warmEpisodes: number; rounds: number; episodesPerRound: number; log?: (s: string) => void },
): Promise<EpisodeTiming> {
  const task = createAutoscalingTask();
  if (!task.openPretraining) throw new InternalError("the autoscaling task has no openPretraining");
  const dir = mkdtempSync(path.join(os.tmpdir(), "flash-pretrain-speed-"));
  const { warmEpisodes, rounds, episodesPerRound } = opts;
  const budget = { ...cfg, budgets: { ...cfg.budgets, pretrainEpisodes: warmEpisodes + rounds * episodesPerRound } };
  const pool = budget.poolPairs.map((p) => p.id);
  const runs: Partial<Record<"tl" | "flash", PretrainRun>> = {};
  const next = { tl: 0, flash: 0 };
  const perEpisode = { tl: [] as number[], flash: [] as number[] };
  const cpuPerEpisode = { tl: [] as number[], flash: [] as number[] };
  try {
    for (const v of ["tl", "flash"] as const) {
      mkdirSync(path.join(dir, v));
      runs[v] = await task.openPretraining(budget, v, pool, 0, path.join(dir, v));
    }
    const step = async (v: "tl" | "flash", n: number): Promise<[number, number]> => {
      const [t0, c0] = [performance.now(), process.cpuUsage()];
      for (let i = 0; i < n; i++) await (runs[v] as PretrainRun).episode(next[v]++);
      const c = process.cpuUsage(c0);
      return [(performance.now() - t0) / 1000 / n, (c.user + c.system) / 1e6 / n];
    };
    for (const v of ["tl", "flash"] as const) await step(v, warmEpisodes);
    for (let r = 0; r < rounds; r++) {
      for (const v of r % 2 === 0 ? (["tl", "flash"] as const) : (["flash", "tl"] as const)) {
        const [wall, cpu] = await step(v, episodesPerRound);
        perEpisode[v].push(wall);
        cpuPerEpisode[v].push(cpu);
      }
      opts.log?.(`round ${r + 1}/${rounds}: TL ${perEpisode.tl[r].toFixed(3)} s, FLASH ${perEpisode.flash[r].toFixed(3)} s per episode`);
    }
  } finally {
    runs.tl?.close();
    runs.flash?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const tl = median(perEpisode.tl);
  const flash = median(perEpisode.flash);
  return {
    encoder: `BiGRU ${cfg.flash.layers}x${cfg.flash.hidden}`,
    warm_episodes: warmEpisodes,
    rounds,
    episodes_per_round: episodesPerRound,
    tl_rounds_s: perEpisode.tl,
    flash_rounds_s: perEpisode.flash,
    tl_s_per_episode: tl,
    flash_s_per_episode: flash,
    ratio: flash / tl,
    tl_cpu_s_per_episode: median(cpuPerEpisode.tl),
    flash_cpu_s_per_episode: median(cpuPerEpisode.flash),
    cpu_ratio: median(cpuPerEpisode.flash) / median(cpuPerEpisode.tl),
  };
}

/** Median ms per call of each function, over `rounds` rounds of `calls` calls, the functions interleaved in rotating order. */
function timeRotating(fns: (() => void)[], rounds: number, calls: number): number[] {
  const per: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < fns.length; j++) {
      const i = (j + r) % fns.length;
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) fns[i]();
      per[i].push((performance.now() - t0) / calls);
    }
  }
  return per.map(median);
}

/** Kernels one call of `fn` runs (tf.profile, averaged over `calls` calls). */
async function kernelsOf(fn: () => void, calls = 4): Promise<number> {
  const p = await tf.profile(() => {
    for (let i = 0; i < calls; i++) fn();
  });
  return p.kernels.length / calls;
}

/** How many times `method` of `obj` is called while `fn` runs. */
function countCalls<T extends object>(obj: T, method: keyof T & string, fn: () => void): number {
  const original = obj[method] as unknown as (...a: unknown[]) => unknown;
  let n = 0;
  (obj as Record<string, unknown>)[method] = (...a: unknown[]) => {
    n++;
    return original.apply(obj, a);
  };
  try {
    fn();
  } finally {
    (obj as Record<string, unknown>)[method] = original;
  }
  return n;
}

/** The parts of a FLASH update, each a function at the update's shapes with its calls per update, and what frees their inputs. */
function profileParts(s: OverheadSetup): { parts: { part: string; calls: number; fn: () => void }[]; dispose: () => void } {
  const encoder = s.model.encoder;
  const vars = encoder.variables();
  const distinct = s.pairs;
  const flashUpdate = () => s.update(s.flash);
  const updates = 5;
  // Every encoder pass reads one context batch.
  const forwardCalls = countCalls(encoder, "encode", () => Array.from({ length: updates }, flashUpdate)) / updates;
  // Kept across calls (disposed by `dispose` below): a batch, an upstream gradient, embeddings to read back.
  const batch = tf.tidy(() => ({ ...s.cond.contextBatch(distinct) })) as ContextBatch;
  const upstream = tf.randomNormal([distinct.length, s.model.embeddingDim], 0, 1, "float32", 7);
  const embeddings = tf.tidy(() => encoder.encode(batch));
  const optimizer = adam(1e-4);
  const grads = tf.variableGrads(() => tf.sum(tf.mul(encoder.encode(batch), upstream)), vars).grads;
  const forward = () => tf.tidy(() => void encoder.encode(batch));
  const forwardBackward = () =>
    tf.tidy(() => {
      tf.variableGrads(() => tf.sum(tf.mul(encoder.encode(batch), upstream)), vars);
    });
  return {
    parts: [
      { part: "context batch", calls: forwardCalls, fn: () => tf.tidy(() => void s.cond.contextBatch(distinct)) },
      { part: "encoder forward", calls: forwardCalls, fn: forward },
      { part: "encoder backward", calls: 1, fn: forwardBackward },
      { part: "optimiser (encoder variables)", calls: 1, fn: () => optimizer.applyGradients(grads) },
      { part: "host read-back", calls: 2, fn: () => void embeddings.dataSync() },
    ],
    dispose: () => {
      tf.dispose([batch.data, batch.stepMask, batch.seqMask, upstream, embeddings, ...Object.values(grads)]);
      optimizer.dispose();
    },
  };
}

/** Where a FLASH update's time goes, beside the vanilla update (see the module comment). */
export async function pretrainProfile(opts: { rounds: number; calls: number; cfg?: AutoscalingConfig; log?: (s: string) => void }): Promise<PretrainProfile> {
  const cfg = opts.cfg ?? benchConfig();
  const f = cfg.flash;
  const dir = mkdtempSync(path.join(os.tmpdir(), "flash-pretrain-profile-"));
  const s = await overheadSetup(
    "ddpg",
    {
      encoder: { type: "bigru", hidden: f.hidden, layers: f.layers, fcHidden: f.fcHidden, embeddingDim: f.embeddingDim },
      contextSize: f.contextSize,
      subsample: f.contextSubsample,
      maxSteps: f.maxSteps,
      pairs: cfg.poolPairs.length,
      agentConfigs: { ddpg: autoscalingDdpgConfig(cfg, 0) },
      seed: "bench-pretrain-profile",
    },
    dir,
  );
  try {
    const tlUpdate = () => s.update(s.base);
    const flashUpdate = () => s.update(s.flash);
    for (let i = 0; i < 5; i++) [tlUpdate, flashUpdate].forEach((fn) => fn());
    const { parts, dispose } = profileParts(s);
    try {
      const fns = [tlUpdate, flashUpdate, ...parts.map((p) => p.fn)];
      const ms = timeRotating(fns, opts.rounds, opts.calls);
      const kernels: number[] = [];
      for (const fn of fns) kernels.push(await kernelsOf(fn));
      const rows: ProfilePart[] = parts.map((p, i) => ({
        part: p.part,
        calls_per_update: p.calls,
        ms_per_call: ms[i + 2],
        kernels_per_call: kernels[i + 2],
        ms_per_update: 0,
      }));
      // The backward pass alone: its row timed forward + backward; take a forward off.
      const [, fwd, bwd] = rows;
      bwd.ms_per_call -= fwd.ms_per_call;
      bwd.kernels_per_call -= fwd.kernels_per_call;
      for (const r of rows) r.ms_per_update = r.calls_per_update * r.ms_per_call;
      opts.log?.(`profile: TL update ${ms[0].toFixed(3)} ms (${kernels[0]} kernels), FLASH update ${ms[1].toFixed(3)} ms (${kernels[1]} kernels)`);
      return {
        pairs: s.pairs.length,
        tl_update_ms: ms[0],
        flash_update_ms: ms[1],
        tl_kernels_per_update: kernels[0],
        flash_kernels_per_update: kernels[1],
        parts: rows,
        other_ms_per_update: ms[1] - ms[0] - rows.reduce((a, r) => a + r.ms_per_update, 0),
        rounds: opts.rounds,
      };
    } finally {
      dispose();
    }
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The whole benchmark: the profile, then the episode ratio at quick sizes and with the paper's encoder. */
export async function benchPretrainSpeed(opts: { quick?: boolean; log?: (s: string) => void } = {}): Promise<PretrainSpeedResult> {
  const log = opts.log ?? (() => {});
  const profile = await pretrainProfile({ rounds: opts.quick ? 5 : 9, calls: 20, log });
  const quick = await timeEpisodes(benchConfig(), { warmEpisodes: 12, rounds: opts.quick ? 3 : 5, episodesPerRound: 2, log });
  const paper = await timeEpisodes(benchConfig(true), { warmEpisodes: 12, rounds: opts.quick ? 2 : 3, episodesPerRound: 1, log });
  return {
    flash_pretrain_episode_ratio: quick.ratio,
    flash_pretrain_episode_ratio_paper_encoder: paper.ratio,
    pretrain_episodes: [quick, paper],
    pretrain_profile: profile,
  };
}
