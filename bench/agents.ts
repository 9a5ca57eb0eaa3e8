/**
 * Agent update throughput at each agent's default batch size and network (SB3
 * defaults; Sizeless Table 6), on synthetic data so only the learning step is timed.
 * Also the latency of one action selection. Call after `selectBackend()`.
 */
import { box, discrete } from "../envs/env.js";
import { Rng } from "../flash/rng.js";
import { DDPG } from "../agents/ddpg.js";
import { DQN, ZOO_DQN_CARTPOLE } from "../agents/dqn.js";
import { PPO } from "../agents/ppo.js";
import { SizelessRegressor } from "../agents/sizeless.js";

function timeIt(warm: () => void, run: () => number): number {
  warm();
  const t0 = performance.now();
  const n = run();
  return n / ((performance.now() - t0) / 1000);
}

function actMs(f: () => void, n = 200): number {
  for (let i = 0; i < 10; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  return (performance.now() - t0) / n;
}

/** Updates per second per agent; `quick` runs fewer iterations. */
export async function benchAgents(opts: { quick?: boolean } = {}): Promise<Record<string, number>> {
  const reps = opts.quick ? 0.25 : 1;
  const r = new Rng("bench-agents");
  const out: Record<string, number> = {};
  const obsDim = 8;
  const obsSpace = box(new Array(obsDim).fill(-1), new Array(obsDim).fill(1));
  const rand = (n: number) => Float32Array.from({ length: n }, () => r.uniform(-1, 1));

  // DDPG: SB3 defaults, net [400, 300], batch 256, 2-D action.
  const ddpg = new DDPG({ observationSpace: obsSpace, actionSpace: box([-1, -1], [1, 1]) }, {}, { seed: 1 });
  for (let i = 0; i < 1000; i++) ddpg.store(rand(obsDim), rand(obsDim), rand(2), r.normal(), false);
  const nD = Math.max(5, Math.round(40 * reps));
  out.ddpg_updates_per_s = timeIt(
    () => ddpg.train(2),
    () => (ddpg.train(nD), nD),
  );
  out.ddpg_act_ms = actMs(() => ddpg.predict(rand(obsDim)));
  ddpg.dispose();

  // DQN: SB3 defaults (net [64, 64], batch 32) and the zoo CartPole net ([256, 256], batch 64).
  for (const [key, cfg] of [
    ["dqn", {}],
    ["dqn_zoo_cartpole", ZOO_DQN_CARTPOLE.config],
  ] as const) {
    const dqn = new DQN({ observationSpace: obsSpace, actionSpace: discrete(4) }, cfg, { seed: 1 });
    for (let i = 0; i < 1000; i++) dqn.store(rand(obsDim), rand(obsDim), Float32Array.of(r.int(0, 4)), r.normal(), false);
    const n = Math.max(20, Math.round(300 * reps));
    out[`${key}_updates_per_s`] = timeIt(
      () => dqn.train(5),
      () => (dqn.train(n), n),
    );
    if (key === "dqn") out.dqn_act_ms = actMs(() => dqn.predict(rand(obsDim), { deterministic: true }));
    dqn.dispose();
  }

  // PPO: SB3 defaults (n_steps 2048, batch 64, 10 epochs, pi/vf [64, 64]), 2-D Box action, one env.
  const ppo = new PPO({ observationSpace: obsSpace, actionSpace: box([-1, -1], [1, 1]) }, { nEpochs: opts.quick ? 2 : 10 }, { seed: 1 });
  ppo.startRollouts(1);
  const t0 = performance.now();
  for (let s = 0; s < ppo.nSteps; s++) {
    ppo.act(rand(obsDim), Int32Array.of(0));
    ppo.record(Float32Array.of(r.normal()), Uint8Array.of(s % 200 === 0 ? 1 : 0));
  }
  out.ppo_act_ms = (performance.now() - t0) / ppo.nSteps;
  ppo.finishRollout(Float32Array.of(0), Uint8Array.of(0));
  let updates = 0;
  out.ppo_minibatch_updates_per_s = timeIt(
    () => undefined,
    () => ((updates = ppo.train(1).updates), updates),
  );
  ppo.dispose();

  // Sizeless: Table 6 (4 x 256, batch 32), 1000 samples of 20 features per epoch.
  const n = 1000;
  const feats = 20;
  const x = rand(n * feats);
  const y = Float32Array.from({ length: n }, () => r.uniform(100, 1000));
  const sz = new SizelessRegressor(feats, 1, {}, { seed: 1 });
  sz.fit(x, y, { epochs: 1 });
  const epochs = opts.quick ? 1 : 3;
  out.sizeless_epochs_per_s = timeIt(
    () => undefined,
    () => (sz.fit(x, y, { epochs }), epochs),
  );
  out.sizeless_updates_per_s = out.sizeless_epochs_per_s * Math.ceil(n / 32);
  sz.dispose();
  return out;
}
