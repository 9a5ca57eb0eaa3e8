/**
 * Serving-path benchmarks of the FLASH API (issue 2):
 *   - embed_cached_ms_p50: `getEmbedding(pair)` with meta updates off and a warm cache;
 *   - serve_overhead_ratio: one forward pass of a 2x256 MLP policy conditioned on the
 *     cached embedding (including the getEmbedding call), divided by the same policy on
 *     the bare state, with the embedding folded into the first layer's bias
 *     (flash/serve-fold.ts: refolded only when the embedding or the weights change);
 *   - serve_overhead_ratio_concat: the same with the embedding appended to the state
 *     (concatenation, wider first kernel). Interleaved rounds, medians.
 */
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SqliteBuffer } from "../flash/buffer/sqlite.js";
import { RLModel } from "../flash/models.js";
import { FoldedFirstLayer } from "../flash/serve-fold.js";
import { Rng } from "../flash/rng.js";
import { quantile, timeCalls } from "../experiments/timing.js";

export interface ServeBench {
  embed_cached_ms_p50: number;
  embed_cached_ms_p99: number;
  policy_forward_ms_p50: number;
  policy_forward_flash_ms_p50: number;
  serve_overhead_ratio: number;
  policy_forward_flash_concat_ms_p50: number;
  serve_overhead_ratio_concat: number;
  hidden: number;
  other_writers_poll_ms: number;
}

function mlp(inputDim: number, hidden: number, out: number, rng: Rng): tf.Variable[] {
  const dims = [inputDim, hidden, hidden, out];
  const vars: tf.Variable[] = [];
  for (let i = 0; i < 3; i++) {
    vars.push(tf.variable(tf.randomNormal([dims[i], dims[i + 1]], 0, 1 / Math.sqrt(dims[i]), "float32", rng.tfSeed())));
    vars.push(tf.variable(tf.zeros([dims[i + 1]])));
  }
  return vars;
}

function forward(vars: tf.Tensor[], x: Float32Array): Float32Array {
  return tf.tidy(() => {
    let h: tf.Tensor = tf.tensor2d(x, [1, x.length]);
    for (let i = 0; i < 3; i++) {
      h = tf.add(tf.matMul(h, vars[2 * i]), vars[2 * i + 1]);
      if (i < 2) h = tf.relu(h);
    }
    return h.dataSync() as Float32Array;
  });
}

/** `otherWritersPollMs`: the buffer's option (flash/buffer/sqlite.ts; default 0, check on every call). */
export async function benchServe(opts: { hidden?: number; rounds?: number; calls?: number; otherWritersPollMs?: number } = {}): Promise<ServeBench> {
  const hidden = opts.hidden ?? 256;
  const rounds = opts.rounds ?? 20;
  const calls = opts.calls ?? 200;
  const dir = mkdtempSync(path.join(os.tmpdir(), "flash-serve-"));
  const task = `bench-serve-${process.pid}`;
  const rng = new Rng("bench-serve");
  try {
    const buffer = SqliteBuffer.open(path.join(dir, "buffer.sqlite"), { otherWritersPollMs: opts.otherWritersPollMs ?? 0 });
    const flash = RLModel.register({ task, stateDim: 10, actionDim: 3, buffer, encoder: { hidden: 32 } });
    for (let k = 0; k < 32; k++) {
      const T = 100;
      const s = Float32Array.from({ length: T * 10 }, () => rng.normal());
      const a = Float32Array.from({ length: T * 3 }, () => rng.normal());
      const r = Float32Array.from({ length: T }, () => rng.normal());
      await flash.insertTrajSamples("pair-0", s, a, r);
    }
    flash.toggleMetaModelUpdate(false);
    flash.getEmbedding("pair-0"); // cold: fills the cache
    const cached = await timeCalls(() => flash.getEmbedding("pair-0"), 20000, 100);

    const E = flash.embeddingDim;
    const plain = mlp(10, hidden, 3, rng);
    const withE = mlp(10 + E, hidden, 3, rng);
    const state = Float32Array.from({ length: 10 }, () => rng.normal());
    const input = new Float32Array(10 + E);
    const folding = new FoldedFirstLayer(withE[0] as tf.Tensor2D, withE[1] as tf.Tensor1D, 10);
    const folded = (): Float32Array => {
      const first = folding.fold(flash.getEmbedding("pair-0"));
      return forward([first.kernel, first.bias, ...withE.slice(2)], state);
    };
    const base: number[] = [];
    const flashT: number[] = [];
    const concatT: number[] = [];
    // Interleave so drift in machine load hits both sides alike.
    for (let r = 0; r < rounds; r++) {
      base.push(quantile(await timeCalls(() => forward(plain, state), calls, 5), 0.5));
      flashT.push(quantile(await timeCalls(folded, calls, 5), 0.5));
      concatT.push(
        quantile(
          await timeCalls(
            () => {
              input.set(state, 0);
              input.set(flash.getEmbedding("pair-0"), 10);
              return forward(withE, input);
            },
            calls,
            5,
          ),
          0.5,
        ),
      );
    }
    folding.dispose();
    [...plain, ...withE].forEach((v) => v.dispose());
    buffer.close();
    const b = quantile(base, 0.5);
    const f = quantile(flashT, 0.5);
    const c = quantile(concatT, 0.5);
    return {
      embed_cached_ms_p50: quantile(cached, 0.5),
      embed_cached_ms_p99: quantile(cached, 0.99),
      policy_forward_ms_p50: b,
      policy_forward_flash_ms_p50: f,
      serve_overhead_ratio: f / b,
      policy_forward_flash_concat_ms_p50: c,
      serve_overhead_ratio_concat: c / b,
      hidden,
      other_writers_poll_ms: opts.otherWritersPollMs ?? 0,
    };
  } finally {
    RLModel.unregister(task);
    rmSync(dir, { recursive: true, force: true });
  }
}
