/**
 * `npm run bench:peer`: our side of the PyTorch comparison (issue 12), then
 * `bench/peer/torch_bench.py` with the same shapes in the same invocation, one JSON and a
 * Markdown table of ratios (ours / PyTorch: above 1 means we are slower).
 *
 * Shapes: the paper's BiGRU encoder (2 layers x 256, both directions, input width 13,
 * FC head 64 -> 32), 32 sequences x 100 steps; forward; forward + backward + Adam at 1
 * pair (32 sequences) and 8 pairs (256); DDPG update with actor and critic 2 x 256,
 * batch 64 (observation 8, action 2); DQN (SB3 defaults: [64, 64], batch 32, 4 actions)
 * and PPO minibatch (SB3 defaults: pi/vf [64, 64], batch 64, 2-D Gaussian action)
 * updates; a 1024 x 1024 matMul.
 *
 * Times are CPU time of the process (user + system), medians, on both sides: the machine
 * is shared, and wall time under load measures the other jobs. Our CPU time includes
 * Node's helper threads (GC), which a single-threaded PyTorch run does not have much of.
 *
 * Flags: --out PREFIX (default runs/bench-peer: writes PREFIX.json and PREFIX.md),
 * --quick (fewer repeats), --reference (also time the taped encoder, `encodeReference`),
 * --overhead (also the paper encoder's update_overhead_ratio rows of `flash bench`, and its
 * serve_overhead_ratio rows).
 * PyTorch: $PEER_PYTHON (when set, only it), else python3 or /usr/bin/python3 whichever imports torch.
 * The same run: `flash bench --peer torch [--out PREFIX] [--quick] [--reference] [--overhead]`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { box, discrete } from "../envs/env.js";
import { DDPG } from "../agents/ddpg.js";
import { DQN } from "../agents/dqn.js";
import { PPO } from "../agents/ppo.js";
import { backendInfo, selectBackend } from "../flash/backend.js";
import { buildContextBatch } from "../flash/context.js";
import { BiGruEncoder } from "../flash/gru.js";
import { Rng } from "../flash/rng.js";
import { benchFlashOverhead, flashOverheadConfigs } from "./flash-overhead.js";
import { benchServe } from "./serve.js";
import { quantile } from "../experiments/timing.js";

/** Figures both sides report, milliseconds per call unless named otherwise. */
export const PEER_ROWS: { key: string; work: string; higherIsBetter?: boolean }[] = [
  { key: "matmul_1024_gflops", work: "matmul 1024 x 1024 (GFLOP/s)", higherIsBetter: true },
  { key: "bigru_forward_1pair_ms", work: "paper BiGRU, 32 seqs x 100 steps, forward" },
  { key: "bigru_train_1pair_ms", work: "same, forward + backward + Adam (1 pair, 32 seqs)" },
  { key: "bigru_train_8pair_ms", work: "same, forward + backward + Adam (8 pairs, 256 seqs)" },
  { key: "ddpg_update_ms", work: "DDPG update, actor & critic 2 x 256, batch 64" },
  { key: "dqn_update_ms", work: "DQN update, [64, 64], batch 32" },
  { key: "ppo_minibatch_update_ms", work: "PPO minibatch update, [64, 64], batch 64" },
];

/** CPU milliseconds this process has used (user + system): robust to other jobs on a shared machine, unlike wall time. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Median CPU time of `f` in ms (both sides use CPU time: the PyTorch script uses time.process_time). */
async function median(f: () => void | Promise<void>, repeats: number, warm = 1): Promise<number> {
  for (let i = 0; i < warm; i++) await f();
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = cpuMs();
    await f();
    ms.push(cpuMs() - t0);
  }
  return quantile(ms, 0.5);
}

async function benchGru(out: Record<string, number>, quick: boolean, reference: boolean): Promise<void> {
  const W = 13;
  const rng = new Rng("bench-peer");
  const pair = () => Array.from({ length: 32 }, () => ({ steps: 100, width: W, data: Float32Array.from({ length: 100 * W }, () => rng.normal()) }));
  const enc = new BiGruEncoder({ inputWidth: W });
  const opt = tf.train.adam(1e-3);
  const path = reference ? "encodeReference" : "encode";
  for (const P of [1, 8]) {
    const batch = buildContextBatch(Array.from({ length: P }, pair), W);
    if (P === 1) {
      out.bigru_forward_1pair_ms = await median(() => tf.tidy(() => enc[path](batch)).dispose(), quick ? 3 : 5);
    }
    const step = () => {
      const loss = opt.minimize(() => tf.mean(tf.square(enc[path](batch))) as tf.Scalar, true, enc.variables());
      loss?.dataSync();
      loss?.dispose();
    };
    if (!(reference && P === 8)) out[`bigru_train_${P}pair_ms`] = await median(step, quick || P === 8 ? 2 : 3);
    out[`bigru_rss_mb_after_${P}pair`] = process.memoryUsage().rss / 2 ** 20;
    tf.dispose([batch.data, batch.stepMask, batch.seqMask]);
  }
  opt.dispose();
  enc.dispose();
}

