import t from "tap";
import { Rng } from "../../../flash/rng.js";
import { angleNormalize, Pendulum } from "../../../envs/classic/pendulum.js";
import { CartPole } from "../../../envs/classic/cartpole.js";
import { FAMILIES, generatePairs, makeFamilyEnv, pairIdFor, type PairSpec } from "../../../envs/classic/family.js";
import { makeClassicEnv } from "../../../envs/classic/make.js";
import type { Env } from "../../../envs/env.js";

/** Corners of a family's generation box. */
function corners(family: "pendulum" | "cartpole"): Record<string, number>[] {
  let out: Record<string, number>[] = [{}];
  for (const p of FAMILIES[family].params) {
    if (!p.range) continue;
    const [lo, hi] = p.range;
    out = out.flatMap((c) => [
      { ...c, [p.name]: lo },
      { ...c, [p.name]: hi },
    ]);
  }
  return out;
}

/**
 * Energy pumping, then a computed-torque catch near the top. `model` is what
 * the controller believes the physics are; the true physics are the env's.
 */
function swingUp(env: Pendulum, model: { m: number; l: number; g: number }, start: [number, number]): { upAt: number; ret: number } {
  env.resetTo(start[0], start[1]);
  const a = (3 * model.g) / (2 * model.l);
  const b = 3 / (model.m * model.l * model.l);
  let upAt = -1;
  let ret = 0;
  for (let i = 0; i < env.maxEpisodeSteps; i++) {
    const [th, w] = env.state;
    const an = angleNormalize(th);
    const energy = 0.5 * w * w + a * Math.cos(th);
    const u = Math.abs(an) < 0.6 ? (-a * Math.sin(th) - 20 * an - 8 * w) / b : (energy < a ? 2 : -2) * Math.sign(w || 1);
    ret += env.step([u]).reward;
    const [th2, w2] = env.state;
    if (Math.abs(angleNormalize(th2)) < 0.1 && Math.abs(w2) < 0.5) {
      if (upAt < 0) upAt = i + 1;
    } else upAt = -1;
  }
  return { upAt, ret };
}

t.test("every corner of the pendulum box is swung up from rest within 200 steps", async (t) => {
  for (const params of corners("pendulum")) {
    const env = makeFamilyEnv("pendulum", { id: "c", params });
    const inner = new Pendulum({ ...params });
    const { upAt } = swingUp(inner, params as { m: number; l: number; g: number }, [Math.PI, 0.01]);
    t.ok(upAt > 0 && upAt < 190, `${JSON.stringify(params)} upright from step ${upAt}`);
    t.equal(env.maxEpisodeSteps, 200);
  }
});

t.test("a swing-up controller tuned for the default pendulum degrades on other pairs", async (t) => {
  const nominal = { m: 1, l: 1, g: 10 };
  const own = swingUp(new Pendulum(), nominal, [Math.PI, 0.01]).ret;
  let worse = 0;
  const cs = corners("pendulum");
  for (const params of cs) {
    const tuned = swingUp(new Pendulum({ ...params }), params as typeof nominal, [Math.PI, 0.01]).ret;
    const mismatched = swingUp(new Pendulum({ ...params }), nominal, [Math.PI, 0.01]).ret;
    if (mismatched < tuned - 10) worse++;
  }
  t.ok(own > -600, `nominal controller on its own pair: ${own.toFixed(0)}`);
  t.ok(worse >= cs.length / 2, `the mismatched controller is clearly worse on ${worse} of ${cs.length} corners`);
});

t.test("every corner of the cartpole box is balanceable by a linear policy", async (t) => {
  for (const params of corners("cartpole")) {
    const env = makeFamilyEnv("cartpole", { id: "c", params });
    let total = 0;
    for (let e = 0; e < 5; e++) {
      let o = env.reset(e);
      let r;
      do {
        r = env.step([0.1 * o[0] + 0.5 * o[1] + 10 * o[2] + 2 * o[3] > 0 ? 1 : 0]);
        o = r.observation;
        total += r.reward;
      } while (!r.terminated && !r.truncated);
    }
    t.ok(total / 5 >= 350, `${JSON.stringify(params)}: mean return ${total / 5}`);
  }
});

t.test("a cartpole policy tuned for short poles degrades on long ones", async (t) => {
  const shortPolePolicy = (o: Float32Array): number => (0.05 * o[0] + 0.2 * o[1] + 3 * o[2] + 0.3 * o[3] > 0 ? 1 : 0);
  const meanReturn = (length: number): number => {
    const env = makeFamilyEnv("cartpole", { id: `len${length}`, params: { length, masspole: 0.1, masscart: 1, forceMag: 10 } });
    let total = 0;
    for (let e = 0; e < 10; e++) {
      let o = env.reset(e);
      let r;
      do {
        r = env.step([shortPolePolicy(o)]);
        o = r.observation;
        total += r.reward;
      } while (!r.terminated && !r.truncated);
    }
    return total / 10;
  };
  const short = meanReturn(0.15);
  const long = meanReturn(1.5);
  t.equal(short, 500, "balances the short pole");
  t.ok(long < 200, `but lasts ${long} steps on the long pole`);
});

