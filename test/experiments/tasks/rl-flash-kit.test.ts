// The RL-FLASH kit with each agent kind: DQN (off-policy, discrete) and PPO (on-policy)
// run every protocol step (reference, pretrain, adapt, serve, pool embeddings) on a toy
// pair family, and the off-policy schedules span the whole pretraining.
import t from "tap";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DQN } from "../../../agents/dqn.js";
import type { ExtraInput } from "../../../agents/extra.js";
import { PPO } from "../../../agents/ppo.js";
import { train } from "../../../agents/train.js";
import { box, discrete, type BoxSpace, type PairEnv, type Space, type StepResult } from "../../../envs/env.js";
import { selectBackend } from "../../../flash/backend.js";
import { Rng } from "../../../flash/rng.js";
import { useWasmKernels } from "../../../flash/wasm-kernels.js";
import { rlFlashKit, type RlFlashConfig } from "../../../experiments/tasks/rl-flash-kit.js";

await selectBackend();
const root = mkdtempSync(path.join(os.tmpdir(), "rl-flash-kit-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

const STEPS = 8;

/** Two arms; the pair's id names the rewarded one ("arm0" / "arm1"). Observation: [step / STEPS, noise]. */
class ArmEnv implements PairEnv {
  readonly id = "Arm-v0";
  readonly observationSpace: BoxSpace = box([0, -1], [1, 1]);
  readonly actionSpace: Space;
  readonly maxEpisodeSteps = STEPS;
  private t = 0;
  private rng: Rng;
  constructor(
    readonly pair: string,
    continuous: boolean,
    seed: number,
  ) {
    this.actionSpace = continuous ? box([-1], [1]) : discrete(2);
    this.rng = new Rng(seed);
  }
  private obs(): Float32Array {
    return Float32Array.of(this.t / STEPS, this.rng.uniform(-1, 1));
  }
  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng = new Rng(seed);
    this.t = 0;
    return this.obs();
  }
  step(action: Float32Array | number[]): StepResult {
    const arm = this.actionSpace.kind === "discrete" ? action[0] : action[0] > 0 ? 1 : 0;
    const reward = arm === (this.pair === "arm1" ? 1 : 0) ? 1 : 0;
    this.t++;
    return { observation: this.obs(), reward, terminated: false, truncated: this.t >= STEPS };
  }
}

const flash = { hidden: 8, layers: 1, fcHidden: 8, embeddingDim: 4, contextSize: 2, maxSteps: STEPS, contextSubsample: 1 };
const budgets = { referenceEpisodes: 4, pretrainEpisodes: 8, adaptEpisodes: 3, embedEpisodes: 1, evalEpisodes: 2, abTargets: 1, window: 2, tolerance: 0.1 };
const cfg: RlFlashConfig = { poolPairs: [{ id: "arm0" }, { id: "arm1" }], testPairs: [{ id: "arm1" }], agent: { learningStarts: 4 }, flash, budgets };

function kitFor(kind: "dqn" | "ppo") {
  return rlFlashKit<RlFlashConfig, ArmEnv>({
    name: `toy-${kind}`,
    stateDim: 2,
    actionDim: 1,
    env: (_c, p, seed) => new ArmEnv(p.id, kind === "ppo", seed),
    episodeSteps: () => STEPS,
    agent: (_c, env, o) =>
      kind === "dqn"
        ? new DQN(
            env,
            { netArch: [8], batchSize: 4, bufferSize: 100, learningStarts: o.learningStarts, explorationFraction: 0.5 },
            { seed: o.seed, extra: o.extra },
          )
        : new PPO(env, { netArch: { pi: [8], vf: [8] }, nSteps: STEPS, batchSize: 8, nEpochs: 1 }, { seed: o.seed, extra: o.extra }),
    randomAction: (rng) => () => (kind === "dqn" ? [rng.int(0, 2)] : [rng.uniform(-1, 1)]),
    progress: { digits: 1, referenceEvery: 2 },
  }).task({ summary: "toy", profiles: [], profile: () => cfg, validateConfig: () => cfg, describe: () => "toy" });
}

for (const kind of ["dqn", "ppo"] as const) {
  t.test(`${kind}: reference, pretrain (flash and tl), adapt, serve and pool embeddings run through the kit`, async (t) => {
    const task = kitFor(kind);
    const dir = (n: string) => {
      const d = path.join(root, kind, n);
      mkdirSync(d, { recursive: true }); // the runner gives every unit an existing work directory
      return d;
    };
    const none = () => {};
    const ref = await task.reference(cfg, "arm1", 1, dir("ref"), none);
    t.equal(ref.returns.length, budgets.referenceEpisodes, "one return per reference episode");
    const pre = await task.pretrain(cfg, "flash", ["arm0", "arm1"], 2, dir("pre"), none);
    t.equal(pre.returns.length, budgets.pretrainEpisodes, "every pretraining episode counted");
    t.same([...new Set(pre.pairs)].sort(), ["arm0", "arm1"], "both pool pairs were trained on");
    const tl = await task.pretrain(cfg, "tl", ["arm0", "arm1"], 2, dir("tl"), none);
    t.equal(tl.returns.length, budgets.pretrainEpisodes);
    const ad = await task.adapt(cfg, "flash", dir("pre"), "arm1", 3, dir("adapt"), none);
    t.equal(ad.returns.length, budgets.adaptEpisodes);
    const served = await task.serve(cfg, { variant: "flash", modelDir: dir("pre"), pairs: ["arm1"], seed: 4, workDir: dir("serve") });
    t.equal(served.length, 1);
    t.equal(served[0].embedding?.length, flash.embeddingDim, "FLASH serving reports the pair's embedding");
    t.ok(served[0].reward >= 0 && served[0].reward <= STEPS, "a return within the toy's range");
    const emb = await task.poolEmbeddings(cfg, dir("pre"), dir("pool"));
    t.same(Object.keys(emb).sort(), ["arm0", "arm1"]);
    const again = await task.serve(cfg, { variant: "flash", modelDir: dir("pre"), pairs: ["arm1"], seed: 4, workDir: dir("serve2") });
    t.same(again, served, "serving is deterministic in its seed");
    const rec = await task.serve(cfg, { variant: "flash", modelDir: dir("pre"), pairs: ["arm1"], seed: 4, workDir: dir("serve3"), recordSteps: true });
    t.equal(rec[0].reward, served[0].reward, "recording the steps does not change what is served");
    t.equal(rec[0].steps?.length, STEPS, "the first evaluation episode, step by step");
    t.equal(
      rec[0].steps!.reduce((a, s) => a + s.reward, 0),
      rec[0].steps!.filter((s) => s.reward === 1).length,
      "each step's reward as the env gave it",
    );
    t.equal(served[0].steps, undefined, "no steps unless asked");
  });
}

t.test("openPretraining steps the very pretraining `pretrain` runs (same returns, same saved agent); on-policy agents refuse episode steps", async (t) => {
  const task = kitFor("dqn");
  const none = () => {};
  const dir = (n: string) => {
    const d = path.join(root, "open", n);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const whole = await task.pretrain(cfg, "flash", ["arm0", "arm1"], 5, dir("whole"), none);
  const run = await (task.openPretraining as NonNullable<typeof task.openPretraining>)(cfg, "flash", ["arm0", "arm1"], 5, dir("stepped"));
  const stepped: { ret: number; pair: string }[] = [];
  try {
    t.ok(run.offPolicy);
    for (let e = 0; e < budgets.pretrainEpisodes; e++) stepped.push(await run.episode(e));
    await run.finish();
  } finally {
    run.close();
  }
  t.same(
    stepped.map((s) => s.ret),
    whole.returns,
    "the same returns, episode by episode",
  );
  t.same(
    stepped.map((s) => s.pair),
    whole.pairs,
  );
  const weights = (d: string) => readFileSync(path.join(d, "agent", "weights.bin"));
  t.ok(weights(dir("stepped")).equals(weights(dir("whole"))), "the same saved agent weights");
  const ppo = await (kitFor("ppo").openPretraining as NonNullable<typeof task.openPretraining>)(cfg, "tl", ["arm0", "arm1"], 5, dir("ppo"));
  try {
    t.notOk(ppo.offPolicy);
    await t.rejects(ppo.episode(0), /needs an off-policy agent/);
  } finally {
    ppo.close();
  }
});

t.test("a seeded FLASH pretraining gives the same numbers with the encoder's direct wasm kernels on and off", async (t) => {
  const none = () => {};
  const dir = (n: string) => {
    const d = path.join(root, "kernels", n);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const runs = [];
  for (const on of [true, false]) {
    useWasmKernels(on);
    try {
      const pre = await kitFor("dqn").pretrain(cfg, "flash", ["arm0", "arm1"], 7, dir(String(on)), none);
      runs.push({
        pre,
        agent: readFileSync(path.join(dir(String(on)), "agent", "weights.bin")),
        meta: readFileSync(path.join(dir(String(on)), "meta", "weights.bin")),
      });
    } finally {
      useWasmKernels(true);
    }
  }
  t.same(runs[0].pre.returns, runs[1].pre.returns, "the same returns");
  t.ok(runs[0].agent.equals(runs[1].agent), "the same agent weights, bit for bit");
  t.ok(runs[0].meta.equals(runs[1].meta), "the same meta-learner weights, bit for bit");
  t.same(readFileSync(path.join(dir("true"), "pool-embeddings.json"), "utf8"), readFileSync(path.join(dir("false"), "pool-embeddings.json"), "utf8"));
});

t.test("off-policy schedules continue over train calls given timestepOffset (one schedule for the whole pretraining)", async (t) => {
  const env = new ArmEnv("arm0", false, 0);
  const dqn = new DQN(
    env,
    { netArch: [4], batchSize: 4, bufferSize: 100, learningStarts: 0, explorationFraction: 1, explorationInitialEps: 1, explorationFinalEps: 0 },
    { seed: 0 },
  );
  train(dqn, env, { totalTimesteps: STEPS, timestepOffset: 3 * STEPS, scheduleTimesteps: 4 * STEPS, seed: 0 });
  // After step 4*STEPS of 4*STEPS the linear schedule 1 -> 0 has reached its end.
  t.equal(dqn.explorationRate, 0, "the schedule reached its end at the last call's last step");
  train(dqn, env, { totalTimesteps: STEPS, timestepOffset: STEPS, scheduleTimesteps: 4 * STEPS, seed: 0 });
  t.equal(dqn.explorationRate, 0.5, "halfway through the span after the second of four calls");
  t.throws(() => train(dqn, env, { totalTimesteps: STEPS, timestepOffset: 2 * STEPS, scheduleTimesteps: 2 * STEPS }), /scheduleTimesteps \(16\) must cover/);
  dqn.dispose();
});

t.test("afterTrain runs after every training phase", async (t) => {
  const env = new ArmEnv("arm0", false, 0);
  const dqn = new DQN(env, { netArch: [4], batchSize: 4, bufferSize: 100, learningStarts: 2, trainFreq: 2, gradientSteps: 1 }, { seed: 0 });
  let calls = 0;
  const r = train(dqn, env, { totalTimesteps: STEPS, seed: 0, afterTrain: () => calls++ });
  t.equal(calls, r.updates, "one call per training phase (one gradient step each)");
  t.ok(calls > 0);
  dqn.dispose();
});

t.test("FLASH's context: warm-up episodes stay out of the buffer, serving never acts with the zero embedding (the earlier protocol did)", async (t) => {
  const { SqliteBuffer } = await import("../../../flash/buffer/sqlite.js");
  /** The acting embeddings the agent read (ExtraPurpose "act"), per served variant. */
  const acted: number[][] = [];
  const spy = (x: ExtraInput): ExtraInput => ({
    dim: x.dim,
    compute: (obs, ctx, purpose) => {
      const r = x.compute(obs, ctx, purpose);
      if (purpose === "act") acted.push(...(r.arraySync() as number[][]));
      return r;
    },
    trainableVariables: () => x.trainableVariables?.() ?? [],
  });
  const task = rlFlashKit<RlFlashConfig, ArmEnv>({
    name: "toy-context",
    stateDim: 2,
    actionDim: 1,
    env: (_c, p, seed) => new ArmEnv(p.id, false, seed),
    episodeSteps: () => STEPS,
    agent: (_c, env, o) =>
      new DQN(
        env,
        { netArch: [8], batchSize: 4, bufferSize: 100, learningStarts: o.learningStarts },
        { seed: o.seed, extra: o.extra ? spy(o.extra) : undefined },
      ),
    randomAction: (rng) => () => [rng.int(0, 2)],
    progress: { digits: 1, referenceEvery: 2 },
  }).task({ summary: "toy", profiles: [], profile: () => cfg, validateConfig: () => cfg, describe: () => "toy" });
  const dir = (n: string) => {
    const d = path.join(root, "context", n);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const none = () => {};
  const pre = await task.pretrain(cfg, "flash", ["arm0", "arm1"], 2, dir("pre"), none);
  const buf = SqliteBuffer.open(path.join(dir("pre"), "buffer.sqlite"));
  for (const p of ["arm0", "arm1"])
    t.equal(buf.count("toy-context", p), pre.pairs.filter((x) => x === p).length, `${p}: only its training episodes are in the buffer (no warm-up episode)`);
  buf.close();
  const isZero = (row: number[]) => row.every((v) => v === 0);
  acted.length = 0;
  await task.serve(cfg, { variant: "flash", modelDir: dir("pre"), pairs: ["arm1"], seed: 4, workDir: dir("serve") });
  // Evaluation steps all read it; context steps do unless DQN explores (final epsilon, not a fresh agent's 1).
  t.ok(acted.length > STEPS * budgets.evalEpisodes + (STEPS * budgets.embedEpisodes) / 2, `context episodes act mostly greedily (${acted.length} reads)`);
  t.notOk(acted.some(isZero), "serving never acted with the zero embedding");
  acted.length = 0;
  await task.adapt(cfg, "flash", dir("pre"), "arm1", 3, dir("adapt"), none);
  t.notOk(acted.some(isZero), "adaptation's first episode acted with the pool average, not the zero vector");
  acted.length = 0;
  await task.serve(cfg, { variant: "flash-before", modelDir: dir("pre"), pairs: ["arm1"], seed: 4, workDir: dir("before") });
  t.equal(acted.filter(isZero).length, STEPS, "the earlier protocol acted its first context episode with the zero vector (the check can fail)");
  acted.length = 0;
  const shuffled = await task.serve(cfg, { variant: "shuffled", modelDir: dir("pre"), pairs: ["arm1"], seed: 4, workDir: dir("shuffled") });
  const pool = await task.poolEmbeddings(cfg, dir("pre"), dir("pool"));
  t.ok(
    Object.values(pool).some((e) => e.every((v, i) => Math.abs(v - (shuffled[0].embedding as number[])[i]) < 1e-6)),
    "the shuffled control serves a pool pair's embedding",
  );
  // Served on pool pairs (the controls on the pool): always the other pool pair's embedding, never the pair's own.
  const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 1e-6);
  for (let seed = 0; seed < 6; seed++) {
    const res = await task.serve(cfg, { variant: "shuffled", modelDir: dir("pre"), pairs: ["arm0", "arm1"], seed, workDir: dir(`shuffled-pool-${seed}`) });
    for (const r of res) {
      const other = r.pair === "arm0" ? "arm1" : "arm0";
      t.ok(near(r.embedding as number[], pool[other]) && !near(r.embedding as number[], pool[r.pair]), `seed ${seed}: ${r.pair} reads ${other}'s embedding`);
    }
  }
});

t.test("the flash block's options reach the model: TCN encoder, latest selection, auxiliary dynamics loss (PPO and DQN)", async (t) => {
  for (const kind of ["dqn", "ppo"] as const) {
    const task = kitFor(kind);
    const opts = { ...flash, encoder: "tcn" as const, layers: 2, patch: 2, selection: "latest" as const, auxLoss: "dynamics" as const, auxWeight: 0.5 };
    const c = { ...cfg, flash: opts };
    const d = path.join(root, `opts-${kind}`);
    mkdirSync(d, { recursive: true });
    const pre = await task.pretrain(c, "flash", ["arm0", "arm1"], 2, d, () => {});
    t.equal(pre.returns.length, budgets.pretrainEpisodes);
    const meta = JSON.parse(readFileSync(path.join(d, "meta", "manifest.json"), "utf8")) as { config: { encoder: Record<string, unknown> } };
    t.match(meta.config.encoder, { type: "tcn", channels: 8, layers: 2, patch: 2 }, `${kind}: the checkpoint holds the TCN`);
    // The same pretraining with the aux loss off ends with other meta-learner weights: the aux loss trained it.
    const d2 = path.join(root, `opts-${kind}-noaux`);
    mkdirSync(d2, { recursive: true });
    await task.pretrain({ ...c, flash: { ...opts, auxLoss: "none" } }, "flash", ["arm0", "arm1"], 2, d2, () => {});
    const emb = (dir: string) => readFileSync(path.join(dir, "pool-embeddings.json"), "utf8");
    t.not(emb(d), emb(d2), `${kind}: the auxiliary loss changed the pool embeddings`);
    mkdirSync(path.join(d, "serve"));
    const served = await task.serve(c, { variant: "flash", modelDir: d, pairs: ["arm1"], seed: 4, workDir: path.join(d, "serve") });
    t.equal(served[0].embedding?.length, flash.embeddingDim, "a model pretrained with the options serves");
  }
});
