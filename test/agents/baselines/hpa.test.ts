import t from "tap";
import { HorizontalPodAutoscaler, HpaAgent, hpaDesiredReplicas } from "../../../agents/baselines/hpa.js";
import { AutoscalingEnv } from "../../../envs/autoscaling/env.js";
import { decodeAction } from "../../../envs/autoscaling/spaces.js";
import { generateApplications } from "../../../sim/k8s/generate.js";
import { syntheticTrace } from "../../../traces/synthetic.js";

t.test("the documented formula on hand cases", async (t) => {
  // The Kubernetes docs' example: 200m used of 100m target -> double.
  t.equal(hpaDesiredReplicas(1, 1.0, 0.5), 2);
  t.equal(hpaDesiredReplicas(4, 0.75, 0.5), 6);
  t.equal(hpaDesiredReplicas(3, 0.7, 0.5), 5, "ceil(3 * 1.4) = ceil(4.2)");
  t.equal(hpaDesiredReplicas(10, 0.25, 0.5), 5);
  t.equal(hpaDesiredReplicas(10, 0.01, 0.5), 1, "ceil(0.2)");
  // Tolerance band: ratios within [0.9, 1.1] keep the count.
  t.equal(hpaDesiredReplicas(10, 0.54, 0.5), 10, "ratio 1.08");
  t.equal(hpaDesiredReplicas(10, 0.46, 0.5), 10, "ratio 0.92");
  t.equal(hpaDesiredReplicas(10, 0.56, 0.5), 12, "ratio 1.12 -> ceil(11.2)");
  t.equal(hpaDesiredReplicas(10, 0.44, 0.5), 9, "ratio 0.88 -> ceil(8.8)");
  t.throws(() => hpaDesiredReplicas(1, NaN, 0.5), /utilisation/);
});

t.test("scale-down waits for the 5-minute stabilisation window", async (t) => {
  const hpa = new HorizontalPodAutoscaler({ maxReplicas: 50 });
  t.equal(hpa.recommend(4, 1.0, 0), 8, "scale up at once");
  // Load falls: the raw recommendation is 4 but 8 was recommended within 300 s.
  t.equal(hpa.recommend(8, 0.25, 30), 8);
  t.equal(hpa.recommend(8, 0.25, 290), 8);
  // At t = 301 the t = 0 recommendation has left the window: 4 is the highest.
  t.equal(hpa.recommend(8, 0.25, 301), 4);
  // A dip followed by a partial recovery settles at the window's highest.
  const h2 = new HorizontalPodAutoscaler({ maxReplicas: 50 });
  h2.recommend(10, 0.5, 0);
  h2.recommend(10, 0.2, 30); // raw 4
  h2.recommend(10, 0.35, 60); // raw 7
  t.equal(h2.recommend(10, 0.2, 400), 4, "after the window: raw 4 (the 7 at t = 60 is gone)");
  const h3 = new HorizontalPodAutoscaler({ maxReplicas: 50 });
  h3.recommend(10, 0.35, 0); // raw 7 -> held at 10 (window max is 7 but current 10... min(10, 7))
  t.equal(h3.recommend(10, 0.2, 30), 7, "highest in window is 7");
});

t.test("scale-up policy and bounds", async (t) => {
  const hpa = new HorizontalPodAutoscaler({ maxReplicas: 100 });
  t.equal(hpa.recommend(2, 5, 0), 6, "raw 20, limited to max(2x2, 2+4) = 6");
  t.equal(hpa.recommend(10, 5, 30), 20, "raw 100, limited to 2x10");
  t.equal(new HorizontalPodAutoscaler({ maxReplicas: 5, scaleUpPolicy: false }).recommend(2, 5, 0), 5, "clamped to maxReplicas");
  t.throws(() => new HorizontalPodAutoscaler({ targetUtilization: 0 }), /targetUtilization/);
});

t.test("HPA on the environment: actions in the space, finite reward", async (t) => {
  const app = generateApplications(3, 1)[0];
  const env = new AutoscalingEnv({ app, trace: syntheticTrace({ seed: 1, seconds: 6 * 3600 }), seed: 2 });
  const agent = new HpaAgent(env.scale, env.intervalSeconds);
  let obs = env.reset();
  const init = env.initialAllocation();
  let total = 0;
  let done = false;
  while (!done) {
    const a = agent.act(obs);
    for (const v of a) t.ok(v >= -1 && v <= 1);
    const alloc = decodeAction(a, env.scale);
    t.ok(Math.abs(alloc.cpuLimit - init.cpuLimit) < 1e-3, "CPU limit unchanged");
    const r = env.step(a);
    total += r.reward;
    obs = r.observation;
    done = r.truncated || r.terminated;
  }
  t.ok(Number.isFinite(total) && total > 0, `episode reward ${total}`);
});
