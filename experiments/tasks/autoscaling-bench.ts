/**
 * Speed of the Kubernetes simulator (requirement: >= 100,000 simulated steps per second
 * on one core). A "step" is one `Cluster.tick()`: one simulated second of one Deployment
 * (pod lifecycle, scheduling, OOM check, M/M/c latency, utilisation) with its load set
 * for that tick. Four generated applications, 4 replicas each, rate following a sine.
 * We also report environment steps per second (one step = 30 ticks plus the observation).
 * Best of `repeats` runs after a warm-up, so JIT compilation is not counted.
 */
import { AutoscalingEnv } from "../../envs/autoscaling/env.js";
import { Cluster } from "../../sim/k8s/cluster.js";
import { generateApplications } from "../../sim/k8s/generate.js";
import { compileApplication, serviceSeconds } from "../../sim/k8s/profile.js";
import { syntheticTrace } from "../../traces/synthetic.js";

export interface K8sBench {
  k8s_steps_per_s: number;
  k8s_env_steps_per_s: number;
}

function ticksPerSecond(ticks: number): number {
  const apps = generateApplications(0, 4);
  let best = 0;
  for (const app of apps) {
    const c = new Cluster({ seed: 1 });
    const d = c.addDeployment(app, { replicas: 4, cpuLimit: 1, memoryLimitMB: 2048 }, { startReady: true });
    // 60% of the 4 replicas' capacity on average, with swings past saturation.
    const base = (0.6 * 4) / serviceSeconds(compileApplication(app), 1);
    const t0 = performance.now();
    for (let i = 0; i < ticks; i++) {
      c.setRate(d, base * (1 + 0.5 * Math.sin(i / 300)));
      c.tick();
    }
    const rate = ticks / ((performance.now() - t0) / 1000);
    if (rate > best) best = rate;
  }
  return best;
}

function envStepsPerSecond(episodes: number): number {
  const env = new AutoscalingEnv({ app: generateApplications(0, 1)[0], trace: syntheticTrace({ seed: 0 }), seed: 0 });
  const a = new Float32Array([0, 0, 0]);
  const t0 = performance.now();
  let steps = 0;
  for (let e = 0; e < episodes; e++) {
    env.reset();
    for (let i = 0; i < env.maxEpisodeSteps; i++) {
      a[2] = Math.sin(i / 10);
      env.step(a);
      steps++;
    }
  }
  return steps / ((performance.now() - t0) / 1000);
}

export async function benchK8s(opts: { ticks?: number; repeats?: number; episodes?: number } = {}): Promise<K8sBench> {
  const ticks = opts.ticks ?? 500_000;
  ticksPerSecond(20_000);
  envStepsPerSecond(2);
  let best = 0;
  for (let r = 0; r < (opts.repeats ?? 3); r++) best = Math.max(best, ticksPerSecond(ticks));
  return { k8s_steps_per_s: Math.round(best), k8s_env_steps_per_s: Math.round(envStepsPerSecond(opts.episodes ?? 20)) };
}
