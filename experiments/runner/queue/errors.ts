/**
 * Errors of the distributed runner (queue/). Each names the Redis URL or the unit it is
 * about and what to do next; a run that stops on one keeps every unit already finished.
 */
import { FlashError } from "../../../flash/errors.js";

/** A queue URL that is not `redis://HOST:PORT[/DB]` (or `rediss://` for TLS). */
export class QueueUrlError extends FlashError {
  constructor(given: string, why: string) {
    super("queue-url", `--queue: expected redis://[USER:PASSWORD@]HOST[:PORT][/DB] (or rediss:// for TLS), got ${JSON.stringify(given)}: ${why}`);
  }
}

/** Redis did not answer (at start) or stayed away longer than the grace period (mid-run). */
export class QueueUnreachableError extends FlashError {
  constructor(url: string, detail: string, kept?: { outDir: string; finished: number }) {
    const keep = kept ? `; ${kept.finished} finished unit(s) are kept in ${kept.outDir}/units, run the same command again when Redis is back to resume` : "";
    super("queue-unreachable", `Redis at ${url} is unreachable (${detail})${keep}`);
  }
}

/** Another coordinator holds the run's lock. */
export class QueueLockedError extends FlashError {
  constructor(outDir: string, holder: string, ttlSeconds: number) {
    super(
      "queue-locked",
      `run ${outDir} is already coordinated by ${holder}; one coordinator per run ` +
        `(the lock expires ${ttlSeconds}s after that coordinator stops renewing it, e.g. if it was killed)`,
    );
  }
}

/** A worker runs other code than the coordinator: its results could differ. */
export class QueueVersionError extends FlashError {
  constructor(unitId: string, workerHost: string, workerVersion: string, coordinatorVersion: string) {
    super(
      "queue-version",
      `worker ${workerHost} refused unit ${unitId}: it runs code version ${workerVersion}, the coordinator runs ${coordinatorVersion}; ` +
        "start the workers from the same commit (or package version) as the coordinator",
    );
  }
}

/** A unit's work directory too large to travel through Redis. */
export class QueueBlobError extends FlashError {
  constructor(message: string) {
    super("queue-blob", message);
  }
}
