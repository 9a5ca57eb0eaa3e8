/**
 * A pool worker (pool.ts): selects its own TensorFlow.js backend, loads the executor
 * module once, then runs one unit per "run" message and answers "done" or "error",
 * with "progress" messages in between.
 */
import { parentPort, workerData } from "node:worker_threads";
import { selectBackend } from "../../flash/backend.js";
import type { ExecuteUnit, PlannedUnit, UnitContext } from "./units.js";
import { InternalError } from "../../errors.js";

interface Data {
  executorUrl: string;
  backend: string | null;
}

const data = workerData as Data;
const port = parentPort!;
let executor: Promise<ExecuteUnit> | undefined;

async function load(): Promise<ExecuteUnit> {
  await selectBackend(data.backend ?? undefined);
  const mod = (await import(data.executorUrl)) as { executeUnit?: ExecuteUnit };
  if (typeof mod.executeUnit !== "function") throw new InternalError(`executor ${data.executorUrl} does not export executeUnit`);
  return mod.executeUnit;
}

port.on("message", (m: { type: string; unit: PlannedUnit; ctx: Omit<UnitContext, "progress"> }) => {
  if (m.type !== "run") return;
  const id = m.unit.id;
  executor ??= load();
  executor
    .then((run) => run(m.unit, { ...m.ctx, progress: (fraction, message) => port.postMessage({ type: "progress", id, fraction, message }) }))
    .then(
      (result) => port.postMessage({ type: "done", id, result }),
      (err: unknown) => port.postMessage({ type: "error", id, error: err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err) }),
    );
});
