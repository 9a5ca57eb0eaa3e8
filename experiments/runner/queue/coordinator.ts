/**
 * The coordinator of a distributed run (`flash reproduce|sweep|rerun ... --queue URL`):
 * the same planned units as the local pool (pool.ts), each enqueued as a BullMQ job once
 * its dependencies have finished, run by `flash worker` processes anywhere (worker.ts).
 * It prints the pool's progress lines (with the worker host), writes each finished unit's
 * record to `OUT/units/` and unpacks its work directory into `OUT/work/` (blobs.ts), so
 * the run directory ends as a local run's, and resolves with the pool's result.
 *
 * Resume: records in `OUT/units/` are reused as by the pool; a job id is the run id plus
 * the unit key, so a restarted coordinator finds the jobs of its previous life (finished
 * while it was away, still running, or failed: rerun) instead of enqueuing them twice.
 * Redis away longer than `graceMs` stops the run with a QueueUnreachableError naming
 * the URL; a job lost with Redis (restarted empty) is enqueued again.
 */
import os from "node:os";
import path from "node:path";
import { Job, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { formatSeconds, loadRecord, type PoolOptions, type PoolResult, type UnitRecord, workDirOf, writeRecord } from "../pool.js";
import { executorUrl } from "../executors.js";
import { hashOf, type PlannedUnit } from "../units.js";
import { packDir, RedisBlobs, unpackDir } from "./blobs.js";
import { codeVersion, openClient, parseQueueUrl, QUEUE_NAME, type QueueTarget } from "./connection.js";
import { QueueUnreachableError } from "./errors.js";
import { RunError, StateError } from "../../../errors.js";
import { RunLock } from "./lock.js";
import { checkJobResult, isJobProgress } from "./job-check.js";
import { lookAtJob } from "./job-state.js";
import { jobIdOf, type UnitJob, type UnitJobResult } from "./protocol.js";
import { QueueProgress } from "./progress.js";

export interface QueueRunOptions extends PoolOptions {
  /** redis://[USER:PASSWORD@]HOST[:PORT][/DB], or rediss:// for TLS */
  queue: string;
  /** TTL of the run's lock (default 30 s): how long a killed coordinator blocks a restart on another host. */
  lockTtlMs?: number;
  /** How long Redis may be away before the run stops (default 60 s). */
  graceMs?: number;
  /** How often job states are checked besides the events (default 2 s). */
  reconcileMs?: number;
}

/** A unit enqueued and not yet recorded. */
interface InFlight {
  unit: PlannedUnit;
  jobId: string;
  /** Set when a worker reports it has started. */
  host?: string;
  started?: number;
  fraction: number;
  message: string;
}

/** The run's id: its coordinator host and output directory (one run per directory and host). */
export const runIdOf = (outDir: string): string => hashOf({ host: os.hostname(), out: path.resolve(outDir) });

/** An error of a Redis command that did not reach Redis (as opposed to one Redis answered). */
function connectionLost(e: Error): boolean {
  const lost = /MaxRetriesPerRequest|Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|enableOfflineQueue/i;
  return lost.test(`${e.name} ${e.message}`);
}

export async function runUnitsOnQueue(plan: readonly PlannedUnit[], opts: QueueRunOptions): Promise<PoolResult> {
  const target = parseQueueUrl(opts.queue);
  executorUrl(opts.executor); // an unknown name fails now, not on every worker
  const redis = await openClient(target);
  const runId = runIdOf(opts.outDir);
  const lock = new RunLock(redis, runId, opts.outDir, opts.lockTtlMs ?? 30_000);
  try {
    await lock.acquire();
  } catch (e) {
    redis.disconnect();
    throw e;
  }
  const c = new Coordinator(plan, opts, target, redis, runId, lock);
  try {
    return await c.run();
  } finally {
    await c.close();
  }
}

class Coordinator {
  private readonly t0 = performance.now();
  private readonly log: (l: string) => void;
  private readonly label: string;
  private readonly records = new Map<string, UnitRecord>();
  private readonly pending = new Set<string>();
  private readonly inflight = new Map<string, InFlight>();
  private readonly byJob = new Map<string, string>();
  private readonly priority = new Map<string, number>();
  private readonly blobs: RedisBlobs;
  private readonly version = codeVersion();
  private readonly queue: Queue<UnitJob, UnitJobResult>;
  private events?: QueueEvents;
  private progress!: QueueProgress;
  private resumed = 0;
  private failure?: Error;
  private lostSince?: number;
  private chain: Promise<void> = Promise.resolve();
  private finish!: { resolve: () => void; reject: (e: Error) => void };
  private timers: NodeJS.Timeout[] = [];
  /** Per unit recorded now: seconds from a worker taking the job to its record here, beyond the unit's own time. */
  private readonly overheads: number[] = [];

  constructor(
    private readonly plan: readonly PlannedUnit[],
    private readonly opts: QueueRunOptions,
    private readonly target: QueueTarget,
    private readonly redis: Redis,
    private readonly runId: string,
    private readonly lock: RunLock,
  ) {
    this.log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
    this.label = opts.label ?? "run";
    this.blobs = new RedisBlobs(redis, runId);
    this.queue = new Queue(QUEUE_NAME, { connection: { ...target.redis, enableOfflineQueue: false, maxRetriesPerRequest: 1 } });
    this.queue.on("error", () => {}); // seen through the reconcile loop, which names the URL
  }

  async run(): Promise<PoolResult> {
    for (const u of this.plan) {
      const r = loadRecord(this.opts.outDir, u);
      if (r) this.records.set(u.id, { ...r, resumed: true });
    }
    this.resumed = this.records.size;
    const todo = this.plan.filter((u) => !this.records.has(u.id));
    const { outDir } = this.opts;
    const where = `on the workers of ${this.target.url}`;
    this.log(`[${this.label}] ${this.plan.length} units: ${this.resumed} already finished in ${outDir}, ${todo.length} to run ${where}`);
    const seconds = () => (performance.now() - this.t0) / 1000;
    const workers = () => this.progress?.maxParallel() ?? 0;
    const result = (): PoolResult => ({ records: this.records, ran: todo.length, resumed: this.resumed, seconds: seconds(), workers: workers() });
    if (todo.length === 0) return result();
    for (const u of todo) this.pending.add(u.id);
    this.rankByCriticalPath(todo);
    this.progress = new QueueProgress(todo, this.inflight, () => this.records.size - this.resumed, this.t0);
    this.events = new QueueEvents(QUEUE_NAME, { connection: { ...this.target.redis } });
    this.events.on("error", () => {});
    await this.events.waitUntilReady();
    this.events.on("completed", ({ jobId }) => this.serial(() => this.settle(jobId)));
    this.events.on("failed", ({ jobId }) => this.serial(() => this.settle(jobId)));
    this.events.on("progress", ({ jobId, data }) => this.onProgress(jobId, data));
    const done = new Promise<void>((resolve, reject) => (this.finish = { resolve, reject }));
    this.serial(() => this.pump());
    this.timers.push(setInterval(() => this.log(`[${this.label}] ${this.progress.line()}`), (this.opts.heartbeatSeconds ?? 30) * 1000));
    this.timers.push(setInterval(() => this.serial(() => this.reconcile()), this.opts.reconcileMs ?? 2000));
    for (const t of this.timers) t.unref();
    await done;
    await this.cleanUp();
    this.logOverhead();
    return result();
  }

  /** Critical path first, as the pool: BullMQ priority 1 is the longest chain of dependent cost. */
  private rankByCriticalPath(todo: PlannedUnit[]): void {
    const children = new Map<string, PlannedUnit[]>();
    for (const u of todo) for (const d of u.deps) children.set(d, [...(children.get(d) ?? []), u]);
    const chain = new Map<string, number>();
    const chainOf = (u: PlannedUnit): number => {
      if (!chain.has(u.id)) chain.set(u.id, (u.cost ?? 1) + Math.max(0, ...(children.get(u.id) ?? []).map(chainOf)));
      return chain.get(u.id)!;
    };
    todo
      .map((u, i) => ({ u, i, c: chainOf(u) }))
      .sort((a, b) => b.c - a.c || a.i - b.i)
      .forEach((x, rank) => this.priority.set(x.u.id, Math.min(rank + 1, 2 ** 21 - 1)));
  }

  /**
   * Run `f` after every earlier event handler: the state changes one event at a time. A
   * handler cut short by a lost connection leaves its unit in flight; the reconcile loop
   * takes it up again once Redis answers.
   */
  private serial(f: () => Promise<void>): void {
    this.chain = this.chain
      .then(f)
      .catch((e: Error) => (connectionLost(e) ? this.noteLost(e) : this.fail(e)))
      .catch((e: Error) => this.fail(e));
  }

  /** Redis did not answer: log it once; past the grace period, stop the run with the URL named. */
  private noteLost(err: Error): void {
    const now = performance.now();
    const grace = this.opts.graceMs ?? 60_000;
    const waiting = `waiting up to ${formatSeconds(grace / 1000)}`;
    if (this.lostSince === undefined) this.log(`[${this.label}] Redis at ${this.target.url} lost (${err.message}); ${waiting}`);
    this.lostSince ??= now;
    if (now - this.lostSince > grace) throw new QueueUnreachableError(this.target.url, err.message, { outDir: this.opts.outDir, finished: this.records.size });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.finish.reject(this.failure);
  }

  private onProgress(jobId: string, p: unknown): void {
    const f = this.inflight.get(this.byJob.get(jobId) ?? "");
    if (!f || !isJobProgress(p)) return;
    const where = `${p.host}#${p.slot}`;
    if (f.host !== where) {
      const again = f.host !== undefined;
      f.host = where;
      f.started = performance.now();
      this.log(`[${this.label}] start ${f.unit.id} on ${p.host} slot ${p.slot}${again ? " (again: its earlier worker stalled)" : ""}`);
    }
    f.fraction = Math.min(1, Math.max(0, p.fraction));
    f.message = p.message;
  }

  /** Enqueue every pending unit whose dependencies have records; finish when nothing is left. */
  private async pump(): Promise<void> {
    if (this.failure) return;
    if (this.pending.size === 0 && this.inflight.size === 0) return this.finish.resolve();
    const ready = this.plan.filter((u) => this.pending.has(u.id) && u.deps.every((d) => this.records.has(d)));
    for (const u of ready) {
      this.pending.delete(u.id);
      await this.enqueue(u);
    }
  }

  private async enqueue(u: PlannedUnit): Promise<void> {
    const jobId = jobIdOf(this.runId, u.key);
    this.inflight.set(u.id, { unit: u, jobId, fraction: 0, message: "" });
    this.byJob.set(jobId, u.id);
    const state = await this.queue.getJobState(jobId);
    if (state !== "unknown" && state !== "failed") return this.settle(jobId); // finished while we were away, or still queued or running
    if (state === "failed") await this.queue.remove(jobId);
    const depKeys: Record<string, string> = {};
    const deps: Record<string, unknown> = {};
    for (const d of u.deps) {
      const rec = this.records.get(d)!;
      deps[d] = rec.result;
      depKeys[d] = rec.key;
      // A dependency finished in an earlier life of the run, or Redis lost its blob: upload the run directory's copy.
      if (!(await this.blobs.has(rec.key))) await this.blobs.put(rec.key, packDir(workDirOf(this.opts.outDir, d), d));
    }
    const data: UnitJob = { runId: this.runId, version: this.version, executor: this.opts.executor, unit: u, deps, depKeys };
    await this.queue.add(u.kind, data, {
      jobId,
      priority: this.priority.get(u.id),
      // Retries are for failures around the unit (see worker.ts); a unit that throws fails at once.
      attempts: 5,
      backoff: { type: "fixed", delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
  }

  /** Look at a job of ours: record it if completed, fail the run if failed; ignore it otherwise. */
  private async settle(jobId: string): Promise<void> {
    const id = this.byJob.get(jobId);
    const f = id === undefined ? undefined : this.inflight.get(id);
    if (!f) return; // another run's job, or one already recorded: never counted twice
    // The state before the job (job-state.ts): a job read first may be the running one, its result still null.
    const { state, job } = await lookAtJob(this.queue, jobId);
    if (state !== "completed" && state !== "failed") return state === "unknown" ? this.requeue(f, "its job vanished from Redis") : undefined;
    if (!job) return this.requeue(f, "its job vanished from Redis");
    if (state === "completed") return this.record(f, job);
    this.inflight.delete(f.unit.id);
    const where = isJobProgress(job.progress) ? job.progress.host : "a worker";
    const stack = (job.stacktrace ?? []).filter(Boolean).pop();
    const err = new RunError(`unit ${f.unit.id} failed on ${where}: ${job.failedReason}${stack ? `\n${stack}` : ""}`);
    this.failure ??= err;
    const letting = this.inflight.size ? "; letting the running unit(s) finish (their results are kept for resuming)" : "";
    this.log(`[${this.label}] FAILED ${f.unit.id}: ${job.failedReason}${letting}`);
    await this.withdrawWaiting();
    if (this.inflight.size === 0) this.finish.reject(this.failure);
  }

  private async record(f: InFlight, job: Job<UnitJob, UnitJobResult>): Promise<void> {
    const r = checkJobResult(f.unit.id, job.returnvalue);
    const blob = await this.blobs.get(f.unit.key);
    if (!blob) return this.requeue(f, "its work directory is not in Redis");
    await unpackDir(blob, workDirOf(this.opts.outDir, f.unit.id));
    const u = f.unit;
    const finishedAt = new Date(job.finishedOn ?? Date.now()).toISOString();
    const rec: UnitRecord = {
      id: u.id,
      kind: u.kind,
      seed: u.seed,
      key: u.key,
      result: r.result,
      seconds: r.seconds,
      worker: r.slot,
      host: r.host,
      finishedAt,
    };
    writeRecord(this.opts.outDir, rec);
    this.records.set(u.id, rec);
    this.inflight.delete(u.id);
    if (job.processedOn) this.overheads.push((Date.now() - job.processedOn) / 1000 - r.seconds);
    this.progress.finished(u, r.seconds, `${r.host}#${r.slot}`);
    this.log(`[${this.label}] done  ${u.id} in ${formatSeconds(r.seconds)} on ${r.host}; ${this.progress.status()}`);
    if (this.failure) {
      if (this.inflight.size === 0) this.finish.reject(this.failure);
      return;
    }
    await this.pump();
  }

  private async requeue(f: InFlight, why: string): Promise<void> {
    this.log(`[${this.label}] ${f.unit.id}: ${why}; enqueuing it again`);
    const old = await Job.fromId(this.queue, f.jobId);
    if (old) await old.remove();
    await this.enqueue(f.unit);
  }

  /** After a failure: take back the units no worker has started (the pool starts no new unit either). */
  private async withdrawWaiting(): Promise<void> {
    for (const f of [...this.inflight.values()]) {
      const job = await Job.fromId(this.queue, f.jobId);
      const state = job ? await job.getState() : "unknown";
      if (job && (state === "waiting" || state === "prioritized" || state === "delayed")) await job.remove();
      if (state !== "active" && state !== "completed") this.inflight.delete(f.unit.id);
    }
  }

  /** Events can be missed (Redis away, coordinator restart): check every job in flight; watch the connection and the lock. */
  private async reconcile(): Promise<void> {
    try {
      if (!(await this.lock.renew())) throw new StateError("another coordinator took this run's lock");
      for (const f of [...this.inflight.values()]) await this.settle(f.jobId);
      await this.pump(); // units a handler cut short by a lost connection left pending
      if (this.lostSince !== undefined) this.log(`[${this.label}] Redis at ${this.target.url} is back; going on`);
      this.lostSince = undefined;
    } catch (e) {
      if (!connectionLost(e as Error)) throw e;
      this.noteLost(e as Error);
    }
  }

  /** What the queue added per unit (fetching dependencies, packing, Redis round trips, collecting): for `docs/distributed.md`'s overhead figures. */
  private logOverhead(): void {
    const o = this.overheads;
    if (o.length === 0) return;
    const mean = o.reduce((a, b) => a + b, 0) / o.length;
    const unitMean = [...this.records.values()].filter((r) => !r.resumed).reduce((a, r) => a + r.seconds, 0) / o.length;
    const max = Math.max(...o);
    const of = `over ${o.length} units of mean ${unitMean.toFixed(2)}s`;
    this.log(`[${this.label}] queue overhead per unit: mean ${mean.toFixed(3)}s, max ${max.toFixed(3)}s, ${of}`);
  }

  /** A finished run leaves nothing in Redis: its jobs and blobs go (the run directory holds the work directories). */
  private async cleanUp(): Promise<void> {
    // Every unit, not only those run now: a coordinator killed after recording a unit left its job behind.
    for (const u of this.plan) await (await Job.fromId(this.queue, jobIdOf(this.runId, u.key)))?.remove();
    await this.blobs.delete(this.plan.map((u) => u.key));
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.chain.catch(() => {});
    // Closing waits on Redis; when it is away, do not hang on it.
    const giveUp = new Promise((r) => setTimeout(r, 2000).unref());
    await Promise.race([Promise.allSettled([this.lock.release(), this.events?.close(), this.queue.close()]), giveUp]);
    // BullMQ's clients reconnect forever: without this a run stopped by a lost Redis would keep the process alive.
    await Promise.race([Promise.allSettled([this.events?.disconnect(), this.queue.disconnect()]), giveUp]);
    this.redis.disconnect();
  }
}
