/**
 * `--plan`: resolve a run as `flash reproduce|sweep|rerun` would (run-rl.ts `prepareRl`),
 * find the rates (the finished units of `--timings DIR`, of the resumed run directory, or
 * a calibration for whatever they lack: calibrate.ts), and return the plan's lines
 * (plan.ts). Runs no unit and writes no file.
 */
import os from "node:os";
import { selectBackend } from "../../flash/backend.js";
import { calibrate, type EpisodeRates } from "./calibrate.js";
import { estimateUnits, finishedIds, mergeRates, missingGroups, planLines, ratesFromRun, storedRecords } from "./plan.js";
import { defaultWorkers } from "./pool.js";
import { prepareRl, rerunOptions, type RlRunOptions } from "./run-rl.js";

export interface PlanSources {
  /** The run directory a rerun would resume (its finished units are not left to run; their timings are used). */
  resumeDir?: string;
  /** A run directory whose finished units give the per-episode costs (`--timings DIR`). */
  timings?: string;
  log?: (line: string) => void;
}

/** The lines `--plan` prints for run `o`. */
export async function planRun(o: RlRunOptions, src: PlanSources = {}): Promise<string[]> {
  const log = src.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const run = await prepareRl(o);
  const backend = await selectBackend(o.backend ?? undefined);
  const resumed = src.resumeDir ? storedRecords(src.resumeDir) : new Map();
  const done = finishedIds(run.plan, resumed);
  // Rates: --timings DIR, else the resumed directory's own finished units; a calibration fills the gaps.
  const timingsDir = src.timings ?? (resumed.size ? src.resumeDir : undefined);
  let rates: EpisodeRates | null = null;
  if (timingsDir) {
    const t = timingsDir === src.resumeDir ? run : await prepareRl(rerunOptions(timingsDir));
    rates = ratesFromRun(t.plan, timingsDir === src.resumeDir ? resumed : storedRecords(timingsDir), run.task, timingsDir);
  }
  let estimates = estimateUnits(run.plan, run.task, rates ?? { perEpisode: {}, perDistinctPair: 0, perEval: null, overhead: {}, source: "" }, done);
  if (!rates || missingGroups(estimates).length) {
    log(`plan: calibrating per-episode costs on this machine (about a minute or two; load average ${os.loadavg()[0].toFixed(1)})`);
    const cal = await calibrate(run.task, run.cfg, { log });
    rates = rates ? mergeRates(rates, cal) : cal;
    estimates = estimateUnits(run.plan, run.task, rates, done);
  }
  const c = run.config;
  const workers = o.workers ?? defaultWorkers();
  const what =
    c.command === "sweep"
      ? `sweep over pool sizes ${c.poolSizes?.join(", ")}, ${c.pretrainPerPair ? `${c.pretrainPerPair} pretraining episodes per pool pair` : "a fixed total pretraining budget"}`
      : "reproduction";
  const cpu = os.cpus();
  const machine = `${cpu[0]?.model ?? "?"}, ${cpu.length} cores, backend ${backend.name}, Node ${process.version}`;
  return planLines(`plan: ${c.task} ${what} (profile ${c.profile}), ${c.seeds} replicate(s), run seed ${c.seed}`, run.plan, estimates, rates, workers, machine);
}
