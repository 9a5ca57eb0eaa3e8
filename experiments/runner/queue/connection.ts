/**
 * The Redis connection of the distributed runner: a client that fails fast with the URL
 * named when Redis does not answer (ioredis alone would retry silently forever), the
 * shared key names, and the code version coordinator and workers must share.
 */
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { gitCommit } from "../provenance.js";
import { QueueAuthError, QueueUnreachableError } from "./errors.js";
import type { QueueTarget } from "./url.js";

export { parseQueueUrl, type QueueTarget } from "./url.js";

/** The BullMQ queue every coordinator enqueues on and every `flash worker` takes from. */
export const QUEUE_NAME = "flash-units";
/** Prefix of the runner's own keys (locks, blobs) beside BullMQ's. */
export const KEY_PREFIX = "flash-adapt";

/**
 * A plain client (beside BullMQ's own) for locks and blobs, connected and PINGed within
 * `timeoutMs`, or a QueueAuthError (credentials refused) or QueueUnreachableError naming
 * the URL (its password masked). Later, while Redis is away, its
 * commands fail at once (no offline queue) and it reconnects in the background.
 *
 * `patient` (workers): commands wait for Redis to come back instead, as BullMQ's own do.
 */
export async function openClient(target: QueueTarget, timeoutMs = 5000, patient = false): Promise<Redis> {
  const client = new Redis({
    ...target.redis,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: patient ? null : 1,
    enableOfflineQueue: patient,
    retryStrategy: (n: number) => Math.min(100 * n, 1000),
  });
  let cause: Error | undefined;
  client.on("error", (e: Error) => (cause ??= e)); // later errors surface through the commands that fail
  try {
    const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref());
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
  } catch (e) {
    client.disconnect();
    const detail = (cause ?? (e as Error)).message || String(e);
    // Redis answered, and said no: a wrong or missing password is not a network problem.
    if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(detail)) throw new QueueAuthError(target.url, detail);
    throw new QueueUnreachableError(target.url, detail);
  }
  return client;
}

/**
 * The code version a coordinator and its workers must share: the git commit (with
 * `+dirty` for uncommitted changes), else the package version (an installed package or a
 * container image). `FLASH_CODE_VERSION` overrides it, for images built without `.git`.
 */
export function codeVersion(): string {
  if (process.env.FLASH_CODE_VERSION) return process.env.FLASH_CODE_VERSION;
  const g = gitCommit();
  if (g.commit) return `git:${g.commit.slice(0, 12)}${g.dirty ? "+dirty" : ""}`;
  for (const rel of ["../../../package.json", "../../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "flash-adapt" && pkg.version) return `package:${pkg.version}`;
    } catch {
      // not at this depth (source vs dist layout)
    }
  }
  return "unknown";
}
