/**
 * Cold-cache embedding cost: one pair with M=32 trajectories of 100 steps, state 10,
 * action 3 (rows of 14), inference only, for several encoder sizes, with the batched
 * formulation (`encode`) and the step-by-step reference (`encodeNaive`), and for the
 * temporal-convolution encoder (`tcn.ts`; rows with `encoder: "tcn"`, `hidden` = its
 * channels, formulation "batched": it has one formulation).
 */
import * as tf from "@tensorflow/tfjs";
import { buildContextBatch } from "../flash/context.js";
import { BiGruEncoder } from "../flash/gru.js";
import { Rng } from "../flash/rng.js";
import { TcnEncoder, type TcnConfig } from "../flash/tcn.js";
import { quantile, timeCalls } from "../experiments/timing.js";

export interface EmbedBench {
  /** Encoder family (absent in older reports: bigru). */
  encoder: "bigru" | "tcn";
  /** GRU units per direction, or the TCN's channels. */
  hidden: number;
  /** TCN only: steps per patch. */
  patch?: number;
  layers: number;
  formulation: "batched" | "naive";
  embed_ms_p50: number;
  embed_ms_p99: number;
  params: number;
  repeats: number;
}

/** TCN sizes measured by default (kernel 3, dilations 1, 2, 4, mean+max pooling). */
export const EMBED_TCN_CONFIGS: Partial<Omit<TcnConfig, "type" | "inputWidth">>[] = [
  { channels: 64, layers: 3 },
  { channels: 64, layers: 3, patch: 4 },
  { channels: 32, layers: 3 },
  { channels: 32, layers: 3, patch: 4 },
];

export async function benchEmbed(
  opts: { repeats?: number; hiddens?: number[]; naive?: boolean; M?: number; T?: number; tcn?: Partial<Omit<TcnConfig, "type" | "inputWidth">>[] } = {},
): Promise<EmbedBench[]> {
  const M = opts.M ?? 32;
  const T = opts.T ?? 100;
  const width = 10 + 3 + 1;
  const rng = new Rng("bench-embed");
  const seqs = Array.from({ length: M }, () => ({ steps: T, width, data: Float32Array.from({ length: T * width }, () => rng.normal()) }));
  const rows: EmbedBench[] = [];
  for (const hidden of opts.hiddens ?? [256, 128, 64, 32]) {
    const enc = new BiGruEncoder({ inputWidth: width, hidden });
    const run = (naive: boolean) => async () => {
      const out = tf.tidy(() => {
        const batch = buildContextBatch([seqs], width);
        return naive ? enc.encodeNaive(batch) : enc.encode(batch);
      });
      await out.data();
      out.dispose();
    };
    const repeats = opts.repeats ?? 20;
    const fast = await timeCalls(run(false), repeats, 2);
    rows.push({
      encoder: "bigru",
      hidden,
      layers: 2,
      formulation: "batched",
      embed_ms_p50: quantile(fast, 0.5),
      embed_ms_p99: quantile(fast, 0.99),
      params: enc.parameterCount(),
      repeats,
    });
    if (opts.naive !== false) {
      // The naive path issues ~40 ops per sequence step: a few repeats tell the story.
      const naiveRepeats = Math.max(1, Math.min(3, repeats));
      const slow = await timeCalls(run(true), naiveRepeats, 1);
      rows.push({
        encoder: "bigru",
        hidden,
        layers: 2,
        formulation: "naive",
        embed_ms_p50: quantile(slow, 0.5),
        embed_ms_p99: quantile(slow, 0.99),
        params: enc.parameterCount(),
        repeats: naiveRepeats,
      });
    }
    enc.dispose();
  }
  for (const sizes of opts.tcn ?? EMBED_TCN_CONFIGS) {
    const enc = new TcnEncoder({ ...sizes, inputWidth: width });
    const repeats = opts.repeats ?? 20;
    const ms = await timeCalls(
      async () => {
        const out = tf.tidy(() => enc.encode(buildContextBatch([seqs], width)));
        await out.data();
        out.dispose();
      },
      repeats,
      2,
    );
    rows.push({
      encoder: "tcn",
      hidden: enc.config.channels,
      layers: enc.config.layers,
      patch: enc.config.patch,
      formulation: "batched",
      embed_ms_p50: quantile(ms, 0.5),
      embed_ms_p99: quantile(ms, 0.99),
      params: enc.parameterCount(),
      repeats,
    });
    enc.dispose();
  }
  return rows;
}
