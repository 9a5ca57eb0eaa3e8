import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend } from "../../../flash/backend.js";
import { Rng } from "../../../flash/rng.js";
import { chooseBases, configurationScale, loadMultiCloud, loadServerless, makeQuery, workloadOracle, type RcsWorkload } from "../../../envs/rcs/index.js";
import {
  CONTROLS,
  curveParameters,
  embeddingProbe,
  evaluatePlan,
  halfSplitPlan,
  METHODS,
  providerPlan,
  RcsModels,
  rcsEvaluate,
  shuffledPartner,
  splitByApp,
  VectorBank,
  type PairRecord,
} from "../../../experiments/rcs/index.js";
import { RCS_FIXTURES, TINY_RCS_MODEL } from "../../helpers/rcs.js";

await selectBackend();

const FIX = RCS_FIXTURES;
const TINY = TINY_RCS_MODEL;
const ds = loadServerless(path.join(FIX, "serverless"));

const pair = (id: number, app: string, shots: number, role: PairRecord["role"] = "train"): PairRecord => ({
  id,
  pair: `p${id}`,
  workload: `${app}#0`,
  app,
  shots,
  role,
});

t.test("shuffledPartner: never the query's own application; same shot count when one exists; seeded", async (t) => {
  const pairs = [pair(0, "a", 1), pair(1, "a", 2), pair(2, "b", 1), pair(3, "c", 2), pair(4, "c", 3), pair(5, "d", 2, "test")];
  for (let i = 0; i < 200; i++) {
    const app = ["a", "b", "c"][i % 3];
    const shots = 1 + (i % 3);
    const p = shuffledPartner(pairs, app, shots, `s${i}`);
    t.not(p.app, app, `query of ${app}`);
    t.equal(p.role, "train", "only training pairs are served");
    if (pairs.some((q) => q.role === "train" && q.app !== app && q.shots === shots)) t.equal(p.shots, shots);
  }
  t.same(shuffledPartner(pairs, "a", 2, "x"), shuffledPartner(pairs, "a", 2, "x"), "same seed, same partner");
  const drawn = new Set(Array.from({ length: 100 }, (_, i) => shuffledPartner(pairs, "a", 1, `d${i}`).pair));
  t.same([...drawn].sort(), ["p2"], "a 1-shot query of a: the one other app's 1-shot pair");
  const two = new Set(Array.from({ length: 100 }, (_, i) => shuffledPartner(pairs, "b", 2, `e${i}`).pair));
  t.same([...two].sort(), ["p1", "p3"], "both candidates drawn");
  t.throws(() => shuffledPartner([pair(0, "a", 1)], "a", 1, "x"), /every training pair is of application "a"/);
});

t.test("curveParameters: slope and curvature of log2 time over the standardised configuration; zeros from one point", async (t) => {
  const configs = [7, 8, 9, 10, 11, 12, 13, 14].map((c) => [c]);
  const scale = configurationScale(configs);
  const pts = configs.map((c) => {
    const z = (c[0] - scale.mean[0]) / scale.std[0];
    return { config: c, duration: 2 ** (5 + 0.8 * z - 0.3 * z * z) };
  });
  const [a, b] = curveParameters(pts, scale);
  t.ok(Math.abs(a - 0.8) < 0.02 && Math.abs(b + 0.3) < 0.02, `slope ${a}, curvature ${b}`);
  t.same(
    curveParameters(
      pts.map((p) => ({ ...p, duration: 10 * p.duration })),
      scale,
    ).map((v) => v.toFixed(9)),
    [a, b].map((v) => v.toFixed(9)),
    "scale-free",
  );
  t.same(curveParameters([pts[3]], scale), [0, 0], "one point: nothing to fit");
  const flat = curveParameters(
    [
      { config: [1, 4], duration: 5 },
      { config: [2, 4], duration: 10 },
    ],
    configurationScale([
      [1, 4],
      [2, 4],
    ]),
  );
  t.equal(flat.length, 4, "two coordinates: two slopes, two curvatures");
  t.equal(flat[1], 0, "a constant coordinate gets no slope");
  t.ok(flat[0] > 0, "time grows with the first coordinate");
});

