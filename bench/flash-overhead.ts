/**
 * `update_overhead_ratio`: wall time of a DDPG training update (critic + actor + targets,
 * batch 64, FIRM's configuration FIRM_DDPG_DEFAULTS: [400, 300] nets) with the FLASH
 * conditioner trainable (meta updates on), divided by the same update without FLASH, on
 * the same replay data. The paper measured 3.1-4.1x on a GPU; the target here is <= 3x.
 *
 * Setting: 8 pairs, each with M stored trajectories of 100 steps of state 10 / action 3
 * (rows of 14); replay transitions spread over the 8 pairs, so nearly every batch of 64
 * holds all 8 and the conditioner encodes 8 contexts per update (one encoder pass for all
 * of them). Per update the conditioner costs one differentiable encoder pass plus its
 * backward (critic loss) and one forward pass (actor loss, after the critic step changed
 * the meta learner); the target's embeddings are the cached constants.
 *
 * Rows vary what sets the encoder's cost: hidden size (paper: 256), layers (paper: 2),
 * K trajectories per pair per batch (context subsampling; K = M is none) and maxSteps
 * (steps of each trajectory the encoder reads). On WebAssembly a small op costs tens of
 * microseconds and the GRU's op count grows with maxSteps x layers, not with K or the
 * number of pairs, so small encoders are bound by maxSteps x layers and large ones by
 * FLOPs (K x pairs x maxSteps x hidden^2).
 *
 * Base and FLASH updates are timed in alternating rounds so that load from other
 * processes hits both alike (`timeInterleaved` of experiments/protocols/overheads.ts,
 * the one timing routine of every overhead figure, also `flash overheads`); each ratio
 * is the ratio of the medians over rounds of each round's median per-update time.
 * The headline is the first row of the preference order (largest hidden, then most
 * layers, most trajectories, most steps) whose ratio is <= 3, else the cheapest row.
 *
 * Measured once (WebAssembly, 2 cores shared with other jobs; base update 24-35 ms), M = 8:
 *   hidden 256, 2 layers, K 2, 100 steps: 575x      hidden 256, 2 layers, K 1, 25 steps: 57x
 *   hidden 64, 2 layers, K 8 / K 2, 100 steps: 182x / 62x
 *   hidden 32, 2 layers, K 8 / K 2, 100 steps: 88x / 27x; K 2, 25 steps: 9.4x
 *   hidden 32, 1 layer, K 2, 25 steps: 3.4x; 10 steps: 2.9x (headline); hidden 16, 1 layer, K 2, 10 steps: 2.1x
 * (a second, quick run on a busier machine: 61x, 73x, 104x, 32x, 8.7x, 3.8x, 1.9x, 2.2x).
 *
 * Rows with `encoder: "tcn"` measure the temporal-convolution encoder (`flash/tcn.ts`;
 * `hidden` = its channels; kernel 3, dilations 1, 2, 4, mean+max pooling). Its op count
 * does not grow with maxSteps, so it is FLOP-bound: cost ~ K x pairs x maxSteps x channels^2.
 * They come after the GRU rows in the preference order; `update_overhead_ratio_tcn` is
 * the first TCN row's ratio (the largest TCN reading every trajectory in full).
 * Measured once (WebAssembly, machine busier than above: base update 49-86 ms), M = 8:
 *   tcn 64 ch, K 8, 100 steps: 7.0x; with patch 4: 3.1x
 *   tcn 32 ch, K 8, 100 steps: 4.3x; with patch 4: 2.7x; K 2, 100 steps: 2.2x
 *   tcn 16 ch, K 8, 100 steps: 2.9x
 *   (same run, for comparison: bigru 32, 2 layers, K 2, 25 steps: 7.4x; 1 layer, K 2, 10 steps: 2.4x)
 * The <= 3 target is met only by encoders that read 10 steps of each trajectory with one
 * GRU layer; what that costs in adaptation quality is not measured yet.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DDPG, FIRM_DDPG_DEFAULTS } from "../agents/ddpg.js";
import { FlashConditioner } from "../agents/flash-conditioning.js";
import { box } from "../envs/env.js";
import { SqliteBuffer } from "../flash/buffer/sqlite.js";
import { FlashModel, RLModel } from "../flash/models.js";
import { Rng } from "../flash/rng.js";
import { timeInterleaved } from "../experiments/protocols/overheads.js";
import { quantile } from "./stats.js";

export interface FlashOverheadConfig {
  /** Encoder family (default bigru, the paper's). */
  encoder?: "bigru" | "tcn";
  /** GRU units per direction, or the TCN's channels. */
  hidden: number;
  layers: number;
  /** M: trajectories stored (and selected) per pair. */
  contextSize: number;
  /** K: trajectories per pair per batch (K = M: no subsampling). */
  subsample: number;
  /** Steps of each trajectory the encoder reads. */
  maxSteps: number;
  /** TCN only: steps grouped per patch before the convolutions (default 1). */
  patch?: number;
}

