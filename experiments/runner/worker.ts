/**
 * A pool worker (pool.ts): selects its own TensorFlow.js backend, loads its executor
 * once (by name, from the registry in executors.ts: a thread never imports a module it
 * was handed), then runs one unit per "run" message and answers "done" or "error",
 * with "progress" messages in between.
 */
import { parentPort, workerData } from "node:worker_threads";
import { selectBackend } from "../../flash/backend.js";
import { loadExecutor } from "./executors.js";
import type { ExecuteUnit, PlannedUnit, UnitContext } from "./units.js";

interface Data {
  /** A name in the executor registry. */
  executor: string;
  backend: string | null;
}

const data = workerData as Data;
const port = parentPort!;
let executor: Promise<ExecuteUnit> | undefined;

async function load(): Promise<ExecuteUnit> {
  await selectBackend(data.backend ?? undefined);
  return loadExecutor(data.executor);
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