t.test("VectorBank: the rows it was given, by context id; a wrong width is a shape error", async (t) => {
  const bank = new VectorBank(2);
  t.equal(bank.add([1, 2]), 0);
  t.equal(bank.add([3, 4]), 1);
  const e = tf.tidy(() => bank.compute(tf.zeros([3, 5]), Int32Array.from([1, 0, 1])));
  t.same(Array.from(e.dataSync()), [3, 4, 1, 2, 3, 4]);
  e.dispose();
  t.throws(() => bank.add([1]), /2 finite numbers/);
  t.throws(() => tf.tidy(() => bank.compute(tf.zeros([1, 5]), Int32Array.from([7]))), /0\.\.1/);
});

t.test("embeddingProbe: ~1 when embeddings encode the profiles linearly, low when they only tell siblings apart", async (t) => {
  const rng = new Rng("rcs-probe");
  const profiles = new Map<string, number[]>();
  const pairs: PairRecord[] = [];
  const known = new Map<string, number[]>();
  const siblingsOnly = new Map<string, number[]>();
  for (let a = 0; a < 10; a++) {
    const w = `app${a}#0`;
    const prof = [rng.normal(), rng.normal(), rng.normal()];
    profiles.set(w, prof);
    const code = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
    for (let k = 0; k < 3; k++) {
      const p: PairRecord = { id: pairs.length, pair: `${w}/${k}`, workload: w, app: `app${a}`, shots: 1 + k, role: k < 2 ? "train" : "test" };
      pairs.push(p);
      // A linear map of the profile plus a little noise; and an app code unrelated to the profile.
      known.set(
        p.pair,
        [prof[0] + prof[1], prof[1] - prof[2], 2 * prof[2], 0.5 * prof[0]].map((v) => v + 0.01 * rng.normal()),
      );
      siblingsOnly.set(
        p.pair,
        code.map((v) => v + 0.01 * rng.normal()),
      );
    }
  }
  const good = embeddingProbe(pairs, (p) => known.get(p) as number[], profiles) as number;
  t.ok(good > 0.95, `linear encoding: R² ${good}`);
  const bad = embeddingProbe(pairs, (p) => siblingsOnly.get(p) as number[], profiles) as number;
  t.ok(bad < 0.3, `an app code unrelated to the profile: R² ${bad} (a plain leave-one-out would match each pair to its siblings)`);
  t.equal(
    embeddingProbe(pairs.slice(0, 9), (p) => known.get(p) as number[], profiles),
    null,
    "3 applications: too few to hold one out",
  );
});

t.test("LEAK: oracle_context, shuffled and zero read only the bases (the oracle reads the truth by design)", async (t) => {
  const split = splitByApp(ds.workloads, new Rng(3));
  const models = new RcsModels(ds, TINY);
  t.teardown(() => models.dispose());
  models.enableControls(workloadOracle(ds.workloads));
  await models.train(split.train);
  const w = split.test[0];
  for (const X of [1, 2]) {
    const tampered: RcsWorkload = structuredClone(w);
    const bases = chooseBases(w, X, new Rng(X));
    for (const p of tampered.points) if (!bases.includes(p.key)) p.duration *= 50;
    const ctl = ["oracle_context", "shuffled", "zero"] as const;
    const a = await models.predict(makeQuery(w, bases).query, ctl, `a${X}`);
    const b = await models.predict(makeQuery(tampered, bases).query, ctl, `b${X}`);
    for (const c of ctl) t.same(b[c], a[c], `${c} ${X}-shot`);
    t.not(models.shuffledServed.get(`a${X}`)?.app, w.app, "the shuffled embedding is another app's");
  }
  await t.rejects(
    (async () => {
      const m = new RcsModels(ds, TINY, "rcs-no-controls");
      try {
        await m.train(split.train);
        await m.predict(makeQuery(w, chooseBases(w, 1, new Rng(1))).query, ["oracle"], "q");
      } finally {
        m.dispose();
      }
    })(),
    /needs enableControls/,
  );
});

