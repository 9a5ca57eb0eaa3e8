/**
 * The task registry: `flash reproduce <task>`, `flash tasks`, `flash golden`, `flash bench`
 * and the pool workers find a task here by name. It holds one descriptor per case study
 * (case-study.ts): an RL task on the shared protocols gives an `rl` loader, a task with
 * its own reproduction (the supervised rcs task) a `reproduce` function, and either may
 * give its golden run and its benchmark.
 *
 * Adding a case study: its files (simulator, environment, task, descriptor) and one line
 * in `CASE_STUDIES`.
 */
import type { RlTask } from "./types.js";
import type { CaseStudy } from "./case-study.js";
import { UnknownNameError, UsageError } from "../../errors.js";
import { autoscalingCaseStudy } from "./autoscaling-case.js";
import { congestionCaseStudy } from "./congestion-case.js";
import { cpufreqCaseStudy } from "./cpufreq-case.js";
import { pendulumFamilyCaseStudy } from "./pendulum-family-case.js";
import { rcsCaseStudy } from "./rcs-case.js";

/** Every case study, in the order `flash tasks` lists them. */
export const CASE_STUDIES: readonly CaseStudy[] = [pendulumFamilyCaseStudy, autoscalingCaseStudy, cpufreqCaseStudy, congestionCaseStudy, rcsCaseStudy];

/** A registry entry: a case study without its name (the registry's key). */
export type TaskEntry = Omit<CaseStudy, "name">;

const registry = new Map<string, CaseStudy>(CASE_STUDIES.map((c) => [c.name, c]));

/** Register (or replace) a task at run time (tests register fakes); a built-in case study belongs in `CASE_STUDIES`. */
export function registerTask(name: string, entry: TaskEntry): void {
  if (!entry.rl && !entry.reproduce) throw new UsageError(`registerTask(${name}): give an rl loader or a reproduce function`);
  registry.set(name, { ...entry, name });
}

export function taskNames(): string[] {
  return [...registry.keys()];
}

export function taskEntry(name: string): CaseStudy {
  const e = registry.get(name);
  if (!e) throw new UnknownNameError("task", name, taskNames());
  return e;
}

/** The RL task `name`; an error if it is unknown or not an RL task. */
export async function rlTask(name: string): Promise<RlTask> {
  const e = taskEntry(name);
  if (!e.rl) throw new UsageError(`task "${name}" has its own reproduction, not the RL protocols`);
  return e.rl();
}
