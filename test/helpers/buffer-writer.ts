/**
 * Child process for the buffer reliability tests: opens a SqliteBuffer and inserts
 * trajectories whose payload encodes (worker, index), printing each returned id after
 * the insert returned. Usage: buffer-writer.ts <db> <worker> <count> [startIndex]
 * (count 0 = until killed).
 */
import { SqliteBuffer } from "../../flash/buffer/sqlite.js";

const [db, workerArg, countArg, startArg] = process.argv.slice(2);
const worker = Number(workerArg);
const count = Number(countArg);
const start = Number(startArg ?? 0);
const STEPS = 20;
const WIDTH = 5;

/** The payload of trajectory (worker, i): checkable after the fact. */
export function payload(w: number, i: number): Float32Array {
  const d = new Float32Array(STEPS * WIDTH);
  for (let k = 0; k < d.length; k++) d[k] = w * 1e6 + i + k / 1000;
  return d;
}

if (db) {
  const buf = SqliteBuffer.open(db, { busyTimeoutMs: 20000 });
  buf.registerTask({ task: "rel", kind: "rl", dims: [3, 1] });
  for (let i = start; count === 0 || i < start + count; i++) {
    const [id] = buf.insert("rel", `w${worker}`, [{ steps: STEPS, width: WIDTH, data: payload(worker, i), reward: i }]);
    process.stdout.write(`${id} ${i}\n`);
  }
  buf.close();
}
