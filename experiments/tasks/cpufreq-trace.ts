/**
 * Figure 9's frequency traces: one evaluation episode (window `EVAL_SEED`) of a new pair
 * of a finished `flash reproduce cpufreq` run, second by second, for every Linux governor,
 * the pair's reference agent (scratch DQN) and the TL agent as pretrained (served
 * without retraining). FLASH is not traced: its embedding comes from the kit's serving
 * path, which reports only per-episode means (a per-step hook there is the missing piece).
 *
 * Output: CSV rows `policy,second,ghz,requested_ghz,utilisation,sp,power_w,reward` (ghz: the
 * frequency the cores ran; requested_ghz: what the policy asked, higher above the turbo
 * limit).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DQN } from "../../agents/dqn.js";
import { UnknownNameError } from "../../errors.js";
import { Governor, GOVERNORS } from "../../agents/baselines/governors.js";
import type { StepResult } from "../../envs/env.js";
import { workDirOf } from "../runner/pool.js";
import { dqnConfig, governorEpisode, validateCpufreqConfig } from "./cpufreq.js";
import { makeCpufreqEnv } from "./cpufreq-pairs.js";
import { EVAL_SEED, runEpisode } from "./rl-flash-kit.js";

/** Writes the traces of test pair `pair` (default the first) of the run in `runDir` to `out`; returns the rows written. */
export async function cpufreqFrequencyTraces(runDir: string, out: string, pair?: string, replicate = 0): Promise<number> {
  const file = path.join(runDir, "config.json");
  const cfg = validateCpufreqConfig((JSON.parse(readFileSync(file, "utf8")) as { taskConfig?: unknown }).taskConfig, `${file}: taskConfig`);
  const p = pair ? cfg.testPairs.find((x) => x.id === pair) : cfg.testPairs[0];
  if (!p)
    throw new UnknownNameError(
      "test pair",
      pair ?? "(first)",
      cfg.testPairs.map((x) => x.id),
      `cpufreq-trace ${runDir}`,
    );
  const rows: string[] = ["policy,second,ghz,requested_ghz,utilisation,sp,power_w,reward"];
  const record = (policy: string) => {
    let t = 0;
    return (r: StepResult) => {
      const i = r.info!;
      rows.push(
        [
          policy,
          t++,
          i.frequencyGHz,
          i.requestedGHz,
          Number(i.utilisation).toFixed(4),
          Number(i.sp).toFixed(4),
          Number(i.powerW).toFixed(2),
          r.reward.toFixed(4),
        ].join(","),
      );
    };
  };
  const env = makeCpufreqEnv(cfg, p, 0);
  for (const g of GOVERNORS) governorEpisode(env, new Governor(g, env.processor), EVAL_SEED, record(g));
  const agents: [string, string][] = [
    ["reference", workDirOf(runDir, `ref/${p.id}/r${replicate}`)],
    ["tl", workDirOf(runDir, `pretrain/tl/r${replicate}`)],
  ];
  for (const [name, dir] of agents) {
    const agent = new DQN(env, dqnConfig(cfg, 0), { seed: 0 });
    try {
      await agent.load(path.join(dir, "agent"), "cpufreq");
      runEpisode(env, EVAL_SEED, (o) => agent.predict(o, { deterministic: true }), record(name));
    } finally {
      agent.dispose();
    }
  }
  writeFileSync(out, rows.join("\n") + "\n");
  return rows.length - 1;
}
