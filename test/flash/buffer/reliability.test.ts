/**
 * Reliability of the SQLite buffer under process kills and concurrent writers.
 * Children run test/helpers/buffer-writer.ts with the same loader flags as this test.
 */
import t from "tap";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SqliteBuffer } from "../../../flash/buffer/sqlite.js";

const writer = fileURLToPath(new URL("../../helpers/buffer-writer.ts", import.meta.url));
const root = mkdtempSync(path.join(os.tmpdir(), "flash-rel-"));
const STEPS = 20;
const WIDTH = 5;

function payloadOk(data: Float32Array, w: number, i: number): boolean {
  if (data.length !== STEPS * WIDTH) return false;
  for (let k = 0; k < data.length; k++) if (data[k] !== Math.fround(w * 1e6 + i + k / 1000)) return false;
  return true;
}

/** Run a writer; resolve with the (id, index) lines it printed. Kill it after `killAfterMs` if given. */
function runWriter(
  db: string,
  worker: number,
  count: number,
  start: number,
  killAfterMs?: number,
): Promise<{ acked: [number, number][]; signal: string | null; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, writer, db, String(worker), String(count), String(start)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on("data", (c) => {
      out += c;
      // Start the kill clock once the writer is really inserting.
      if (killAfterMs !== undefined && !timer) timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    });
    child.stderr.on("data", (c) => (err += c));
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const acked = out
        .split("\n")
        .filter((l) => /^\d+ \d+$/.test(l))
        .map((l) => l.split(" ").map(Number) as [number, number]);
      resolve({ acked, signal, code, stderr: err });
    });
  });
}

t.test("SIGKILL in the middle of a stream of inserts loses nothing that was acknowledged", async (t) => {
  const db = path.join(root, "kill.sqlite");
  const acked: [number, number][] = [];
  let start = 0;
  const kills = 20;
  for (let k = 0; k < kills; k++) {
    const r = await runWriter(db, 0, 0, start, 5 + ((k * 37) % 60));
    t.equal(r.signal, "SIGKILL", `kill ${k + 1}: writer was killed (stderr: ${r.stderr.slice(0, 200)})`);
    acked.push(...r.acked);
    start += 1_000_000; // indices of later runs never collide with earlier ones
    const buf = SqliteBuffer.open(db);
    t.equal(buf.integrityCheck(), "ok", `kill ${k + 1}: integrity_check`);
    buf.close();
  }
  t.ok(acked.length > kills, `writers acknowledged ${acked.length} inserts before their kills`);
  const buf = SqliteBuffer.open(db);
  const stored = new Map(buf.all("rel", "w0").map((r) => [r.id, r]));
  const missing = acked.filter(([id]) => !stored.has(id));
  t.same(missing, [], "every acknowledged insert is there");
  const corrupt = acked.filter(([id, i]) => stored.has(id) && !payloadOk(stored.get(id)!.data, 0, i));
  t.same(corrupt, [], "with the bytes that were written");
  buf.close();
});

t.test("4 processes inserting 500 trajectories each: all 2,000 there, none duplicated", async (t) => {
  const db = path.join(root, "concurrent.sqlite");
  const results = await Promise.all([0, 1, 2, 3].map((w) => runWriter(db, w, 500, 0)));
  results.forEach((r, w) => t.equal(r.code, 0, `writer ${w} exited cleanly ${r.stderr.slice(0, 300)}`));
  const buf = SqliteBuffer.open(db);
  t.equal(buf.integrityCheck(), "ok");
  for (let w = 0; w < 4; w++) {
    const rows = buf.all("rel", `w${w}`);
    t.equal(rows.length, 500, `worker ${w}: 500 trajectories`);
    const indices = rows.map((r) => r.reward as number);
    t.equal(new Set(indices).size, 500, `worker ${w}: no duplicates`);
    t.ok(
      rows.every((r) => payloadOk(r.data, w, r.reward as number)),
      `worker ${w}: payloads intact`,
    );
  }
  const ids = results.flatMap((r) => r.acked.map(([id]) => id));
  t.equal(new Set(ids).size, 2000, "2,000 distinct ids acknowledged");
  buf.close();
});
