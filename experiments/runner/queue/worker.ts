/**
 * `flash worker --queue redis://[USER:PASSWORD@]HOST[:PORT][/DB]`: takes units from the
 * queue and runs them on worker threads with the local pool's worker module
 * (threads.ts), any number of these on any number of machines. Per job: check the whole
 * payload and refuse a malformed one, or one whose executor is not a name in the
 * registry (job-check.ts; anyone who can write to Redis can add jobs); refuse it if the
 * coordinator runs other code; fetch the dependencies' work directories (blobs.ts,
 * dep-cache.ts); run the unit in an empty work directory, reporting where it runs and
 * its progress; pack the work directory into a blob for the coordinator and the
 * dependents; return the result.
 *
 * A killed worker's job is not lost: its lock in Redis lapses after `lockMs`, and
 * BullMQ's stall check in the remaining workers puts it back in the queue. A unit that
 * throws fails its job for good (UnrecoverableError); a failure around it (Redis away
 * while fetching a dependency, say) is retried by BullMQ (the job's `attempts`).
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { packDir, RedisBlobs } from "./blobs.js";
import { codeVersion, openClient, parseQueueUrl, QUEUE_NAME } from "./connection.js";
import { DepCache } from "./dep-cache.js";
import { QueueBadBlobError, QueueVersionError } from "./errors.js";
import { checkUnitJob } from "./job-check.js";
import { type UnitJob, type UnitJobProgress, type UnitJobResult, workerHost } from "./protocol.js";
import { UnitThreads } from "./threads.js";
import { unitFileName } from "../units.js";

export interface QueueWorkerOptions {
  queue: string;
  /** Units at once (one worker thread each); default 1. */
  concurrency?: number;
  /** TensorFlow.js backend of every thread (default: the best available, or $FLASH_BACKEND). */
  backend?: string | null;
  /** Scratch space for work and dependency directories (default: a fresh one under the OS temp dir). */
  scratch?: string;
  /** How long a job's lock lives without renewal: a killed worker's unit is retried after about this (default 30 s). */
  lockMs?: number;
  /** How often the stall check runs (default 15 s). */
  stalledMs?: number;
  log?: (line: string) => void;
}

export interface QueueWorkerHandle {
  /** Stop taking jobs, let the running ones finish, clean up. */
  close(): Promise<void>;
}

/** Progress goes to Redis at most this often per job: executors may report every episode. */
const PROGRESS_EVERY_MS = 1000;

const SCRATCH_PREFIX = "flash-worker-";

