/**
 * Encoder quality (a measurement, not a test): how well does each encoder's embedding
 * fingerprint a pair? Supervised probe on the classic-control pendulum family
 * (`envs/classic/family.ts`): collect random-policy trajectories per pair, train encoder
 * + a linear head to regress the pair's physics from a context of M trajectories, report
 * held-out-pair R^2, MSE and wall time, for the same step budget per encoder.
 *
 * Targets: the pendulum's dynamics are theta_dot' = theta_dot + (a sin theta + b u) dt
 * with a = 3g/(2l) and b = 3/(m l^2); m, l and g separately are not identifiable from
 * trajectories (only a and b are), so the probe regresses log a and log b, standardised
 * with the training pairs' mean and standard deviation.
 *
 * Protocol: `pairs` pairs drawn with `generatePairs("pendulum", ..., new Rng(pairSeed))`,
 * the first `pairs - testPairs` for training, the rest held out. Each pair gets
 * `trajectories` episodes of `T` steps from uniform random torques in [-2, 2] (episode i
 * of pair p reset with seed 1000 p + i; the policy's randomness from Rng(dataSeed)).
 * Rows are [cos, sin, theta_dot, torque, reward] (RLModel's layout), standardised per
 * column with the training data's statistics when `normalize` (the same for every
 * encoder). Each of `steps` Adam steps (lr `lr`) takes `batchPairs` training pairs and, for
 * each, a random M of its trajectories (Rng(seed)); evaluation embeds each pair from its
 * first M trajectories. R^2 = 1 - SSE/SST per target over the held-out pairs.
 *
 * Measured results (held-out R^2 and training time per encoder) are in
 * docs/results/2026-11-23.md ("FLASH core").
 *
 * Run: compile (npx tsc -p tsconfig.json --outDir scratch/x) and
 * `node scratch/x/bench/encoder-quality.js [--steps N] [--seeds 1,2] [--backend wasm]`.
 */
import * as tf from "@tensorflow/tfjs";
import { pathToFileURL } from "node:url";
import { generatePairs, makeFamilyEnv } from "../envs/classic/family.js";
import { selectBackend } from "../flash/backend.js";
import { buildContextBatch } from "../flash/context.js";
import type { SequenceEncoder } from "../flash/encoder.js";
import { BiGruEncoder, type BiGruConfig } from "../flash/gru.js";
import { Rng } from "../flash/rng.js";
import { TcnEncoder, type TcnConfig } from "../flash/tcn.js";

export type ProbeEncoder =
  | ({ type: "bigru" } & Partial<Omit<BiGruConfig, "type" | "inputWidth" | "seed">>)
  | ({ type: "tcn" } & Partial<Omit<TcnConfig, "type" | "inputWidth" | "seed">>);

export interface EncoderQualityOptions {
  pairs?: number;
  testPairs?: number;
  trajectories?: number;
  /** Trajectories per context. */
  M?: number;
  /** Steps per trajectory. */
  T?: number;
  steps?: number;
  batchPairs?: number;
  lr?: number;
  normalize?: boolean;
  pairSeed?: number;
  dataSeed?: number;
  /** Seeds of the encoder weights and the batch sampling; one row per encoder and seed. */
  seeds?: number[];
  encoders?: ProbeEncoder[];
  log?: (s: string) => void;
}

export interface EncoderQualityRow {
  encoder: string;
  seed: number;
  params: number;
  /** Held-out R^2 of log a (= log 3g/2l) and log b (= log 3/ml^2). */
  test_r2_a: number;
  test_r2_b: number;
  test_r2_mean: number;
  /** Mean squared error over both standardised targets, held-out pairs. */
  test_mse: number;
  train_r2_mean: number;
  wall_s: number;
  ms_per_step: number;
}

export const QUALITY_ENCODERS: ProbeEncoder[] = [
  { type: "bigru", hidden: 32, layers: 2 },
  { type: "bigru", hidden: 64, layers: 2 },
  { type: "tcn", channels: 64, layers: 3 },
  { type: "tcn", channels: 32, layers: 3, patch: 4 },
  { type: "tcn", channels: 64, layers: 3, patch: 4 },
];

const WIDTH = 5;

function describe(e: ProbeEncoder): string {
  return Object.entries(e)
    .map(([k, v]) => (k === "type" ? String(v) : `${k} ${v}`))
    .join(" ");
}

