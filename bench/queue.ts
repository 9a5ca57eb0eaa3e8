/**
 * The distributed runner against the local pool, on one machine (run from a build):
 *
 *     npm run build && node dist/bench/queue.js tiny [--units 500]   # units/s with 1, 2, 4 worker processes
 *     npm run build && node dist/bench/queue.js demo [--profile demo] # a pendulum-family run both ways
 *
 * Each starts its own redis-server (persistence off) on a free loopback port and
 * `flash worker` processes from dist/, and prints one JSON object with the machine and
 * its load average. `tiny`: many zero-second testing units (no dependencies), so the
 * figure is the queue's own cost per unit. `demo`: the same reproduction with the local
 * pool (2 threads) and through the queue (2 workers, concurrency 1): wall times, the
 * queue's overhead per unit (logged by the coordinator) and whether results.json agree
 * (times and hosts aside).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runUnits } from "../experiments/runner/pool.js";
import { runUnitsOnQueue } from "../experiments/runner/queue/coordinator.js";
import { runRl } from "../experiments/runner/run-rl.js";
import { planUnits, type Unit } from "../experiments/runner/units.js";

const cli = fileURLToPath(new URL("../experiments/cli.js", import.meta.url));
const executor = "testing@1";
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<string> {
  const port = await freePort();
  children.push(spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" }));
  await new Promise((r) => setTimeout(r, 500));
  return `redis://127.0.0.1:${port}`;
}

/** `n` worker processes on `url`; resolves when all take units. */
async function startWorkers(url: string, n: number): Promise<ChildProcess[]> {
  const ws = Array.from({ length: n }, () => spawn(process.execPath, [cli, "worker", "--queue", url], { stdio: ["ignore", "ignore", "pipe"] }));
  children.push(...ws);
  await Promise.all(ws.map((w) => new Promise<void>((resolve) => w.stderr!.on("data", (b: Buffer) => /taking units/.test(b.toString()) && resolve()))));
  return ws;
}

const stop = (ws: ChildProcess[]) => Promise.all(ws.map((w) => new Promise((r) => (w.once("exit", r), w.kill("SIGTERM")))));

function machine(): object {
  return { cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadavg: os.loadavg().map((x) => +x.toFixed(2)), node: process.version };
}

async function tiny(nUnits: number): Promise<void> {
  const url = await startRedis();
  const root = mkdtempSync(path.join(os.tmpdir(), "bench-queue-"));
  const units: Unit[] = Array.from({ length: nUnits }, (_, i) => ({ id: `u${i}`, kind: "tiny", deps: [], input: {} }));
  const rows: object[] = [];
  // Local pool: 0 = this thread (no messaging at all); 2 threads include starting them (each loads TF.js).
  for (const pool of [0, 2]) {
    const plan = planUnits(units, `local${pool}`, executor);
    const t0 = performance.now();
    await runUnits(plan, { outDir: path.join(root, `local${pool}`), executor, workers: pool, log: () => {} });
    rows.push({ runner: "local pool", workers: pool, units: nUnits, unitsPerSecond: +(nUnits / ((performance.now() - t0) / 1000)).toFixed(1) });
  }
  for (const n of [1, 2, 4]) {
    const ws = await startWorkers(url, n);
    // Warm up: each worker's thread loads TF.js on its first unit; that is start-up, not throughput.
    const warm = planUnits(units.slice(0, 10 * n), `warm${n}`, executor);
    await runUnitsOnQueue(warm, { outDir: path.join(root, `warm${n}`), executor, queue: url, log: () => {} });
    const plan = planUnits(units, `queue${n}`, executor); // another run seed: new unit keys, nothing reused
    const t0 = performance.now();
    await runUnitsOnQueue(plan, { outDir: path.join(root, `queue${n}`), executor, queue: url, log: () => {} });
    const perSecond = +(nUnits / ((performance.now() - t0) / 1000)).toFixed(1);
    rows.push({ runner: "queue", workers: n, units: nUnits, unitsPerSecond: perSecond, loadavg: os.loadavg()[0].toFixed(2) });
    await stop(ws);
  }
  rmSync(root, { recursive: true, force: true });
  console.log(JSON.stringify({ bench: "queue tiny units", machine: machine(), rows }, null, 2));
}

function comparable(file: string): string {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== "object") return v;
    const kept = Object.entries(v).filter(([k]) => !["seconds", "host", "worker", "wall", "provenance"].includes(k));
    return Object.fromEntries(kept.map(([k, x]) => [k, strip(x)]));
  };
  return JSON.stringify(strip(JSON.parse(readFileSync(file, "utf8"))));
}

async function demo(profile: string, outRoot: string): Promise<void> {
  const url = await startRedis();
  const run = { task: "pendulum-family", profile, seeds: 1, seed: 0, workers: 2 };
  const lines: string[] = [];
  const log = (l: string) => {
    lines.push(l);
    process.stderr.write(l + "\n");
  };
  const t0 = performance.now();
  const local = await runRl({ ...run, out: path.join(outRoot, `${profile}-local`), log });
  const localWall = (performance.now() - t0) / 1000;
  const ws = await startWorkers(url, 2);
  const t1 = performance.now();
  const queued = await runRl({ ...run, out: path.join(outRoot, `${profile}-queue`), log, queue: url });
  const queueWall = (performance.now() - t1) / 1000;
  await stop(ws);
  const same = comparable(path.join(outRoot, `${profile}-local`, "results.json")) === comparable(path.join(outRoot, `${profile}-queue`, "results.json"));
  const unitMean = (r: typeof local) => r.wall.unit_seconds_sum / r.units.length;
  console.log(
    JSON.stringify(
      {
        bench: `pendulum-family ${profile}: local pool (2 threads) vs queue (2 worker processes)`,
        machine: machine(),
        units: local.units.length,
        resultsEqual: same,
        local: { wallSeconds: +localWall.toFixed(1), unitSecondsMean: +unitMean(local).toFixed(2) },
        queue: {
          wallSeconds: +queueWall.toFixed(1),
          unitSecondsMean: +unitMean(queued).toFixed(2),
          overhead: lines.filter((l) => /queue overhead per unit/.test(l)).pop(),
        },
      },
      null,
      2,
    ),
  );
}

const [mode, ...rest] = process.argv.slice(2);
const opt = (name: string, dflt: string) => (rest.includes(`--${name}`) ? rest[rest.indexOf(`--${name}`) + 1] : dflt);
try {
  if (mode === "tiny") await tiny(Number(opt("units", "500")));
  else if (mode === "demo") await demo(opt("profile", "demo"), opt("out", "runs/bench-queue"));
  else console.error("usage: node dist/bench/queue.js tiny [--units N] | demo [--profile demo|quick] [--out DIR]");
} finally {
  for (const c of children) c.kill("SIGKILL");
}
