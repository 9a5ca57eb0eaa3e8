/**
 * A finished `flash reproduce` run read back by a figure command (congestion-timeseries,
 * cpufreq-trace): its task config, validated by the task, and the work directories of its
 * units (the agents they saved). The wrong folder is a usage error that says what it is;
 * a unit that has not finished is a data error naming it.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { DataError, MissingPathError, UsageError } from "../../errors.js";
import { loadRunConfig } from "../runner/config.js";
import { workDirOf } from "../runner/pool.js";

export interface FinishedRun<C> {
  dir: string;
  /** The run's task config, as the task validated it. */
  cfg: C;
  /** The folder where unit `id` (e.g. "ref/<pair>/r0") saved its agent; an error if it has not. */
  agentDir(id: string): string;
}

/** `p` must exist (`dir`: and be a folder), else a usage error naming `option` and what it expects. */
export function existingPath(option: string, p: string, expected: string, dir = false): string {
  if (!existsSync(p) || (dir && !statSync(p).isDirectory())) throw new MissingPathError(p, `${option} "${p}" does not exist (expected ${expected})`);
  return p;
}

/** The run in `dir`, which must be a run of `task`; `validate` is the task's config check. */
export function finishedRun<C>(dir: string, task: string, validate: (raw: unknown, where: string) => C, option = "--run"): FinishedRun<C> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new MissingPathError(dir, `${option} "${dir}" does not exist (expected a finished run folder of flash reproduce ${task})`);
  const run = loadRunConfig(dir);
  if (run.task !== task) throw new UsageError(`${option} ${dir}: a ${run.task} run; expected a run of flash reproduce ${task}`);
  const cfg = validate(run.taskConfig, `${path.join(dir, "config.json")}: taskConfig`);
  return {
    dir,
    cfg,
    agentDir(id) {
      const agent = path.join(workDirOf(dir, id), "agent");
      if (!existsSync(agent)) throw new DataError(`${dir}: unit ${id} has no saved agent (${agent}); has the run finished it? (flash rerun ${dir} resumes)`);
      return agent;
    },
  };
}
