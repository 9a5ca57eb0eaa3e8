/**
 * A job's state and, once it has finished, its contents, read in the one order that is
 * consistent. BullMQ's moveToFinished script writes a job's `returnvalue` (or
 * `failedReason` and `stacktrace`) and moves it to the completed (or failed) set in one
 * step, so a job read AFTER its state was seen finished holds them. Read the other way
 * round (`Job.fromId`, then `job.getState()`), the contents may be those of the running
 * job (`returnvalue` null, `failedReason` missing) while the state already says finished:
 * on a loaded machine the job finishes between the two reads.
 */
import { Job, type JobState, type Queue } from "bullmq";

export type JobLook<D, R> =
  /** No such job in Redis. */
  | { state: "unknown"; job?: undefined }
  /** Queued, delayed, running or waiting for a retry: its contents are not read. */
  | { state: Exclude<JobState, "completed" | "failed">; job?: undefined }
  /** Finished: its contents, read after the state (undefined if removed in between). */
  | { state: "completed" | "failed"; job?: Job<D, R> };

/** Job `jobId`'s state and, if it has finished, the job as it finished. */
export async function lookAtJob<D, R>(queue: Queue<D, R>, jobId: string): Promise<JobLook<D, R>> {
  const state = await queue.getJobState(jobId);
  if (state !== "completed" && state !== "failed") return { state } as JobLook<D, R>;
  return { state, job: await Job.fromId<D, R>(queue, jobId) };
}
