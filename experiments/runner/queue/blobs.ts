/**
 * A unit's work directory (checkpoints, SQLite buffers) as one blob, so the units that
 * depend on it can run on another machine without a shared file system: the worker
 * packs it after the unit, Redis holds it, the coordinator unpacks it into
 * `OUT/work/<unit>` (the same layout as a local run) and workers unpack it for the
 * dependents. Blobs are gzip (level 1: checkpoints barely compress; SQLite does) of a
 * flat list of files: "FLB1", then per file a u32 name length, the relative name, a u64
 * size and the bytes.
 *
 * A blob comes from Redis, which anyone with write access to the queue can fill, so
 * unpacking trusts nothing in it: it streams (memory stays at a chunk), refuses a file
 * name that leaves the directory, and stops at a bound on the unpacked bytes and on the
 * file count (a gzip bomb of a few KiB would otherwise fill the disk).
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { createGunzip, gzipSync } from "node:zlib";
import type { Redis } from "ioredis";
import { KEY_PREFIX } from "./connection.js";
import { QueueBadBlobError, QueueBlobError } from "./errors.js";

const MAGIC = Buffer.from("FLB1");
const DEFAULT_LIMIT_MB = 256;
const DEFAULT_UNPACKED_MB = 1024;
const DEFAULT_FILES = 10_000;
/** Longest file name (bytes) in a blob: far beyond any checkpoint's, and it bounds a header held in memory. */
const MAX_NAME_BYTES = 4096;
/** Blobs outlive a crashed coordinator for this long; a finished run deletes its own. */
const BLOB_TTL_SECONDS = 7 * 24 * 3600;

