/**
 * The worker pool: runs planned units (units.ts) on worker threads, one unit per worker
 * at a time, each worker with its own TensorFlow.js backend instance, respecting
 * dependencies; or in this thread with `workers: 0` (tests, debugging).
 *
 * A failing unit stops the scheduling of new units; the units already running finish
 * and are recorded, then the run rejects with the first failure.
 *
 * Resume: a finished unit's result is written atomically to
 * `OUT/units/<id>.json` with its key; a later run into the same directory reuses every
 * result whose key matches and reruns the rest (an interrupted unit's half-written work
 * directory is emptied first). Results never depend on the number of workers: a unit's
 * result is a function of its seed, its input and its dependencies' results.
 *
 * Progress goes to `log` (default stderr): each start and finish, and every
 * `heartbeatSeconds` the units running with their own progress, the count finished,
 * elapsed time and an estimate of the time left (remaining cost at the observed rate
 * per unit of cost, divided by the workers). Ready units start in critical-path order
 * (the longest chain of dependent cost first), which changes when units run, never what
 * they compute.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { executorUrl, loadExecutor, type ExecutorName } from "./executors.js";
import type { ExecuteUnit, PlannedUnit, UnitContext } from "./units.js";
import { unitFileName } from "./units.js";
import { InternalError, RunError } from "../../errors.js";

export interface PoolOptions {
  outDir: string;
  /** The executor that runs the units, by its name in the registry (executors.ts); also part of every unit's key. */
  executor: ExecutorName;
  /** Worker threads; default one per core; 0 runs in this thread. */
  workers?: number;
  /** Backend each worker selects (default: the best available, or $FLASH_BACKEND). */
  backend?: string;
  /** Progress sink (default: stderr). */
  log?: (line: string) => void;
  heartbeatSeconds?: number;
  /** Label shown in progress lines. */
  label?: string;
}

/** A finished unit as stored. */
export interface UnitRecord {
  id: string;
  kind: string;
  seed: number;
  key: string;
  result: unknown;
  seconds: number;
  /** Worker index that ran it (-1: this thread); `resumed` when loaded from an earlier run. */
  worker: number;
  /** Queue runs (queue/coordinator.ts): the worker's `host/pid`. */
  host?: string;
  finishedAt: string;
  resumed?: boolean;
  /**
   * The 1-minute load average when it finished (this machine; absent in queue runs and older
   * records): the cost plan scales `seconds` by it to the time on a core of its own (plan.ts).
   */
  load?: number;
}

export interface PoolResult {
  records: Map<string, UnitRecord>;
  /** Units run now (not resumed). */
  ran: number;
  resumed: number;
  seconds: number;
  workers: number;
}

export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

export const unitsDir = (outDir: string) => path.join(outDir, "units");
export const workDirOf = (outDir: string, id: string) => path.join(outDir, "work", unitFileName(id));
const recordPath = (outDir: string, id: string) => path.join(unitsDir(outDir), `${unitFileName(id)}.json`);

/** A stored record of `unit` if its key matches, else undefined. */
export function loadRecord(outDir: string, unit: PlannedUnit): UnitRecord | undefined {
  const p = recordPath(outDir, unit.id);
  if (!existsSync(p)) return undefined;
  try {
    const r = JSON.parse(readFileSync(p, "utf8")) as UnitRecord;
    return r.key === unit.key ? r : undefined;
  } catch {
    return undefined; // a torn or foreign file: rerun the unit
  }
}

