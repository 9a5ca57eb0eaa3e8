/**
 * Speed of the DVFS server simulator (requirement: >= 1,000,000 simulated server-seconds
 * per second of wall time). One server-second is one `CpuServer.step()`: arrivals, the
 * queue, utilisation, IPS, the M/M/c p99, power and the noisy counters. Four generated
 * applications on the three built-in processors, the frequency changing every step.
 * Best of `repeats` runs after a warm-up, so JIT compilation is not counted. Also the
 * environment's steps per second (observation and reward on top).
 */
import { CpufreqEnv } from "../../envs/cpufreq/env.js";
import { builtinProcessorNames, processorByName } from "../../sim/cpufreq/processor.js";
import { CpuServer, emptySample } from "../../sim/cpufreq/server.js";
import { compileWorkload, meanRequestRate } from "../../sim/cpufreq/workload.js";
import { generateApplications } from "../../sim/k8s/generate.js";
import { syntheticTrace } from "../../traces/synthetic.js";

export interface CpufreqBench {
  cpufreq_server_seconds_per_s: number;
  cpufreq_env_steps_per_s: number;
}

function serverSecondsPerSecond(steps: number): number {
  const apps = generateApplications(0, 4);
  let done = 0;
  let wall = 0;
  for (const name of builtinProcessorNames()) {
    const p = processorByName(name);
    for (const app of apps) {
      const w = compileWorkload(app, p);
      const m = meanRequestRate(w, 0.35);
      const rates = Float64Array.from({ length: 3600 }, (_, i) => m * (1 + 0.5 * Math.sin(i / 60)));
      const s = new CpuServer({ processor: p, workload: w, rates, seed: 1 });
      const out = emptySample();
      const n = p.levels.length;
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) {
        s.setFrequency(p.levels[i % n]);
        s.step(out);
      }
      wall += performance.now() - t0;
      done += steps;
    }
  }
  return done / (wall / 1000);
}

function envStepsPerSecond(episodes: number): number {
  const env = new CpufreqEnv({
    app: generateApplications(0, 1)[0],
    processor: processorByName("xeon-e5-2683v3"),
    trace: syntheticTrace({ seed: 0, seconds: 3600, stepSeconds: 1 }),
    seed: 0,
  });
  const t0 = performance.now();
  let steps = 0;
  for (let e = 0; e < episodes; e++) {
    env.reset();
    for (let i = 0; i < env.maxEpisodeSteps; i++, steps++) env.step([i % 8]);
  }
  return steps / ((performance.now() - t0) / 1000);
}

export async function benchCpufreq(opts: { steps?: number; repeats?: number; episodes?: number } = {}): Promise<CpufreqBench> {
  serverSecondsPerSecond(20_000);
  envStepsPerSecond(5);
  let best = 0;
  for (let r = 0; r < (opts.repeats ?? 3); r++) best = Math.max(best, serverSecondsPerSecond(opts.steps ?? 200_000));
  return { cpufreq_server_seconds_per_s: best, cpufreq_env_steps_per_s: envStepsPerSecond(opts.episodes ?? 200) };
}
