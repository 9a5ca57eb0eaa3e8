/**
 * A unit's work directory (checkpoints, SQLite buffers) as one blob, so the units that
 * depend on it can run on another machine without a shared file system: the worker
 * packs it after the unit, Redis holds it, the coordinator unpacks it into
 * `OUT/work/<unit>` (the same layout as a local run) and workers unpack it for the
 * dependents. Blobs are gzip (level 1: checkpoints barely compress; SQLite does) of a
 * flat list of files: "FLB1", then per file a u32 name length, the relative name, a u64
 * size and the bytes.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Redis } from "ioredis";
import { KEY_PREFIX } from "./connection.js";
import { QueueBlobError } from "./errors.js";

const MAGIC = Buffer.from("FLB1");
const DEFAULT_LIMIT_MB = 256;
/** Blobs outlive a crashed coordinator for this long; a finished run deletes its own. */
const BLOB_TTL_SECONDS = 7 * 24 * 3600;

/** The largest blob (after compression) that may travel through Redis: $FLASH_QUEUE_BLOB_MB, default 256 MiB. */
export function blobLimitBytes(): number {
  const mb = Number(process.env.FLASH_QUEUE_BLOB_MB ?? DEFAULT_LIMIT_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_LIMIT_MB) * 2 ** 20;
}

function filesOf(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesOf(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

/** The directory's files as one blob; `unitId` names the unit in a too-large error. */
export function packDir(dir: string, unitId: string): Buffer {
  const parts: Buffer[] = [MAGIC];
  for (const rel of filesOf(dir)) {
    const name = Buffer.from(rel, "utf8");
    const head = Buffer.alloc(12 + name.length);
    head.writeUInt32BE(name.length, 0);
    name.copy(head, 4);
    const data = readFileSync(path.join(dir, rel));
    head.writeBigUInt64BE(BigInt(data.length), 4 + name.length);
    parts.push(head, data);
  }
  const blob = gzipSync(Buffer.concat(parts), { level: 1 });
  const limit = blobLimitBytes();
  if (blob.length > limit) {
    const raw = filesOf(dir).reduce((s, f) => s + statSync(path.join(dir, f)).size, 0);
    throw new QueueBlobError(
      `unit ${unitId}: its work directory packs to ${mb(blob.length)} (${mb(raw)} of files), over the ${mb(limit)} a blob may take in Redis; ` +
        "raise FLASH_QUEUE_BLOB_MB (Redis takes up to 512 MiB per value)",
    );
  }
  return blob;
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** Replace `dir` with the blob's files (written beside it, then renamed into place). */
export function unpackDir(blob: Buffer, dir: string): void {
  const raw = gunzipSync(blob);
  if (!raw.subarray(0, 4).equals(MAGIC)) throw new QueueBlobError(`blob for ${dir}: not a work-directory blob`);
  const tmp = `${dir}.unpack-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(tmp, { recursive: true });
  for (let at = 4; at < raw.length;) {
    const n = raw.readUInt32BE(at);
    const rel = raw.subarray(at + 4, at + 4 + n).toString("utf8");
    const size = Number(raw.readBigUInt64BE(at + 4 + n));
    const start = at + 12 + n;
    if (rel.split("/").includes("..") || path.isAbsolute(rel)) {
      throw new QueueBlobError(`blob for ${dir}: file name ${JSON.stringify(rel)} leaves the directory`);
    }
    const file = path.join(tmp, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, raw.subarray(start, start + size));
    at = start + size;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(tmp, dir);
}

/** Work-directory blobs of one run in Redis, by unit key (so a changed unit never reads a stale blob). */
export class RedisBlobs {
  constructor(
    private readonly redis: Redis,
    private readonly runId: string,
  ) {}

  keyOf(unitKey: string): string {
    return `${KEY_PREFIX}:blob:${this.runId}:${unitKey}`;
  }

  async put(unitKey: string, blob: Buffer): Promise<void> {
    await this.redis.set(this.keyOf(unitKey), blob, "EX", BLOB_TTL_SECONDS);
  }

  async get(unitKey: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keyOf(unitKey));
  }

  async has(unitKey: string): Promise<boolean> {
    return (await this.redis.exists(this.keyOf(unitKey))) === 1;
  }

  async delete(unitKeys: readonly string[]): Promise<void> {
    for (let i = 0; i < unitKeys.length; i += 500) await this.redis.del(...unitKeys.slice(i, i + 500).map((k) => this.keyOf(k)));
  }
}
