/**
 * A worker's unpacked dependency directories: one pretraining unit's checkpoint serves
 * every adaptation that depends on it, so it is fetched and unpacked once per worker and
 * shared read-only, as the local pool shares `OUT/work/<dep>`. Entries no job is using
 * are evicted beyond `keep`, oldest use first.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import type { RedisBlobs } from "./blobs.js";
import { unpackDir } from "./blobs.js";
import { QueueBlobError } from "./errors.js";

interface Entry {
  dir: Promise<string>;
  users: number;
  lastUse: number;
}

export class DepCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly root: string,
    private readonly keep = 32,
  ) {}

  /** The unpacked directory of dependency `depId` (unit key `key`) of run `runId`; call `release` when done. */
  acquire(blobs: RedisBlobs, runId: string, depId: string, key: string): Promise<string> {
    const name = `${runId}-${key}`;
    let e = this.entries.get(name);
    if (!e) {
      const dir = path.join(this.root, name);
      const fetched = blobs.get(key).then(async (blob) => {
        if (!blob) {
          const why = "was Redis restarted or flushed? Restart the coordinator: it uploads its copy again";
          throw new QueueBlobError(`the work directory of dependency ${depId} (key ${key}) is not in Redis: ${why}`);
        }
        await unpackDir(blob, dir);
        return dir;
      });
      e = { dir: fetched, users: 0, lastUse: 0 };
      this.entries.set(name, e);
      fetched.catch(() => this.entries.delete(name));
    }
    e.users++;
    e.lastUse = performance.now();
    return e.dir;
  }

  release(runId: string, key: string): void {
    const e = this.entries.get(`${runId}-${key}`);
    if (e) e.users--;
    const idle = [...this.entries].filter(([, x]) => x.users <= 0).sort((a, b) => a[1].lastUse - b[1].lastUse);
    for (const [name] of idle.slice(0, Math.max(0, this.entries.size - this.keep))) {
      this.entries.delete(name);
      rmSync(path.join(this.root, name), { recursive: true, force: true });
    }
  }
}
