/**
 * A finished `flash reproduce` run read back by a figure command (congestion-timeseries,
 * cpufreq-trace): the task config of one replicate, validated by the task, the seed its A/B
 * unit served with, and the work directories of its units (the models they saved). The
 * wrong folder is a usage error that says what it is; a unit that has not finished is a
 * data error naming it.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataError, MissingPathError, OptionValueError, UsageError } from "../../errors.js";
import { loadRunConfig } from "../runner/config.js";
import { workDirOf } from "../runner/pool.js";
import { deriveSeed } from "../runner/units.js";
import type { RlTask, ServedStep, ServeVariant } from "../tasks/types.js";

export interface FinishedRun<C> {
  dir: string;
  replicate: number;
  /** The replicate's task config (each replicate may have its own pairs), as the task validated it. */
  cfg: C;
  /** The seed the replicate's A/B unit served with (units.ts: from the run seed and the unit id), so a figure serves what the A/B test served. */
  abSeed: number;
  /** The work directory of unit `id` (e.g. "pretrain/flash/r0"), which must hold a saved agent; an error if it does not. */
  modelDir(id: string): string;
}

/** `p` must exist (`dir`: and be a folder), else a usage error naming `option` and what it expects. */
export function existingPath(option: string, p: string, expected: string, dir = false): string {
  if (!existsSync(p) || (dir && !statSync(p).isDirectory())) throw new MissingPathError(p, `${option} "${p}" does not exist (expected ${expected})`);
  return p;
}

/** Replicate `replicate` of the run in `dir`, which must be a run of `task`; `validate` is the task's config check. */
export function finishedRun<C>(dir: string, task: string, validate: (raw: unknown, where: string) => C, replicate = 0, option = "--run"): FinishedRun<C> {
  existingPath(option, dir, `a finished run folder of flash reproduce ${task}`, true);
  const run = loadRunConfig(dir);
  if (run.task !== task) throw new UsageError(`${option} ${dir}: a ${run.task} run; expected a run of flash reproduce ${task}`);
  if (replicate >= run.seeds) throw new OptionValueError("--replicate", `a replicate of the run, 0..${run.seeds - 1}`, replicate);
  // A task that draws each replicate's own pairs records them; otherwise every replicate has the run's pairs.
  const own = replicate > 0 ? run.replicateConfigs?.[replicate - 1] : undefined;
  const where = `${path.join(dir, "config.json")}: ${own ? `replicateConfigs[${replicate - 1}]` : "taskConfig"}`;
  const raw = own ?? run.taskConfig;
  return {
    dir,
    replicate,
    cfg: validate(raw, where),
    abSeed: deriveSeed(run.seed, `ab/r${replicate}`),
    modelDir(id) {
      const work = workDirOf(dir, id);
      if (!existsSync(path.join(work, "agent")))
        throw new DataError(`${dir}: unit ${id} has no saved agent in ${work}; has the run finished it? (flash rerun ${dir} resumes)`);
      return work;
    },
  };
}

/** A model of the run served step by step: its label in a figure, how it is served, and the unit that trained it. */
export interface ServedLine {
  label: string;
  variant: ServeVariant;
  /** The unit whose saved model is served, e.g. "pretrain/flash/r0". */
  unit: string;
  /** "original": the pair the model was trained on. */
  trainedOn?: string;
}

/**
 * Each line's model served on `pair` as the A/B test serves it (`RlTask.serve`, the
 * replicate's A/B seed; FLASH builds the pair's embedding from its context episodes first),
 * returning the first evaluation episode step by step (`recordSteps`).
 */
export async function servedSteps(
  task: RlTask,
  run: FinishedRun<unknown>,
  cfg: object,
  pair: string,
  lines: readonly ServedLine[],
): Promise<{ label: string; steps: ServedStep[] }[]> {
  const models = lines.map((l) => run.modelDir(l.unit)); // every model first: a missing one fails before anything runs
  const tmp = mkdtempSync(path.join(os.tmpdir(), "flash-served-"));
  try {
    const out: { label: string; steps: ServedStep[] }[] = [];
    for (const [i, l] of lines.entries()) {
      const [r] = await task.serve(cfg as Record<string, unknown>, {
        variant: l.variant,
        modelDir: models[i],
        ...(l.trainedOn ? { trainedOn: l.trainedOn } : {}),
        pairs: [pair],
        seed: run.abSeed,
        workDir: tmp,
        recordSteps: true,
      });
      out.push({ label: l.label, steps: r.steps ?? [] });
    }
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