async function benchAgentUpdates(out: Record<string, number>, quick: boolean): Promise<void> {
  const r = new Rng("bench-peer-agents");
  const obsDim = 8;
  const obsSpace = box(new Array(obsDim).fill(-1), new Array(obsDim).fill(1));
  const rand = (n: number) => Float32Array.from({ length: n }, () => r.uniform(-1, 1));
  const perUpdate = async (train: (n: number) => void, n: number) => (await median(() => train(n), quick ? 3 : 7, 1)) / n;

  const ddpg = new DDPG({ observationSpace: obsSpace, actionSpace: box([-1, -1], [1, 1]) }, { netArch: [256, 256], batchSize: 64 }, { seed: 1 });
  for (let i = 0; i < 1000; i++) ddpg.store(rand(obsDim), rand(obsDim), rand(2), r.normal(), false);
  out.ddpg_update_ms = await perUpdate((n) => ddpg.train(n), 20);
  ddpg.dispose();

  const dqn = new DQN({ observationSpace: obsSpace, actionSpace: discrete(4) }, {}, { seed: 1 });
  for (let i = 0; i < 1000; i++) dqn.store(rand(obsDim), rand(obsDim), Float32Array.of(r.int(0, 4)), r.normal(), false);
  out.dqn_update_ms = await perUpdate((n) => dqn.train(n), 50);
  dqn.dispose();

  const ppo = new PPO({ observationSpace: obsSpace, actionSpace: box([-1, -1], [1, 1]) }, { nEpochs: 1 }, { seed: 1 });
  ppo.startRollouts(1);
  for (let s = 0; s < ppo.nSteps; s++) {
    ppo.act(rand(obsDim), Int32Array.of(0));
    ppo.record(Float32Array.of(r.normal()), Uint8Array.of(s % 200 === 0 ? 1 : 0));
  }
  ppo.finishRollout(Float32Array.of(0), Uint8Array.of(0));
  const t0 = cpuMs();
  const { updates } = ppo.train(1);
  out.ppo_minibatch_update_ms = (cpuMs() - t0) / updates;
  ppo.dispose();
}

function benchMatMul(out: Record<string, number>): Promise<void> {
  const a = tf.randomNormal([1024, 1024], 0, 1, "float32", 1);
  return median(() => tf.matMul(a, a).dispose(), 7, 2).then((ms) => {
    out.matmul_1024_gflops = (2 * 1024 ** 3) / (ms / 1000) / 1e9;
    a.dispose();
  });
}

/** Our figures, same keys as the PyTorch script. `reference` times the taped encoder too. */
export async function benchPeerOurs(opts: { quick?: boolean; reference?: boolean } = {}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await benchMatMul(out);
  await benchAgentUpdates(out, opts.quick ?? false);
  await benchGru(out, opts.quick ?? false, false);
  if (opts.reference) {
    const ref: Record<string, number> = {};
    await benchGru(ref, true, true);
    for (const [k, v] of Object.entries(ref)) if (!k.includes("rss")) out[`reference_${k}`] = v;
  }
  return out;
}

/**
 * Beside the peer rows: the CPU time of `flash bench`'s embed measurement (and, with
 * `reference`, of the taped encoder on the same batch), and with `overhead` the paper
 * encoder's `update_overhead_ratio` rows of `flash bench` (hidden 256, 2 layers).
 */
export async function benchPeerExtras(opts: { reference?: boolean; overhead?: boolean; log?: (s: string) => void }): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  // `flash bench`'s embed shape (M = 32 trajectories x 100 steps, rows of 14), CPU time, both formulations.
  const width = 14;
  const rng = new Rng("bench-embed");
  const seqs = Array.from({ length: 32 }, () => ({ steps: 100, width, data: Float32Array.from({ length: 100 * width }, () => rng.normal()) }));
  const enc = new BiGruEncoder({ inputWidth: width });
  out.embed_cpu_ms_p50 = await median(() => tf.tidy(() => enc.encode(buildContextBatch([seqs], width))).dispose(), 5);
  if (opts.reference) out.reference_embed_cpu_ms_p50 = await median(() => tf.tidy(() => enc.encodeReference(buildContextBatch([seqs], width))).dispose(), 3);
  enc.dispose();
  if (opts.overhead) {
    const configs = flashOverheadConfigs(false).filter((c) => (c.encoder ?? "bigru") === "bigru" && c.hidden === 256);
    const r = await benchFlashOverhead({ quick: true, configs, log: opts.log });
    out.update_overhead_ratio_paper_encoder = r.update_overhead_ratio_paper_encoder;
    out.update_overhead_paper_rows = r.rows;
    // `flash bench`'s serving rows: the buffer's default (check for other writers on every call), then polling every 1 ms.
    const serve = await benchServe();
    const polled = await benchServe({ otherWritersPollMs: 1 });
    out.serve_overhead_ratio = serve.serve_overhead_ratio;
    out.serve_overhead_ratio_concat = serve.serve_overhead_ratio_concat;
    out.serve_overhead_ratio_poll_1ms = polled.serve_overhead_ratio;
    out.serve_rows = [serve, polled];
  }
  return out;
}