function r2(pred: number[], truth: number[]): number {
  const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
  const sst = truth.reduce((a, y) => a + (y - mean) ** 2, 0);
  const sse = truth.reduce((a, y, i) => a + (y - pred[i]) ** 2, 0);
  return 1 - sse / sst;
}

type ProbeSettings = Required<Omit<EncoderQualityOptions, "log" | "encoders" | "seeds">>;

/** Random-policy pendulum trajectories per pair (rows [cos, sin, theta_dot, u, r], standardised on the training pairs) and the probe targets. */
function probeData(o: ProbeSettings) {
  const pairs = generatePairs("pendulum", o.pairs, new Rng(o.pairSeed));
  const policy = new Rng(o.dataSeed);
  const data = pairs.map((pair, p) =>
    Array.from({ length: o.trajectories }, (_, i) => {
      const env = makeFamilyEnv("pendulum", pair);
      let obs = env.reset(1000 * p + i);
      const rows = new Float32Array(o.T * WIDTH);
      for (let t = 0; t < o.T; t++) {
        const u = policy.uniform(-2, 2);
        const s = env.step([u]);
        rows.set([obs[0], obs[1], obs[2], u, s.reward], t * WIDTH);
        obs = s.observation;
      }
      return rows;
    }),
  );
  const nTrain = o.pairs - o.testPairs;
  if (o.normalize) standardise(data, nTrain, o.T);
  // The identifiable physics: a = 3g / 2l and b = 3 / ml^2 (their logs), standardised on the training pairs.
  const rawTargets = pairs.map(({ params: { m, l, g } }) => [Math.log((3 * g) / (2 * l)), Math.log(3 / (m * l * l))]);
  const tMean = [0, 1].map((j) => rawTargets.slice(0, nTrain).reduce((a, y) => a + y[j], 0) / nTrain);
  const tSd = [0, 1].map((j) => Math.sqrt(rawTargets.slice(0, nTrain).reduce((a, y) => a + (y[j] - tMean[j]) ** 2, 0) / nTrain));
  const targets = rawTargets.map((y) => y.map((v, j) => (v - tMean[j]) / tSd[j]));
  return { data, targets, nTrain };
}

/** Standardise every column in place with the first `nTrain` pairs' mean and standard deviation. */
function standardise(data: Float32Array[][], nTrain: number, T: number): void {
  const mean = new Array(WIDTH).fill(0);
  const sq = new Array(WIDTH).fill(0);
  let n = 0;
  for (const trajs of data.slice(0, nTrain))
    for (const rows of trajs)
      for (let t = 0; t < T; t++, n++)
        for (let j = 0; j < WIDTH; j++) {
          mean[j] += rows[t * WIDTH + j];
          sq[j] += rows[t * WIDTH + j] ** 2;
        }
  const mu = mean.map((s) => s / n);
  const sd = sq.map((s, j) => Math.sqrt(Math.max(s / n - mu[j] ** 2, 1e-12)));
  for (const trajs of data) for (const rows of trajs) for (let i = 0; i < rows.length; i++) rows[i] = (rows[i] - mu[i % WIDTH]) / sd[i % WIDTH];
}

