/**
 * The harness's executors, by name: the only modules a unit can run in, in the local
 * pool's threads, in this thread (`workers: 0`) and on `flash worker` processes alike.
 * A plan names its executor; every process resolves the name here, to a module of its
 * own installed code. So a name that travelled through Redis cannot make a worker import
 * anything else: not a `data:` or `http:` URL, not a file elsewhere, not a path climbing
 * out of the code root (issue 23: jobs used to carry a module location).
 *
 * The table is fixed and its modules sit beside this file (the paths are literals
 * resolved against this module's own URL, so inside the package wherever it is
 * installed, from source or from dist/). They are located, not imported, here: the
 * protocols sit above the runner and import it. A name is part of every unit's key
 * (units.ts): bump its `@N` when what an executor computes changes.
 */
import { InternalError, UnknownNameError } from "../../errors.js";
import type { ExecuteUnit } from "./units.js";

const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** Each executor's module, relative to this file, without extension. */
const MODULES = {
  /** The paper's protocols on an RL task (experiments/protocols/rl-reproduce.ts). */
  "rl-protocols@1": "../protocols/rl-reproduce",
  /** The runner's tests and a worker set-up's smoke test: seeded numbers, no TensorFlow.js. */
  "testing@1": "./testing-executor",
} as const satisfies Record<string, string>;

export type ExecutorName = keyof typeof MODULES;

export const EXECUTOR_NAMES = Object.keys(MODULES) as readonly ExecutorName[];

/** Whether `v` names one of the harness's executors (own keys only: "__proto__" or "toString" are not names). */
export function isExecutorName(v: unknown): v is ExecutorName {
  return typeof v === "string" && Object.hasOwn(MODULES, v);
}

/** The module URL of executor `name`, or an UnknownNameError listing the executors. */
export function executorUrl(name: string): URL {
  if (!isExecutorName(name)) {
    const shown = name.length > 100 ? `${name.slice(0, 100)}...` : name;
    throw new UnknownNameError("executor", shown, EXECUTOR_NAMES);
  }
  return new URL(MODULES[name] + ext, import.meta.url);
}

/** Executor `name`'s `executeUnit`, imported from its module. */
export async function loadExecutor(name: string): Promise<ExecuteUnit> {
  const mod = (await import(executorUrl(name).href)) as { executeUnit?: ExecuteUnit };
  if (typeof mod.executeUnit !== "function") throw new InternalError(`executor ${name} (${executorUrl(name).href}) does not export executeUnit`);
  return mod.executeUnit;
}