t.test("different pair params give different dynamics; defaults reproduce the base env", async (t) => {
  const run = (env: Env): number[] => {
    const out = Array.from(env.reset(4));
    for (let i = 0; i < 20; i++) out.push(...env.step([i % 2]).observation);
    return out;
  };
  const light = makeFamilyEnv("pendulum", { id: "a", params: { m: 0.5, l: 1, g: 10 } });
  const heavy = makeFamilyEnv("pendulum", { id: "b", params: { m: 1.5, l: 1, g: 10 } });
  const std = makeFamilyEnv("pendulum", { id: "std", params: { m: 1, l: 1, g: 10 } });
  const first = (xs: number[]): number[] => xs.slice(0, 3);
  t.same(first(run(light)), first(run(heavy)), "same seed, same start");
  t.notSame(run(light), run(heavy));
  t.same(run(std), run(makeClassicEnv("Pendulum-v1")), "default params == Pendulum-v1");
  t.equal(std.id, "PendulumFamily-v1");
  t.equal(std.pair, "std");

  const cp = makeFamilyEnv("cartpole", { id: "cp", params: { length: 0.5, masspole: 0.1, masscart: 1, forceMag: 10 } });
  t.same(run(cp), run(new CartPole()), "default params == CartPole-v1");
  const longPole = makeFamilyEnv("cartpole", { id: "long", params: { length: 1.5, masspole: 0.1, masscart: 1, forceMag: 10 } });
  t.notSame(run(longPole), run(new CartPole()));

  const torque = makeFamilyEnv("pendulum", { id: "t", params: { m: 1, l: 1, g: 10, maxTorque: 3 } });
  t.same(Array.from(torque.actionSpace.kind === "box" ? torque.actionSpace.high : []), [3]);
});

t.test("generatePairs: seeded, distinct, inside the ranges, ids from params", async (t) => {
  const a = generatePairs("pendulum", 20, new Rng(1));
  t.same(generatePairs("pendulum", 20, new Rng(1)), a);
  t.notSame(generatePairs("pendulum", 20, new Rng(2)), a);
  t.equal(new Set(a.map((p) => p.id)).size, 20);
  for (const p of a) {
    t.equal(p.id, pairIdFor("pendulum", p.params));
    t.ok(p.params.m >= 0.5 && p.params.m <= 1.5 && p.params.l >= 0.5 && p.params.l <= 1.5 && p.params.g >= 8 && p.params.g <= 12);
    t.equal(p.params.maxTorque, undefined, "maxTorque not varied");
    t.equal(Math.round(p.params.m * 1000) / 1000, p.params.m);
  }
  t.match(a[0].id, /^pendulum-m[\d.]+-l[\d.]+-g[\d.]+$/);
  const c = generatePairs("cartpole", 5, new Rng(1));
  t.same(Object.keys(c[0].params), ["length", "masspole", "masscart", "forceMag"]);
  t.throws(() => generatePairs("pendulum", 0, new Rng(1)), /positive integer/);
  t.throws(() => generatePairs("acrobot" as "pendulum", 3, new Rng(1)), /unknown family "acrobot"; known families are "pendulum", "cartpole"/);
});

t.test("makeFamilyEnv and makeClassicEnv reject bad input clearly", async (t) => {
  const ok: PairSpec = { id: "p", params: { m: 1, l: 1, g: 10 } };
  t.throws(() => makeFamilyEnv("pendulum", { id: "p", params: { m: 1, l: 1 } }), /params\.g: missing required pendulum parameter/);
  t.throws(
    () => makeFamilyEnv("pendulum", { id: "p", params: { ...ok.params, mass: 2 } }),
    /params\.mass: unknown pendulum parameter; known parameters are m, l, g, maxTorque/,
  );
  t.throws(() => makeFamilyEnv("pendulum", { id: "p", params: { ...ok.params, l: -1 } }), /params\.l: must be a finite number > 0, got -1/);
  t.throws(() => makeFamilyEnv("pendulum", { id: "p", params: { ...ok.params, g: NaN } }), /params\.g: must be a finite number > 0, got NaN/);
  t.throws(() => makeFamilyEnv("pendulum", { id: "", params: ok.params }), /pair id: expected a non-empty string/);
  t.throws(() => makeFamilyEnv("cartpole", ok), /params\.m: unknown cartpole parameter/);
  t.throws(
    () => makeFamilyEnv("cartpole", { id: "c", params: { length: 0.5, masspole: 0.1, masscart: 1 } }),
    /params\.forceMag: missing required cartpole parameter/,
  );
  t.throws(
    () => makeClassicEnv("Acrobot-v1" as "CartPole-v1"),
    /unknown classic environment id "Acrobot-v1": known ids are "Pendulum-v1", "CartPole-v1", "MountainCarContinuous-v0"/,
  );
  t.equal(makeClassicEnv("MountainCarContinuous-v0", 3).id, "MountainCarContinuous-v0");
  const seeded = makeFamilyEnv("pendulum", ok, 8);
  t.same(seeded.reset(), makeFamilyEnv("pendulum", ok).reset(8), "seed argument seeds the env");
});