/** Train one encoder and a linear head to regress the targets from M trajectories, then score held-out and training pairs. */
async function probeEncoder(
  spec: ProbeEncoder,
  seed: number,
  d: ReturnType<typeof probeData>,
  o: ProbeSettings,
  log: (line: string) => void,
): Promise<EncoderQualityRow> {
  const { data, targets, nTrain } = d;
  const seq = (rows: Float32Array) => ({ steps: o.T, width: WIDTH, data: rows });
  const { type, ...sizes } = spec;
  const enc: SequenceEncoder = type === "tcn" ? new TcnEncoder({ ...sizes, inputWidth: WIDTH, seed }) : new BiGruEncoder({ ...sizes, inputWidth: WIDTH, seed });
  const D = enc.config.embeddingDim;
  const hr = new Rng(seed).fork("probe");
  const limit = Math.sqrt(6 / (D + 2));
  const headW = tf.variable(tf.randomUniform([D, 2], -limit, limit, "float32", hr.tfSeed()));
  const headB = tf.variable(tf.zeros([2]));
  const opt = tf.train.adam(o.lr);
  const vars = [...enc.variables(), headW, headB];
  const predict = (perPair: ReturnType<typeof seq>[][]) => tf.add(tf.matMul(enc.encode(buildContextBatch(perPair, WIDTH)), headW), headB);
  const t0 = performance.now();
  for (let step = 0; step < o.steps; step++) {
    const chosen = hr.shuffle([...Array(nTrain).keys()]).slice(0, o.batchPairs);
    const ctx = chosen.map((p) =>
      hr
        .shuffle([...data[p]])
        .slice(0, o.M)
        .map(seq),
    );
    const y = tf.tensor2d(chosen.map((p) => targets[p]));
    const loss = opt.minimize(() => tf.mean(tf.square(tf.sub(predict(ctx), y))) as tf.Scalar, true, vars);
    if (step % 50 === 0 || step === o.steps - 1) log(`    ${describe(spec)} seed ${seed} step ${step} loss ${loss?.dataSync()[0].toFixed(4)}`);
    tf.dispose([y, loss as tf.Scalar]);
  }
  const wall = (performance.now() - t0) / 1000;
  const evaluate = (idx: number[]) => {
    const pred = tf.tidy(() => predict(idx.map((p) => data[p].slice(0, o.M).map(seq))).arraySync() as number[][]);
    const truth = idx.map((p) => targets[p]);
    const r2s = [0, 1].map((j) =>
      r2(
        pred.map((r) => r[j]),
        truth.map((r) => r[j]),
      ),
    );
    const mse = pred.reduce((a, r, i) => a + (r[0] - truth[i][0]) ** 2 + (r[1] - truth[i][1]) ** 2, 0) / (2 * idx.length);
    return { r2s, mse };
  };
  const test = evaluate([...Array(o.testPairs).keys()].map((i) => nTrain + i));
  const train = evaluate([...Array(nTrain).keys()]);
  const row: EncoderQualityRow = {
    encoder: describe(spec),
    seed,
    params: enc.parameterCount(),
    test_r2_a: test.r2s[0],
    test_r2_b: test.r2s[1],
    test_r2_mean: (test.r2s[0] + test.r2s[1]) / 2,
    test_mse: test.mse,
    train_r2_mean: (train.r2s[0] + train.r2s[1]) / 2,
    wall_s: wall,
    ms_per_step: (wall * 1000) / o.steps,
  };
  log(
    `  ${row.encoder.padEnd(30)} seed ${seed}: held-out R2 a ${row.test_r2_a.toFixed(3)} b ${row.test_r2_b.toFixed(3)} (MSE ${row.test_mse.toFixed(3)}), ` +
      `train R2 ${row.train_r2_mean.toFixed(3)}, ${row.params} params, ${row.wall_s.toFixed(1)} s (${row.ms_per_step.toFixed(0)} ms/step)`,
  );
  opt.dispose();
  tf.dispose([headW, headB]);
  enc.dispose();
  return row;
}

export async function benchEncoderQuality(opts: EncoderQualityOptions = {}): Promise<{ setup: Record<string, unknown>; rows: EncoderQualityRow[] }> {
  const o = {
    pairs: 48,
    testPairs: 16,
    trajectories: 16,
    M: 8,
    T: 50,
    steps: 150,
    batchPairs: 8,
    lr: 3e-3,
    normalize: true,
    pairSeed: 0,
    dataSeed: 0,
    seeds: [1],
    encoders: QUALITY_ENCODERS,
    log: undefined as EncoderQualityOptions["log"],
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  };
  const log = o.log ?? (() => {});
  const d = probeData(o);
  const rows: EncoderQualityRow[] = [];
  for (const spec of o.encoders) for (const seed of o.seeds) rows.push(await probeEncoder(spec, seed, d, o, log));
  const { encoders: _e, log: _l, ...setup } = o;
  return { setup, rows };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const info = await selectBackend(arg("backend"));
  const only = arg("encoders");
  const res = await benchEncoderQuality({
    steps: arg("steps") ? Number(arg("steps")) : undefined,
    seeds: arg("seeds")?.split(",").map(Number),
    normalize: arg("normalize") !== "false",
    encoders: only ? QUALITY_ENCODERS.filter((_, i) => only.split(",").map(Number).includes(i)) : undefined,
    log: (s) => process.stderr.write(s + "\n"),
  });
  process.stdout.write(JSON.stringify({ backend: info.name, ...res }, null, 2) + "\n");
}
