/**
 * One coordinator per run: a Redis key holding the coordinator's identity with a TTL,
 * renewed while it runs. A coordinator killed without releasing it blocks a restart for
 * at most the TTL; on the same host a restart takes over at once when the holder's
 * process is gone.
 */
import os from "node:os";
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { KEY_PREFIX } from "./connection.js";
import { QueueLockedError } from "./errors.js";

interface Holder {
  host: string;
  pid: number;
  since: string;
  token: string;
}

// Renew or release only a lock we still hold (atomic compare-and-act).
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
const TAKE_OVER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) end return nil`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class RunLock {
  private readonly key: string;
  private readonly value: string;

  constructor(
    private readonly redis: Redis,
    runId: string,
    private readonly outDir: string,
    readonly ttlMs: number,
  ) {
    this.key = `${KEY_PREFIX}:lock:${runId}`;
    const holder: Holder = { host: os.hostname(), pid: process.pid, since: new Date().toISOString(), token: randomBytes(8).toString("hex") };
    this.value = JSON.stringify(holder);
  }

  /** Take the lock, or throw QueueLockedError naming the holder. */
  async acquire(): Promise<void> {
    if ((await this.redis.set(this.key, this.value, "PX", this.ttlMs, "NX")) === "OK") return;
    const raw = await this.redis.get(this.key);
    if (raw === null) return this.acquire(); // released in between
    let h: Holder | undefined;
    try {
      h = JSON.parse(raw) as Holder;
    } catch {
      h = undefined;
    }
    if (h && h.host === os.hostname() && !alive(h.pid) && (await this.redis.eval(TAKE_OVER, 1, this.key, raw, this.value, this.ttlMs)) === "OK") return;
    throw new QueueLockedError(this.outDir, h ? `process ${h.pid} on ${h.host} (since ${h.since})` : raw, Math.ceil(this.ttlMs / 1000));
  }

  /** Extend the TTL; a lock that vanished (Redis restarted empty) is taken again; false if another coordinator holds it now. */
  async renew(): Promise<boolean> {
    if ((await this.redis.eval(RENEW, 1, this.key, this.value, this.ttlMs)) === 1) return true;
    return (await this.redis.set(this.key, this.value, "PX", this.ttlMs, "NX")) === "OK";
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.value);
  }
}