export interface FlashOverheadRow extends FlashOverheadConfig {
  pairs: number;
  encoder_params: number;
  base_update_ms: number;
  flash_update_ms: number;
  update_overhead_ratio: number;
  /** FLASH updates timed. */
  updates: number;
}

export interface FlashOverheadResult {
  /** The headline row's ratio. */
  update_overhead_ratio: number;
  /** 1 if the headline row meets the <= 3 target. */
  update_overhead_target_met: number;
  headline_encoder: "bigru" | "tcn";
  headline_hidden: number;
  headline_layers: number;
  headline_subsample: number;
  headline_max_steps: number;
  /** The paper's encoder (hidden 256, 2 layers) at its cheapest measured setting. */
  update_overhead_ratio_paper_encoder: number;
  /** The first TCN row's ratio (NaN when no TCN row was measured). */
  update_overhead_ratio_tcn: number;
  base_update_ms: number;
  rows: FlashOverheadRow[];
}

const STATE = 10;
const ACTION = 3;
const PAIRS = 8;
const STEPS = 100;
const TARGET = 3;

/** Rows in preference order (see the module comment); `quick` keeps the informative subset. */
export function flashOverheadConfigs(quick = false): FlashOverheadConfig[] {
  const M = 8;
  const rows: FlashOverheadConfig[] = [
    { hidden: 256, layers: 2, contextSize: M, subsample: 2, maxSteps: 100 },
    { hidden: 256, layers: 2, contextSize: M, subsample: 1, maxSteps: 25 },
    { hidden: 64, layers: 2, contextSize: M, subsample: M, maxSteps: 100 },
    { hidden: 64, layers: 2, contextSize: M, subsample: 2, maxSteps: 100 },
    { hidden: 32, layers: 2, contextSize: M, subsample: M, maxSteps: 100 },
    { hidden: 32, layers: 2, contextSize: M, subsample: 2, maxSteps: 100 },
    { hidden: 32, layers: 2, contextSize: M, subsample: 2, maxSteps: 25 },
    { hidden: 32, layers: 1, contextSize: M, subsample: 2, maxSteps: 25 },
    { hidden: 32, layers: 1, contextSize: M, subsample: 2, maxSteps: 10 },
    { hidden: 16, layers: 1, contextSize: M, subsample: 2, maxSteps: 10 },
    { encoder: "tcn", hidden: 64, layers: 3, contextSize: M, subsample: M, maxSteps: 100 },
    { encoder: "tcn", hidden: 64, layers: 3, contextSize: M, subsample: M, maxSteps: 100, patch: 4 },
    { encoder: "tcn", hidden: 32, layers: 3, contextSize: M, subsample: M, maxSteps: 100 },
    { encoder: "tcn", hidden: 32, layers: 3, contextSize: M, subsample: M, maxSteps: 100, patch: 4 },
    { encoder: "tcn", hidden: 32, layers: 3, contextSize: M, subsample: 2, maxSteps: 100 },
    { encoder: "tcn", hidden: 16, layers: 3, contextSize: M, subsample: M, maxSteps: 100 },
  ];
  if (!quick) return rows;
  return rows.filter((r) => !(r.hidden === 256 && r.maxSteps === 100) && !(r.hidden === 64 && r.subsample === M));
}

