import t from "tap";
import { VerticalPodAutoscaler, VpaAgent, weightedPercentile } from "../../../agents/baselines/vpa.js";
import { AutoscalingEnv } from "../../../envs/autoscaling/env.js";
import { decodeAction } from "../../../envs/autoscaling/spaces.js";
import { generateApplications } from "../../../sim/k8s/generate.js";
import { syntheticTrace } from "../../../traces/synthetic.js";

t.test("percentile plus safety margin", async (t) => {
  t.equal(weightedPercentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], new Array(10).fill(1), 0.9), 9);
  t.equal(weightedPercentile([5, 1], [1, 9], 0.5), 1);
  // A half-life far longer than the samples: equal weights.
  const vpa = new VerticalPodAutoscaler({ halfLifeSeconds: 1e12 });
  t.equal(vpa.recommend(0), undefined);
  for (let i = 1; i <= 10; i++) vpa.observe(i * 30, i / 10, 300 + i);
  const r = vpa.recommend(300)!;
  t.ok(Math.abs(r.cpuLimit - 0.9 * 1.15) < 1e-9, `cpu ${r.cpuLimit}`);
  t.ok(Math.abs(r.memoryLimitMB - 309 * 1.15) < 1e-9);
  // Floors.
  const small = new VerticalPodAutoscaler();
  small.observe(0, 0.001, 10);
  t.same(small.recommend(0), { cpuLimit: 0.025, memoryLimitMB: 250 });
});

t.test("recent samples weigh more", async (t) => {
  const vpa = new VerticalPodAutoscaler({ halfLifeSeconds: 60, targetPercentile: 0.5 });
  for (let i = 0; i < 10; i++) vpa.observe(i * 30, 1, 300);
  for (let i = 10; i < 14; i++) vpa.observe(i * 30, 0.2, 300);
  t.ok(vpa.recommend(13 * 30)!.cpuLimit < 0.5, "4 recent low samples outweigh 10 old high ones");
});

t.test("an OOM bumps memory by max(1.2x, +100 MB)", async (t) => {
  const vpa = new VerticalPodAutoscaler({ targetPercentile: 1 });
  vpa.observe(0, 0.5, 200, 400);
  t.ok(Math.abs(vpa.recommend(0)!.memoryLimitMB - 500 * 1.15) < 1e-9, "400 + 100 > 400 x 1.2");
  const big = new VerticalPodAutoscaler({ targetPercentile: 1 });
  big.observe(0, 0.5, 200, 1000);
  t.ok(Math.abs(big.recommend(0)!.memoryLimitMB - 1200 * 1.15) < 1e-9);
});

t.test("VPA on the environment: replicas fixed, memory rises out of OOM", async (t) => {
  const app = generateApplications(3, 1)[0];
  const env = new AutoscalingEnv({ app, trace: syntheticTrace({ seed: 1, seconds: 6 * 3600 }), seed: 2 });
  const agent = new VpaAgent(env.scale, env.intervalSeconds);
  let obs = env.reset();
  // Start far below the working set: OOM kills until VPA raises the limit.
  let r = env.step(new Float32Array([0, -1, 0]));
  obs = r.observation;
  let total = r.reward;
  let lastMem = 0;
  const replicas = new Set<number>();
  for (let i = 1; i < 100; i++) {
    const a = agent.act(obs);
    const alloc = decodeAction(a, env.scale);
    replicas.add(alloc.replicas);
    lastMem = alloc.memoryLimitMB;
    r = env.step(a);
    obs = r.observation;
    total += r.reward;
  }
  t.equal(replicas.size, 1, "replicas never change");
  t.ok(lastMem > env.profile.peakMemoryMB, `memory ${lastMem} MB above the working set ${env.profile.peakMemoryMB}`);
  t.equal(r.info?.oomKills, 0);
  t.ok(Number.isFinite(total));
});
