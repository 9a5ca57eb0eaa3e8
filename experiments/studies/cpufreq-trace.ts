/**
 * Figure 9's frequency traces: one evaluation episode (window `EVAL_SEED`) of a new pair
 * of a finished `flash reproduce cpufreq` run, second by second, for every Linux governor,
 * the pair's reference agent (scratch DQN) and the TL agent as pretrained (served
 * without retraining). FLASH is not traced: its embedding comes from the kit's serving
 * path, which reports only per-episode means (a per-step hook there is the missing piece).
 *
 * Output: CSV rows `policy,second,ghz,utilisation,sp,power_w,reward`.
 */
import { writeFileSync } from "node:fs";
import { DQN } from "../../agents/dqn.js";
import { UnknownNameError } from "../../errors.js";
import { Governor, GOVERNORS } from "../../agents/baselines/governors.js";
import type { StepResult } from "../../envs/env.js";
import { dqnConfig, governorEpisode, validateCpufreqConfig } from "../tasks/cpufreq.js";
import { makeCpufreqEnv } from "../tasks/cpufreq-pairs.js";
import { EVAL_SEED, runEpisode } from "../tasks/rl-flash-kit.js";
import { writeTimePanels } from "./time-panels.js";
import { finishedRun } from "./finished-run.js";

/** Writes the traces of test pair `pair` (default the first) of the run in `runDir` to `out`; returns the rows written. */
export async function cpufreqFrequencyTraces(runDir: string, out: string, pair?: string, replicate = 0): Promise<number> {
  const run = finishedRun(runDir, "cpufreq", validateCpufreqConfig);
  const cfg = run.cfg;
  const p = pair ? cfg.testPairs.find((x) => x.id === pair) : cfg.testPairs[0];
  if (!p)
    throw new UnknownNameError(
      "test pair",
      pair ?? "(first)",
      cfg.testPairs.map((x) => x.id),
      `cpufreq-trace ${runDir}`,
    );
  const rows: string[] = ["policy,second,ghz,utilisation,sp,power_w,reward"];
  const record = (policy: string) => {
    let t = 0;
    return (r: StepResult) => {
      const i = r.info!;
      rows.push(
        [policy, t++, i.frequencyGHz, Number(i.utilisation).toFixed(4), Number(i.sp).toFixed(4), Number(i.powerW).toFixed(2), r.reward.toFixed(4)].join(","),
      );
    };
  };
  const env = makeCpufreqEnv(cfg, p, 0);
  for (const g of GOVERNORS) governorEpisode(env, new Governor(g, env.processor), EVAL_SEED, record(g));
  const agents: [string, string][] = [
    ["reference", run.agentDir(`ref/${p.id}/r${replicate}`)],
    ["tl", run.agentDir(`pretrain/tl/r${replicate}`)],
  ];
  for (const [name, dir] of agents) {
    const agent = new DQN(env, dqnConfig(cfg, 0), { seed: 0 });
    try {
      await agent.load(dir, "cpufreq");
      runEpisode(env, EVAL_SEED, (o) => agent.predict(o, { deterministic: true }), record(name));
    } finally {
      agent.dispose();
    }
  }
  writeFileSync(out, rows.join("\n") + "\n");
  return rows.length - 1;
}

/**
 * The figure of the traces (Figure 9's panels): frequency and power over the episode's
 * seconds, one line per policy, from the CSV `cpufreqFrequencyTraces` wrote (read by its
 * header, so added columns do not move it). Writes `<outDir>/frequency-traces.{vl.json,svg,png}`.
 */
export async function writeFrequencyFigure(outDir: string, csv: string): Promise<void> {
  const [header, ...lines] = csv.trim().split("\n");
  const col = (name: string) => header.split(",").indexOf(name);
  const [policy, second, ghz, power] = [col("policy"), col("second"), col("ghz"), col("power_w")];
  const values = lines.flatMap((l) => {
    const f = l.split(",");
    return [
      { policy: f[policy], x: Number(f[second]), panel: "frequency (GHz)", value: Number(f[ghz]) },
      { policy: f[policy], x: Number(f[second]), panel: "power (W)", value: Number(f[power]) },
    ];
  });
  await writeTimePanels(outDir, "frequency-traces", "One evaluation episode per policy", "time (s)", values);
}
