/**
 * Data-buffer write throughput: trajectories of 100 steps (state 10, action 3) into a
 * fresh SQLite buffer file, one insert call (one transaction) per trajectory, and in
 * batches of several trajectories per call.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SqliteBuffer } from "../flash/buffer/sqlite.js";
import { Rng } from "../flash/rng.js";

export interface InsertBench {
  insert_transitions_per_s: number;
  insert_transitions_per_s_batched: number;
  trajectories: number;
  steps: number;
  batch: number;
}

export async function benchInsert(
  opts: { trajectories?: number; steps?: number; stateDim?: number; actionDim?: number; batch?: number } = {},
): Promise<InsertBench> {
  const n = opts.trajectories ?? 2000;
  const steps = opts.steps ?? 100;
  const stateDim = opts.stateDim ?? 10;
  const actionDim = opts.actionDim ?? 3;
  const batch = opts.batch ?? 16;
  const width = stateDim + actionDim + 1;
  const rng = new Rng("bench-insert");
  // A handful of distinct payloads: generating random data is not what we measure.
  const payloads = Array.from({ length: 8 }, () => Float32Array.from({ length: steps * width }, () => rng.normal()));
  const dir = mkdtempSync(path.join(os.tmpdir(), "flash-insert-"));
  try {
    const buf = SqliteBuffer.open(path.join(dir, "buffer.sqlite"));
    buf.registerTask({ task: "bench", kind: "rl", dims: [stateDim, actionDim] });
    let t0 = performance.now();
    for (let i = 0; i < n; i++) buf.insert("bench", `pair-${i % 10}`, [{ steps, width, data: payloads[i % 8], reward: i }]);
    const single = (n * steps) / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let i = 0; i < n; i += batch) {
      const seqs = Array.from({ length: Math.min(batch, n - i) }, (_, k) => ({ steps, width, data: payloads[(i + k) % 8], reward: i + k }));
      buf.insert("bench", `pair-${(i / batch) % 10}`, seqs);
    }
    const batched = (n * steps) / ((performance.now() - t0) / 1000);
    buf.close();
    return { insert_transitions_per_s: single, insert_transitions_per_s_batched: batched, trajectories: n, steps, batch };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
