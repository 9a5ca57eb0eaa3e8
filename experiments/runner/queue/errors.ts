/**
 * Errors of the distributed runner (queue/). Each names the Redis URL (its password
 * masked), the job or the unit it is about, and what to do next; a run that stops on one
 * keeps every unit already finished. They sit under the project's root (`errors.ts`): a
 * bad `--queue` URL is a usage error (exit 2), every other one a failure (exit 1).
 */
import { FlashAdaptError, UsageError } from "../../../errors.js";
import { maskUrl } from "./mask.js";

/** The distributed runner's branch of the project's errors. */
export class QueueError extends FlashAdaptError {}

/** A queue URL that is not `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (or `rediss://` for TLS). */
export class QueueUrlError extends UsageError {
  constructor(given: string, why: string, options?: ErrorOptions) {
    super(
      `--queue: expected redis://[USER:PASSWORD@]HOST[:PORT][/DB] (or rediss:// for TLS), got ${JSON.stringify(maskUrl(given))}: ${why}`,
      "queue-url",
      options,
    );
  }
}

/** Redis did not answer (at start) or stayed away longer than the grace period (mid-run). */
export class QueueUnreachableError extends QueueError {
  constructor(url: string, detail: string, kept?: { outDir: string; finished: number }) {
    const keep = kept ? `; ${kept.finished} finished unit(s) are kept in ${kept.outDir}/units, run the same command again when Redis is back to resume` : "";
    // A private CA is the usual reason a rediss:// connection fails the certificate check.
    const tls = /certificate|SSL|TLS/i.test(detail) ? "; for a certificate of your own CA, give its PEM file in NODE_EXTRA_CA_CERTS" : "";
    super("queue-unreachable", `Redis at ${url} is unreachable (${detail})${tls}${keep}`);
  }
}

/** Redis answered but refused the URL's credentials (or wants some and the URL has none). */
export class QueueAuthError extends QueueError {
  constructor(url: string, detail: string) {
    const fix = /NOAUTH/.test(detail)
      ? "it requires a password: give it in the URL (redis://USER:PASSWORD@HOST, or redis://:PASSWORD@HOST for --requirepass) or in FLASH_QUEUE_PASSWORD"
      : "check the user and password in the URL (or FLASH_QUEUE_PASSWORD)";
    super("queue-auth", `Redis at ${url} refused the connection's credentials (${detail}); ${fix}`);
  }
}

/** Another coordinator holds the run's lock. */
export class QueueLockedError extends QueueError {
  constructor(outDir: string, holder: string, ttlSeconds: number) {
    super(
      "queue-locked",
      `run ${outDir} is already coordinated by ${holder}; one coordinator per run ` +
        `(the lock expires ${ttlSeconds}s after that coordinator stops renewing it, e.g. if it was killed)`,
    );
  }
}

/** A worker runs other code than the coordinator: its results could differ. */
export class QueueVersionError extends QueueError {
  constructor(unitId: string, workerHost: string, workerVersion: string, coordinatorVersion: string) {
    super(
      "queue-version",
      `worker ${workerHost} refused unit ${unitId}: it runs code version ${workerVersion}, the coordinator runs ${coordinatorVersion}; ` +
        "start the workers from the same commit (or package version) as the coordinator",
    );
  }
}

/**
 * A job a worker will not act on: a malformed payload, or an executor that is not one of
 * the harness's by name. Nothing of it ran; the job fails without retry.
 */
export class QueueJobError extends QueueError {
  constructor(
    readonly jobId: string,
    readonly reason: string,
    workerHost: string,
  ) {
    super("queue-job", `worker ${workerHost} refused job ${clip(jobId)}: ${reason}; nothing of it ran`);
  }
}

/** A finished job whose result or progress does not have the shape a worker returns. */
export class QueueResultError extends QueueError {
  constructor(unitId: string, reason: string) {
    super("queue-result", `unit ${unitId}: its job came back malformed (${reason}); was it written by a flash worker of this version?`);
  }
}

/** A unit's work directory too large to travel through Redis, or a blob missing from it. */
export class QueueBlobError extends QueueError {
  constructor(message: string, code = "queue-blob") {
    super(code, message);
  }
}

/** A blob refused on unpacking: not one, a file name leaving its directory, over the bounds (a gzip bomb). As bad on every retry. */
export class QueueBadBlobError extends QueueBlobError {
  constructor(message: string) {
    super(message, "queue-bad-blob");
  }
}

/** `s` cut to `max` characters: a crafted job may carry megabytes where a name belongs. */
export function clip(s: string, max = 100): string {
  return s.length <= max ? s : `${s.slice(0, max)}... (${s.length} characters)`;
}