export function writeRecord(outDir: string, r: UnitRecord): void {
  mkdirSync(unitsDir(outDir), { recursive: true });
  const p = recordPath(outDir, r.id);
  const tmp = `${p}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(r) + "\n");
  renameSync(tmp, p);
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

interface Slot {
  index: number;
  worker?: Worker;
  busy?: { unit: PlannedUnit; started: number; fraction: number; message: string; resolve: (v: unknown) => void; reject: (e: Error) => void };
}

/** The records of units that finished in an earlier invocation (same key), marked resumed. */
function resumeRecords(plan: readonly PlannedUnit[], outDir: string): Map<string, UnitRecord> {
  const records = new Map<string, UnitRecord>();
  for (const u of plan) {
    const r = loadRecord(outDir, u);
    if (r) records.set(u.id, { ...r, resumed: true });
  }
  return records;
}

/** Critical path first: a unit's priority is its cost plus the costliest chain of units waiting on it. */
export function criticalPathOrder(todo: readonly PlannedUnit[]): PlannedUnit[] {
  const children = new Map<string, PlannedUnit[]>();
  for (const u of todo) for (const d of u.deps) children.set(d, [...(children.get(d) ?? []), u]);
  const chain = new Map<string, number>();
  const chainOf = (u: PlannedUnit): number => {
    let c = chain.get(u.id);
    if (c === undefined) {
      c = (u.cost ?? 1) + Math.max(0, ...(children.get(u.id) ?? []).map(chainOf));
      chain.set(u.id, c);
    }
    return c;
  };
  return todo
    .map((u, i) => ({ u, i, c: chainOf(u) }))
    .sort((a, b) => b.c - a.c || a.i - b.i)
    .map((x) => x.u);
}

/** Progress of a run: finished cost and seconds, and the status line with an ETA. */
class Progress {
  private doneCost = 0;
  private doneSeconds = 0;
  private readonly t0 = performance.now();

  constructor(
    private readonly todo: readonly PlannedUnit[],
    private readonly slots: readonly Slot[],
    private readonly pending: ReadonlySet<string>,
    private readonly finished: () => number,
  ) {}

  unitDone(u: PlannedUnit, seconds: number): void {
    this.doneCost += u.cost ?? 1;
    this.doneSeconds += seconds;
  }

  eta(): number {
    let rate = this.doneCost > 0 ? this.doneSeconds / this.doneCost : NaN;
    if (this.doneCost === 0) {
      // Before the first unit finishes: the running units' own progress.
      const now = performance.now();
      const est = this.slots
        .filter((s) => s.busy && s.busy.fraction > 0.05)
        .map((s) => (now - s.busy!.started) / 1000 / ((s.busy!.unit.cost ?? 1) * s.busy!.fraction));
      if (est.length) rate = est.reduce((a, b) => a + b, 0) / est.length;
    }
    if (Number.isNaN(rate)) return NaN;
    let remaining = 0;
    for (const u of this.todo) if (this.pending.has(u.id)) remaining += u.cost ?? 1;
    for (const s of this.slots) if (s.busy) remaining += (s.busy.unit.cost ?? 1) * (1 - s.busy.fraction);
    return (remaining * rate) / this.slots.length;
  }

  status(): string {
    const elapsed = (performance.now() - this.t0) / 1000;
    return `${this.finished()}/${this.todo.length} done, elapsed ${formatSeconds(elapsed)}, ETA ${formatSeconds(this.eta())}`;
  }

  /** Every `seconds`: the status and the running units with their progress (unref'd: it never keeps the process alive). */
  heartbeat(log: (l: string) => void, label: string, seconds: number): NodeJS.Timeout {
    const timer = setInterval(() => {
      const busy = this.slots
        .filter((s) => s.busy)
        .map((s) => `${s.busy!.unit.id} ${Math.round(100 * s.busy!.fraction)}%${s.busy!.message ? ` (${s.busy!.message})` : ""}`);
      log(`[${label}] ${this.status()}; running: ${busy.join("; ") || "none"}`);
    }, seconds * 1000);
    timer.unref();
    return timer;
  }
}

/** A fresh work directory for `u` and the results and directories of its dependencies. */
function unitContext(outDir: string, u: PlannedUnit, records: ReadonlyMap<string, UnitRecord>, onProgress: (f: number, m?: string) => void): UnitContext {
  const workDir = workDirOf(outDir, u.id);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const deps: Record<string, unknown> = {};
  const depDirs: Record<string, string> = {};
  for (const d of u.deps) {
    deps[d] = records.get(d)!.result;
    depDirs[d] = workDirOf(outDir, d);
  }
  return { outDir, workDir, deps, depDirs, progress: onProgress };
}

const workerUrl = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);

/** The slot's worker thread, started on first use; its messages settle the slot's busy unit. */
function slotWorker(slot: Slot, opts: PoolOptions, onProgress: (f: number, m?: string) => void): Worker {
  if (slot.worker) return slot.worker;
  const w = new Worker(workerUrl, { workerData: { executor: opts.executor, backend: opts.backend ?? process.env.FLASH_BACKEND ?? null } });
  w.on("message", (m: { type: string; id?: string; fraction?: number; message?: string; result?: unknown; error?: string }) => {
    const b = slot.busy;
    if (!b || m.id !== b.unit.id) return;
    if (m.type === "progress") onProgress(m.fraction ?? 0, m.message);
    else if (m.type === "done") b.resolve(m.result);
    else if (m.type === "error") b.reject(new RunError(`unit ${b.unit.id} failed: ${m.error}`));
  });
  w.on("error", (e) => slot.busy?.reject(new RunError(`worker ${slot.index} crashed running ${slot.busy.unit.id}: ${e.message}`)));
  w.on("exit", (code) => {
    slot.worker = undefined;
    if (slot.busy) slot.busy.reject(new RunError(`worker ${slot.index} exited with code ${code} while running ${slot.busy.unit.id}`));
  });
  slot.worker = w;
  return w;
}

/** Runs units on slots: on this thread (workers 0) or each slot's worker thread. */
class Executor {
  private inThread: ExecuteUnit | undefined;

  constructor(
    private readonly opts: PoolOptions,
    private readonly nWorkers: number,
    private readonly records: ReadonlyMap<string, UnitRecord>,
  ) {}

  run(slot: Slot, u: PlannedUnit): Promise<unknown> {
    return new Promise((resolve, reject) => {
      slot.busy = { unit: u, started: performance.now(), fraction: 0, message: "", resolve, reject };
      const onProgress = (f: number, m?: string) => {
        if (slot.busy) {
          slot.busy.fraction = Math.min(1, Math.max(0, f));
          slot.busy.message = m ?? "";
        }
      };
      const ctx = unitContext(this.opts.outDir, u, this.records, onProgress);
      if (this.nWorkers === 0) {
        (async () => {
          this.inThread ??= await loadExecutor(this.opts.executor);
          return this.inThread(u, ctx);
        })().then(resolve, reject);
        return;
      }
      slotWorker(slot, this.opts, onProgress).postMessage({
        type: "run",
        unit: u,
        ctx: { outDir: ctx.outDir, workDir: ctx.workDir, deps: ctx.deps, depDirs: ctx.depDirs },
      });
    });
  }
}

/** What the scheduling loop shares: the run's records, its queues and how it reports. */
interface Schedule {
  slots: Slot[];
  order: PlannedUnit[];
  pending: Set<string>;
  running: Set<string>;
  records: Map<string, UnitRecord>;
  executor: Executor;
  progress: Progress;
  opts: PoolOptions;
  nWorkers: number;
  log: (l: string) => void;
  label: string;
}

/** Start units on free slots as their dependencies finish, until none is left; rejects with the first failure once nothing runs. */
function schedule(s: Schedule): Promise<void> {
  let failure: Error | undefined;
  const ready = (u: PlannedUnit) => u.deps.every((d) => s.records.has(d));
  return new Promise<void>((resolveAll, rejectAll) => {
    const finished = (u: PlannedUnit, slot: Slot, result: unknown) => {
      const seconds = (performance.now() - slot.busy!.started) / 1000;
      slot.busy = undefined;
      s.running.delete(u.id);
      const rec: UnitRecord = {
        id: u.id,
        kind: u.kind,
        seed: u.seed,
        key: u.key,
        result,
        seconds,
        worker: s.nWorkers === 0 ? -1 : slot.index,
        finishedAt: new Date().toISOString(),
        load: os.loadavg()[0],
      };
      writeRecord(s.opts.outDir, rec);
      s.records.set(u.id, rec);
      s.progress.unitDone(u, seconds);
      s.log(`[${s.label}] done  ${u.id} in ${formatSeconds(seconds)}; ${s.progress.status()}`);
      pump();
    };
    const failed = (u: PlannedUnit, slot: Slot, err: Error) => {
      slot.busy = undefined;
      s.running.delete(u.id);
      failure ??= err;
      const others = s.running.size ? `; letting ${s.running.size} running unit(s) finish (their results are kept for resuming)` : "";
      s.log(`[${s.label}] FAILED ${u.id}: ${err.message.split("\n")[0]}${others}`);
      if (s.running.size === 0) rejectAll(failure);
    };
    const pump = () => {
      if (failure) {
        // No new units after a failure; the last running one to finish rejects the run.
        if (s.running.size === 0) rejectAll(failure);
        return;
      }
      if (s.pending.size === 0 && s.running.size === 0) return resolveAll();
      for (const slot of s.slots) {
        if (slot.busy) continue;
        const next = s.order.find((u) => s.pending.has(u.id) && ready(u));
        if (!next) break;
        s.pending.delete(next.id);
        s.running.add(next.id);
        s.log(`[${s.label}] start ${next.id}${slot.index >= 0 && s.nWorkers > 0 ? ` on worker ${slot.index}` : ""}`);
        s.executor.run(slot, next).then(
          (result) => finished(next, slot, result),
          (err: Error) => failed(next, slot, err),
        );
      }
      if (s.running.size === 0 && s.pending.size > 0 && !failure)
        rejectAll(new InternalError(`no runnable unit left; stuck: ${[...s.pending].slice(0, 5).join(", ")}`));
    };
    pump();
  });
}

/** Run `plan` (from planUnits); resolves when every unit has a record, rejects on the first failure. */
export async function runUnits(plan: readonly PlannedUnit[], opts: PoolOptions): Promise<PoolResult> {
  const t0 = performance.now();
  const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const label = opts.label ?? "run";
  const nWorkers = opts.workers ?? defaultWorkers();
  executorUrl(opts.executor); // an unknown name fails now, not in each worker thread
  const records = resumeRecords(plan, opts.outDir);
  const resumed = records.size;
  const todo = plan.filter((u) => !records.has(u.id));
  log(
    `[${label}] ${plan.length} units: ${resumed} already finished in ${opts.outDir}, ${todo.length} to run on ` +
      `${nWorkers === 0 ? "this thread" : `${Math.min(nWorkers, Math.max(1, todo.length))} worker(s)`}`,
  );
  if (todo.length === 0) return { records, ran: 0, resumed, seconds: (performance.now() - t0) / 1000, workers: nWorkers };

  const slots: Slot[] = Array.from({ length: Math.max(1, Math.min(nWorkers, todo.length)) }, (_, index) => ({ index }));
  const pending = new Set(todo.map((u) => u.id));
  const progress = new Progress(todo, slots, pending, () => records.size - resumed);
  const heartbeat = progress.heartbeat(log, label, opts.heartbeatSeconds ?? 30);
  const executor = new Executor(opts, nWorkers, records);
  try {
    await schedule({ slots, order: criticalPathOrder(todo), pending, running: new Set(), records, executor, progress, opts, nWorkers, log, label });
  } finally {
    clearInterval(heartbeat);
    await Promise.all(slots.map((s) => s.worker?.terminate()));
  }
  return { records, ran: todo.length, resumed, seconds: (performance.now() - t0) / 1000, workers: nWorkers };
}