/** A python with torch: $PEER_PYTHON when set (and only it), else the first of python3 and /usr/bin/python3 (Debian's torch) that imports it. */
export function findTorchPython(): string | undefined {
  const candidates = process.env.PEER_PYTHON ? [process.env.PEER_PYTHON] : ["python3", "/usr/bin/python3"];
  return candidates.find((py) => spawnSync(py, ["-c", "import torch"], { stdio: "ignore" }).status === 0);
}

export const TORCH_INSTALL_HINT =
  "PyTorch is missing: install it with `apt-get install python3-torch libopenblas0-pthread` (Debian; then /usr/bin/python3 has it) " +
  "or `pip install torch`, or point PEER_PYTHON at a python that has it.";

/** Run the PyTorch script on one thread; its figures. */
export function benchPeerTorch(python: string, quick: boolean): Record<string, number | string> {
  const script = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "peer", "torch_bench.py");
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" };
  // Settings tuned for another BLAS build make Debian's OpenBLAS pick a slow kernel.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const stdout = execFileSync(python, [script, ...(quick ? ["--quick"] : [])], { env, encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
}

function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return "-";
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** Ours / theirs per row (time ratio; for GFLOP/s theirs / ours), as Markdown. */
export function peerTable(ours: Record<string, number>, torch: Record<string, number | string>): { markdown: string; ratios: Record<string, number> } {
  const ratios: Record<string, number> = {};
  const lines = ["| work | PyTorch CPU | flash-adapt (wasm) | ratio |", "|---|---:|---:|---:|"];
  for (const row of PEER_ROWS) {
    const a = ours[row.key];
    const b = torch[row.key];
    const ratio = typeof b === "number" && a !== undefined ? (row.higherIsBetter ? b / a : a / b) : NaN;
    if (Number.isFinite(ratio)) ratios[row.key] = ratio;
    lines.push(`| ${row.work} | ${fmt(typeof b === "number" ? b : undefined)} | ${fmt(a)} | ${Number.isFinite(ratio) ? ratio.toFixed(1) + "x" : "-"} |`);
  }
  return { markdown: lines.join("\n") + "\n", ratios };
}

/** The whole peer run: ours, then PyTorch, then `<out>.json` and `<out>.md`. Returns the exit code. */
export async function runPeerBench(opts: {
  out: string;
  quick?: boolean;
  reference?: boolean;
  overhead?: boolean;
  log?: (s: string) => void;
}): Promise<number> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + "\n"));
  const python = findTorchPython();
  if (!python) {
    log(TORCH_INSTALL_HINT);
    return 2;
  }
  await selectBackend();
  const load = () =>
    os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(" ");
  const started = new Date().toISOString();
  const loadBefore = load();
  log("bench:peer: ours...");
  const ours = await benchPeerOurs({ quick: opts.quick, reference: opts.reference });
  const extras = await benchPeerExtras({ reference: opts.reference, overhead: opts.overhead, log });
  log(`bench:peer: PyTorch (${python}, one thread)...`);
  const torch = benchPeerTorch(python, opts.quick ?? false);
  const { markdown, ratios } = peerTable(ours, torch);
  const cpu = os.cpus()[0]?.model ?? "unknown";
  const header =
    `Measured ${started.slice(0, 10)} on ${cpu}, ${os.cpus().length} CPUs, load average ${loadBefore} (before) / ${load()} (after); ` +
    `ours: ${backendInfo().name} backend, Node ${process.version}; PyTorch ${String(torch.torch_version)}, ${String(torch.threads)} thread.\n\n`;
  if (!existsSync(dirname(opts.out)) && dirname(opts.out) !== ".") mkdirSync(dirname(opts.out), { recursive: true });
  const report = { started, machine: { cpu, cpus: os.cpus().length, loadBefore, loadAfter: load() }, backend: backendInfo(), ours, extras, torch, ratios };
  writeFileSync(`${opts.out}.json`, JSON.stringify(report, null, 2) + "\n");
  const extra = Object.entries(extras)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => `${k} ${fmt(v as number)}`)
    .join(", ");
  writeFileSync(`${opts.out}.md`, header + markdown + (extra ? `\nAlso: ${extra}.\n` : ""));
  log(header + markdown + (extra ? `\nAlso: ${extra}.` : ""));
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf("--out");
  const out = outIdx >= 0 ? args[outIdx + 1] : "runs/bench-peer";
  process.exitCode = await runPeerBench({
    out,
    quick: args.includes("--quick"),
    reference: args.includes("--reference"),
    overhead: args.includes("--overhead"),
  });
}