/** Measure every configuration of `flashOverheadConfigs(quick)` (or `configs`). */
export async function benchFlashOverhead(opts: { quick?: boolean; configs?: FlashOverheadConfig[]; log?: (s: string) => void } = {}): Promise<FlashOverheadResult> {
  const configs = opts.configs ?? flashOverheadConfigs(opts.quick);
  const dir = mkdtempSync(path.join(os.tmpdir(), "flash-overhead-"));
  const rng = new Rng("bench-flash-overhead");
  const spaces = { observationSpace: box(new Array(STATE).fill(-5), new Array(STATE).fill(5)), actionSpace: box(new Array(ACTION).fill(-1), new Array(ACTION).fill(1)) };
  const rand = (n: number, s = 1) => Float32Array.from({ length: n }, () => rng.normal() * s);
  const replay = Array.from({ length: 2000 }, (_, i) => ({ o: rand(STATE), o2: rand(STATE), a: Float32Array.from({ length: ACTION }, () => rng.uniform(-1, 1)), r: rng.normal(), ctx: i % PAIRS }));
  const maxM = Math.max(...configs.map((c) => c.contextSize));
  const trajectories = Array.from({ length: PAIRS }, (_, p) =>
    Array.from({ length: maxM }, () => ({ s: rand(STEPS * STATE, 1 + p / 4), a: rand(STEPS * ACTION), r: rand(STEPS) })),
  );
  const makeAgent = (extra?: FlashConditioner) => {
    const agent = new DDPG(spaces, FIRM_DDPG_DEFAULTS, { seed: 1, extra });
    for (const t of replay) agent.store(t.o, t.o2, t.a, t.r, false, t.ctx);
    return agent;
  };
  const rows: FlashOverheadRow[] = [];
  try {
    for (const [i, c] of configs.entries()) {
      const task = `bench-flash-overhead-${process.pid}-${i}`;
      const model = RLModel.register({
        task,
        stateDim: STATE,
        actionDim: ACTION,
        buffer: SqliteBuffer.open(path.join(dir, `${i}.sqlite`)),
        encoder: c.encoder === "tcn" ? { type: "tcn", channels: c.hidden, layers: c.layers, patch: c.patch ?? 1 } : { hidden: c.hidden, layers: c.layers },
        contextSize: c.contextSize,
        maxSteps: c.maxSteps,
        seed: 1,
      });
      try {
        const pairs = Array.from({ length: PAIRS }, (_, p) => `pair-${p}`);
        for (const [p, pair] of pairs.entries()) {
          for (const t of trajectories[p].slice(0, c.contextSize)) await model.insertTrajSamples(pair, t.s, t.a, t.r);
        }
        const cond = new FlashConditioner(model, { pairs, contextSubsample: c.subsample < c.contextSize ? c.subsample : undefined, seed: 1 });
        const base = makeAgent();
        const agent = makeAgent(cond);
        // The training loop's after-training hook is part of FLASH's update cost.
        const flash = { train: (n: number) => (agent.train(n), cond.afterUpdate()), dispose: () => agent.dispose() };
        // Cost per FLASH update decides the repeats: a few seconds of FLASH updates per row.
        const t0 = performance.now();
        flash.train(1);
        base.train(2);
        const firstMs = performance.now() - t0;
        const rounds = opts.quick ? 2 : 3;
        const perRound = Math.max(1, Math.min(10, Math.round((opts.quick ? 1500 : 4000) / rounds / firstMs)));
        // One timing routine for every overhead figure (shared with `flash overheads`); warm already.
        const timing = timeInterleaved(() => base.train(1), () => flash.train(1), { rounds, calls: perRound, baseCalls: Math.max(perRound, 5), warmup: 0 });
        const row: FlashOverheadRow = {
          ...c,
          pairs: PAIRS,
          encoder_params: model.encoder.parameterCount(),
          base_update_ms: timing.without_ms,
          flash_update_ms: timing.with_ms,
          update_overhead_ratio: timing.ratio,
          updates: rounds * perRound,
        };
        rows.push(row);
        opts.log?.(
          `  ${c.encoder ?? "bigru"} hidden ${String(c.hidden).padStart(3)} layers ${c.layers} K ${c.subsample}/${c.contextSize} steps ${String(c.maxSteps).padStart(3)}${c.patch ? ` patch ${c.patch}` : ""}: ` +
            `base ${row.base_update_ms.toFixed(1)} ms, FLASH ${row.flash_update_ms.toFixed(1)} ms, ratio ${row.update_overhead_ratio.toFixed(2)}`,
        );
        base.dispose();
        flash.dispose();
      } finally {
        FlashModel.unregister(task);
        model.buffer.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ok = rows.filter((r) => r.update_overhead_ratio <= TARGET);
  const head = ok[0] ?? rows.reduce((a, b) => (b.update_overhead_ratio < a.update_overhead_ratio ? b : a));
  const paper = rows.filter((r) => (r.encoder ?? "bigru") === "bigru" && r.hidden === 256 && r.layers === 2);
  const tcn = rows.filter((r) => r.encoder === "tcn");
  return {
    update_overhead_ratio: head.update_overhead_ratio,
    update_overhead_target_met: head.update_overhead_ratio <= TARGET ? 1 : 0,
    headline_encoder: head.encoder ?? "bigru",
    headline_hidden: head.hidden,
    headline_layers: head.layers,
    headline_subsample: head.subsample,
    headline_max_steps: head.maxSteps,
    update_overhead_ratio_paper_encoder: paper.length ? Math.min(...paper.map((r) => r.update_overhead_ratio)) : NaN,
    update_overhead_ratio_tcn: tcn.length ? tcn[0].update_overhead_ratio : NaN,
    base_update_ms: quantile(rows.map((r) => r.base_update_ms), 0.5),
    rows,
  };
}