t.test("evaluatePlan with controls: every control per shot count, {mean, ci95, n} in results, rows in the report; seeded; no tensor leak", async (t) => {
  const n0 = tf.memory().numTensors;
  const run = () => evaluatePlan(halfSplitPlan(ds), { shots: [1, 2], iterations: 2, model: TINY, seed: 5, controls: true });
  const r = await run();
  t.same(r.controls, [...CONTROLS]);
  t.same(r.methods, [...METHODS], "the methods are unchanged");
  t.ok(r.rows.every((x) => [...METHODS, ...CONTROLS].every((m) => Number.isFinite(x.pred[m]))));
  for (const it of r.iterations) t.ok(it.probeR2 === null || Number.isFinite(it.probeR2), "probe R² per iteration");
  t.ok(r.iterations.every((it) => ["oracle", "oracle_curve", "oracle_context"].every((k) => typeof it.training.trainMape[k as "oracle"] === "number")));
  t.equal(tf.memory().numTensors, n0, "no tensors left behind");
  const again = await run();
  t.same(again.summary, r.summary, "same seed, same numbers");
  const plain = await evaluatePlan(halfSplitPlan(ds), { shots: [1, 2], iterations: 2, model: TINY, seed: 5 });
  for (const m of METHODS) t.same(plain.summary[m], r.summary[m], `${m}: the controls do not move the methods' numbers`);
  t.same(plain.controls, []);
});

t.test("rcs evaluate --controls: results.json's controls block and the report's control rows", async (t) => {
  const out = mkdtempSync(path.join(os.tmpdir(), "rcs-ctl-"));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const err = console.error;
  console.error = () => {};
  try {
    await rcsEvaluate({
      train: path.join(FIX, "serverless"),
      test: path.join(FIX, "serverless-other"),
      out,
      shots: [1, 2],
      iterations: 2,
      profile: "quick",
      epochs: 1,
      controls: true,
    });
  } finally {
    console.error = err;
  }
  const res = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"));
  t.same(Object.keys(res), [...METHODS, "controls"]);
  const c = res.controls;
  for (const name of CONTROLS) {
    for (const s of ["1", "2"]) {
      t.same(Object.keys(c[name].mape[s]), ["mean", "ci95", "n"], `${name} ${s}-shot`);
      t.equal(c[name].mape[s].n, 2);
      t.type(c[name].below_sizeless[s].mean, "number");
    }
  }
  t.same(Object.keys(c.flash_below_sizeless["2"]), ["mean", "ci95", "n"]);
  t.ok(
    Math.abs(c.flash_below_sizeless["1"].mean - (1 - res.flash["1"].mape_mean / res.sizeless["1"].mape_mean)) < 0.5,
    "FLASH below Sizeless: a per-iteration mean near the ratio of the means",
  );
  t.equal(c.probe_r2_by_iteration.length, 2);
  const md = readFileSync(path.join(out, "report.md"), "utf8");
  t.match(md, /\| control: oracle \(true duration profile over every configuration\) \|/);
  t.match(md, /\| control: FLASH with another application's embedding \|/);
  t.match(md, /FLASH below Sizeless \(1\/2-shot, mean ± 95% CI over iterations\): -?\d+% ± \d+% \/ -?\d+% ± \d+%\./);
});

t.test("multi-cloud leaving a cloud out: the oracle reads each workload's whole profile, the shuffled control another task's", async (t) => {
  const mc = loadMultiCloud(path.join(FIX, "multi-cloud"));
  const r = await evaluatePlan(providerPlan(mc), { shots: [1], iterations: 1, model: TINY, seed: 1, methods: ["sizeless", "flash"], controls: true });
  t.ok(r.rows.length > 0 && r.rows.every((x) => Number.isFinite(x.pred.oracle) && Number.isFinite(x.pred.shuffled)));
  const o = workloadOracle(mc.workloads);
  t.ok(
    mc.workloads.every((w) => (o.profiles.get(w.id) as number[]).filter((v) => v !== 0).length >= Math.min(2, w.points.length) - 1),
    "profiles span the workload's configurations",
  );
});