const envNumber = (v: string | undefined, fallback: number): number => {
  const n = Number(v ?? fallback);
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

/** The largest blob (after compression) that may travel through Redis: $FLASH_QUEUE_BLOB_MB, default 256 MiB. */
export function blobLimitBytes(env: NodeJS.ProcessEnv = process.env): number {
  return envNumber(env.FLASH_QUEUE_BLOB_MB, DEFAULT_LIMIT_MB) * 2 ** 20;
}

/** What one blob may unpack to, for packing and unpacking alike. */
export interface UnpackBounds {
  /** Unpacked bytes (file names and headers included): $FLASH_QUEUE_UNPACKED_MB, default 1024 MiB. */
  bytes: number;
  /** Files: $FLASH_QUEUE_BLOB_FILES, default 10,000. */
  files: number;
}

export function unpackBounds(env: NodeJS.ProcessEnv = process.env): UnpackBounds {
  return {
    bytes: envNumber(env.FLASH_QUEUE_UNPACKED_MB, DEFAULT_UNPACKED_MB) * 2 ** 20,
    files: Math.floor(envNumber(env.FLASH_QUEUE_BLOB_FILES, DEFAULT_FILES)),
  };
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

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/**
 * The directory's files as one blob; `unitId` names the unit in an error. A directory
 * over the bounds its consumers enforce fails here, with the unit named, rather than on
 * every machine that would unpack it.
 */
export function packDir(dir: string, unitId: string, bounds: UnpackBounds = unpackBounds()): Buffer {
  const files = filesOf(dir);
  if (files.length > bounds.files) {
    throw new QueueBlobError(
      `unit ${unitId}: its work directory holds ${files.length} files, over the ${bounds.files} a blob may hold; raise FLASH_QUEUE_BLOB_FILES on every machine`,
    );
  }
  const parts: Buffer[] = [MAGIC];
  let raw = MAGIC.length;
  for (const rel of files) {
    const name = Buffer.from(rel, "utf8");
    const head = Buffer.alloc(12 + name.length);
    head.writeUInt32BE(name.length, 0);
    name.copy(head, 4);
    const data = readFileSync(path.join(dir, rel));
    head.writeBigUInt64BE(BigInt(data.length), 4 + name.length);
    parts.push(head, data);
    raw += head.length + data.length;
  }
  if (raw > bounds.bytes) {
    throw new QueueBlobError(
      `unit ${unitId}: its work directory unpacks to ${mb(raw)}, over the ${mb(bounds.bytes)} a blob may unpack to; raise FLASH_QUEUE_UNPACKED_MB on every machine`,
    );
  }
  const blob = gzipSync(Buffer.concat(parts), { level: 1 });
  const limit = blobLimitBytes();
  if (blob.length > limit) {
    throw new QueueBlobError(
      `unit ${unitId}: its work directory packs to ${mb(blob.length)} (${mb(raw)} of files), over the ${mb(limit)} a blob may take in Redis; ` +
        "raise FLASH_QUEUE_BLOB_MB (Redis takes up to 512 MiB per value)",
    );
  }
  return blob;
}

/** Writes a blob's files under `tmp` as the unpacked stream arrives, chunk by chunk, within `bounds`. */
class BlobWriter {
  private pending = Buffer.alloc(0);
  private magicSeen = false;
  private file?: { fd: number; left: number };
  private unpacked = 0;
  private files = 0;

  constructor(
    private readonly tmp: string,
    private readonly what: string,
    private readonly bounds: UnpackBounds,
  ) {}

  private refuse(why: string): never {
    throw new QueueBadBlobError(`${this.what}: ${why}; refused`);
  }

  push(chunk: Buffer): void {
    this.unpacked += chunk.length;
    if (this.unpacked > this.bounds.bytes) this.refuse(`it unpacks to more than ${mb(this.bounds.bytes)} (FLASH_QUEUE_UNPACKED_MB)`);
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (this.file) {
        const end = at + Math.min(this.file.left, buf.length - at);
        this.file.left -= end - at;
        while (at < end) at += writeSync(this.file.fd, buf, at, end - at);
        if (this.file.left > 0) break;
        closeSync(this.file.fd);
        this.file = undefined;
        continue;
      }
      if (!this.magicSeen) {
        if (buf.length - at < MAGIC.length) break;
        if (!buf.subarray(at, at + MAGIC.length).equals(MAGIC)) this.refuse("not a work-directory blob");
        this.magicSeen = true;
        at += MAGIC.length;
        continue;
      }
      if (buf.length - at < 4) break;
      const n = buf.readUInt32BE(at);
      if (n === 0 || n > MAX_NAME_BYTES) this.refuse(`a file name of ${n} bytes (expected 1 to ${MAX_NAME_BYTES})`);
      if (buf.length - at < 12 + n) break;
      this.open(buf.toString("utf8", at + 4, at + 4 + n), buf.readBigUInt64BE(at + 4 + n));
      at += 12 + n;
    }
    this.pending = Buffer.from(buf.subarray(at)); // a partial header only: at most 12 + MAX_NAME_BYTES
  }

  private open(rel: string, size: bigint): void {
    if (++this.files > this.bounds.files) this.refuse(`it holds more than ${this.bounds.files} files (FLASH_QUEUE_BLOB_FILES)`);
    if (size > BigInt(this.bounds.bytes))
      this.refuse(`file ${JSON.stringify(rel)} claims ${size} bytes, over the ${mb(this.bounds.bytes)} a blob may unpack to`);
    const parts = rel.split("/");
    if (path.isAbsolute(rel) || parts.includes("..")) this.refuse(`file name ${JSON.stringify(rel)} leaves the directory`);
    if (parts.some((p) => p === "" || p === ".") || rel.includes("\0")) this.refuse(`file name ${JSON.stringify(rel)} is not a plain relative name`);
    const file = path.join(this.tmp, rel);
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      this.file = { fd: openSync(file, "wx"), left: Number(size) }; // "wx": a name given twice is refused, never overwritten
    } catch (e) {
      this.refuse(
        `file ${JSON.stringify(rel)} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}: a name given twice, or a file where a folder is)`,
      );
    }
  }

  /** The stream ended: it must end between two files. */
  end(): void {
    if (!this.magicSeen) this.refuse("not a work-directory blob");
    if (this.file || this.pending.length) this.refuse("it is truncated");
  }

  close(): void {
    if (this.file) closeSync(this.file.fd);
    this.file = undefined;
  }
}

/** Replace `dir` with the blob's files (written beside it, then renamed into place); a QueueBadBlobError leaves `dir` as it was. */
export async function unpackDir(blob: Buffer, dir: string, bounds: UnpackBounds = unpackBounds()): Promise<void> {
  const tmp = `${dir}.unpack-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(tmp, { recursive: true });
  const writer = new BlobWriter(tmp, `blob for ${dir}`, bounds);
  try {
    const gunzip = createGunzip({ chunkSize: 64 * 1024 });
    gunzip.end(blob);
    try {
      for await (const chunk of gunzip) writer.push(chunk as Buffer); // a throw destroys the stream: decompression stops
    } catch (e) {
      if (e instanceof QueueBlobError) throw e;
      throw new QueueBadBlobError(`blob for ${dir}: not a gzip stream (${(e as Error).message}); refused`);
    }
    writer.end();
  } catch (e) {
    writer.close();
    rmSync(tmp, { recursive: true, force: true });
    throw e;
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
