/**
 * Figure 9's frequency traces: one evaluation episode (window `EVAL_SEED`) of a new pair
 * of a finished `flash reproduce cpufreq` run, second by second, for every Linux governor,
 * the pair's reference agent (scratch DQN), the TL agent and FLASH as pretrained (served
 * without retraining, as the A/B test serves them: `RlTask.serve` with the replicate's A/B
 * seed and `recordSteps`; FLASH first embeds the pair from its context episodes). The
 * governors run on the same environment and window.
 *
 * Output: CSV rows `policy,second,ghz,requested_ghz,utilisation,sp,power_w,reward` (ghz: the
 * frequency the cores ran; requested_ghz: what the policy asked, higher above the turbo
 * limit).
 */
import { writeFileSync } from "node:fs";
import { UnknownNameError } from "../../errors.js";
import { Governor, GOVERNORS } from "../../agents/baselines/governors.js";
import type { StepResult } from "../../envs/env.js";
import { governorEpisode, validateCpufreqConfig } from "../tasks/cpufreq.js";
import { rlTask } from "../tasks/index.js";
import { makeCpufreqEnv } from "../tasks/cpufreq-pairs.js";
import { EVAL_SEED } from "../tasks/rl-flash-kit.js";
import { writeTimePanels } from "./time-panels.js";
import { finishedRun, servedSteps } from "./finished-run.js";

/** Writes the traces of test pair `pair` (default the first) of the run in `runDir` to `out`; returns the rows written. */
export async function cpufreqFrequencyTraces(runDir: string, out: string, pair?: string, replicate = 0): Promise<number> {
  const run = finishedRun(runDir, "cpufreq", validateCpufreqConfig, replicate);
  const cfg = run.cfg;
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
  const env = makeCpufreqEnv(cfg, p, run.abSeed);
  for (const g of GOVERNORS) governorEpisode(env, new Governor(g, env.processor), EVAL_SEED, record(g));
  const k = run.replicate;
  const served = await servedSteps(await rlTask("cpufreq"), run, cfg, p.id, [
    { label: "reference", variant: "original", unit: `ref/${p.id}/r${k}`, trainedOn: p.id },
    { label: "tl", variant: "tl", unit: `pretrain/tl/r${k}` },
    { label: "flash", variant: "flash", unit: `pretrain/flash/r${k}` },
  ]);
  for (const { label, steps } of served) {
    const on = record(label);
    for (const step of steps) on({ reward: step.reward, info: step.info } as StepResult);
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
