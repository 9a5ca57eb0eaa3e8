/**
 * Worker threads for `flash worker`: each runs the local pool's own worker module
 * (../worker.ts: its backend selection, executor loading by name and messages), so a unit runs
 * on the same code path on a queue worker as in the local pool, and a long unit never
 * blocks the event loop that renews the job's lock in Redis.
 */
import { Worker } from "node:worker_threads";
import type { ExecutorName } from "../executors.js";
import type { PlannedUnit, UnitContext } from "../units.js";
import { InternalError, RunError } from "../../../errors.js";

type Ctx = Omit<UnitContext, "progress">;
interface Busy {
  id: string;
  onProgress: (fraction: number, message?: string) => void;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}
interface Thread {
  index: number;
  worker?: Worker;
  /** The executor (its registry name) the thread loaded; a job with another gets a fresh thread. */
  executor?: ExecutorName;
  busy?: Busy;
}

export class UnitThreads {
  private readonly threads: Thread[];
  private readonly poolWorker = new URL(import.meta.url.endsWith(".ts") ? "../worker.ts" : "../worker.js", import.meta.url);

  constructor(
    size: number,
    private readonly backend: string | null,
  ) {
    this.threads = Array.from({ length: size }, (_, index) => ({ index }));
  }

  /** A free thread's index (BullMQ never hands out more jobs than the concurrency, which is the size). */
  acquire(): number {
    const t = this.threads.find((x) => !x.busy);
    if (!t) throw new InternalError("no free worker thread: more jobs than the concurrency");
    t.busy = { id: "", onProgress: () => {}, resolve: () => {}, reject: () => {} };
    return t.index;
  }

  /** Run `unit` on thread `index` (from acquire); the thread is free again when this settles. */
  async run(index: number, executor: ExecutorName, unit: PlannedUnit, ctx: Ctx, onProgress: Busy["onProgress"]): Promise<unknown> {
    const t = this.threads[index];
    if (t.worker && t.executor !== executor) {
      const old = t.worker;
      t.worker = undefined;
      await old.terminate();
    }
    return new Promise<unknown>((resolve, reject) => {
      t.busy = { id: unit.id, onProgress, resolve, reject };
      this.spawn(t, executor).postMessage({ type: "run", unit, ctx });
    }).finally(() => {
      t.busy = undefined;
    });
  }

  release(index: number): void {
    this.threads[index].busy = undefined;
  }

  private spawn(t: Thread, executor: ExecutorName): Worker {
    if (t.worker) return t.worker;
    const w = new Worker(this.poolWorker, { workerData: { executor, backend: this.backend } });
    t.executor = executor;
    w.on("message", (m: { type: string; id?: string; fraction?: number; message?: string; result?: unknown; error?: string }) => {
      const b = t.busy;
      if (!b || m.id !== b.id) return;
      if (m.type === "progress") b.onProgress(m.fraction ?? 0, m.message);
      else if (m.type === "done") b.resolve(m.result);
      else if (m.type === "error") b.reject(Object.assign(new RunError(m.error?.split("\n")[0] ?? "unknown error"), { stack: m.error }));
    });
    w.on("error", (e) => t.busy?.reject(new RunError(`worker thread ${t.index} crashed running ${t.busy.id}: ${e.message}`)));
    w.on("exit", (code) => {
      if (t.worker !== w) return; // replaced on purpose
      t.worker = undefined;
      t.busy?.reject(new RunError(`worker thread ${t.index} exited with code ${code} while running ${t.busy.id}`));
    });
    t.worker = w;
    return w;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker?.terminate()));
  }
}