/** Scratch directories of workers on this machine that were killed (kill -9 skips the clean-up). */
function removeDeadScratch(): void {
  for (const name of readdirSync(os.tmpdir())) {
    const pid = Number(name.slice(SCRATCH_PREFIX.length));
    if (!name.startsWith(SCRATCH_PREFIX) || !Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ESRCH") rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
  }
}

export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const target = parseQueueUrl(o.queue);
  const log = o.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const plain = await openClient(target, 5000, true);
  const version = codeVersion();
  const host = workerHost();
  const concurrency = Math.max(1, o.concurrency ?? 1);
  if (!o.scratch) removeDeadScratch();
  const scratch = o.scratch ?? path.join(os.tmpdir(), `${SCRATCH_PREFIX}${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const threads = new UnitThreads(concurrency, o.backend ?? process.env.FLASH_BACKEND ?? null);
  const deps = new DepCache(path.join(scratch, "deps"));

  const process1 = async (job: Job<UnitJob, UnitJobResult>): Promise<UnitJobResult> => {
    let d: UnitJob;
    try {
      d = checkUnitJob(String(job.id), job.data as unknown, host); // before anything else: the job may be an attacker's
    } catch (e) {
      log(`[worker ${host}] ${(e as Error).message}`);
      throw new UnrecoverableError((e as Error).message);
    }
    if (d.version !== version) {
      const err = new QueueVersionError(d.unit.id, host, version, d.version);
      log(`[worker ${host}] ${err.message}`);
      throw new UnrecoverableError(err.message);
    }
    const blobs = new RedisBlobs(plain, d.runId);
    const slot = threads.acquire();
    const depIds = Object.keys(d.depKeys);
    const workDir = path.join(scratch, "work", `${d.runId}-${unitFileName(d.unit.id)}`);
    try {
      let last = 0;
      const report = (fraction: number, message = "") => {
        const now = performance.now();
        if (now - last < PROGRESS_EVERY_MS && fraction > 0) return;
        last = now;
        job.updateProgress({ fraction, message, host, slot } satisfies UnitJobProgress).catch(() => {}); // progress is best-effort
      };
      report(0);
      log(`[worker ${host}] start ${d.unit.id}`);
      const depDirs: Record<string, string> = {};
      for (const id of depIds) {
        depDirs[id] = await deps.acquire(blobs, d.runId, id, d.depKeys[id]).catch((e: Error) => {
          if (e instanceof QueueBadBlobError) throw new UnrecoverableError(e.message); // as bad on every retry
          throw e;
        });
      }
      rmSync(workDir, { recursive: true, force: true });
      mkdirSync(workDir, { recursive: true });
      const t0 = performance.now();
      const ctx = { outDir: scratch, workDir, deps: d.deps, depDirs };
      const result = await threads.run(slot, d.executor, d.unit, ctx, report).catch((e: Error) => {
        // The unit itself failed: no retry (the local pool fails the run too); the stack travels with the job.
        log(`[worker ${host}] FAILED ${d.unit.id}: ${e.message.split("\n")[0]}`);
        throw Object.assign(new UnrecoverableError(e.message.split("\n")[0]), { stack: e.stack });
      });
      const seconds = (performance.now() - t0) / 1000;
      let blob: Buffer;
      try {
        blob = packDir(workDir, d.unit.id);
      } catch (e) {
        throw new UnrecoverableError((e as Error).message); // too large: as large on every retry
      }
      await blobs.put(d.unit.key, blob);
      log(`[worker ${host}] done  ${d.unit.id} in ${seconds.toFixed(1)}s`);
      return { result, host, slot, seconds, blobBytes: blob.length };
    } catch (e) {
      const attempt = `attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1}`;
      if (!(e instanceof UnrecoverableError)) log(`[worker ${host}] ${d.unit.id}: ${(e as Error).message}; BullMQ retries it (${attempt})`);
      throw e;
    } finally {
      threads.release(slot);
      for (const id of depIds) deps.release(d.runId, d.depKeys[id]);
      rmSync(workDir, { recursive: true, force: true });
    }
  };

  const worker = new Worker<UnitJob, UnitJobResult>(QUEUE_NAME, process1, {
    connection: { ...target.redis, maxRetriesPerRequest: null },
    concurrency,
    lockDuration: o.lockMs ?? 30_000,
    stalledInterval: o.stalledMs ?? 15_000,
    maxStalledCount: 3,
  });
  let lost = false;
  let unparsableLogged = -Infinity;
  worker.on("error", (e) => {
    if (e instanceof SyntaxError) {
      // A job whose data is not JSON at all (written to Redis by hand): BullMQ cannot build
      // it, so it never reaches the check above, never runs, and comes back after each lock
      // lapse. Say so (once a minute), rather than blame the connection.
      if (performance.now() - unparsableLogged < 60_000) return;
      unparsableLogged = performance.now();
      log(`[worker ${host}] a job in queue ${QUEUE_NAME} is not JSON (${e.message}); it cannot run: remove it from Redis`);
      return;
    }
    if (!lost) log(`[worker ${host}] Redis at ${target.url}: ${e.message}; retrying (running units go on)`);
    lost = true;
  });
  worker.on("ready", () => {
    if (lost) log(`[worker ${host}] Redis at ${target.url} is back`);
    lost = false;
  });
  log(`[worker ${host}] taking units from ${target.url} (queue ${QUEUE_NAME}), ${concurrency} at a time, code ${version}`);
  return {
    async close() {
      await worker.close();
      await threads.close();
      plain.disconnect();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
