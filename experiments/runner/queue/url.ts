/**
 * `--queue redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (or rediss:// for TLS) parsed into
 * ioredis options, without loading a Redis client (the CLI checks the option up front).
 */
import type { RedisOptions } from "ioredis";
import { QueueUrlError } from "./errors.js";

export interface QueueTarget {
  /** The URL with any password masked: safe in logs and errors. */
  url: string;
  redis: RedisOptions;
}

export function parseQueueUrl(raw: string): QueueTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new QueueUrlError(raw, "not a URL");
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new QueueUrlError(raw, `scheme ${u.protocol.replace(":", "")} is not redis or rediss`);
  if (!u.hostname) throw new QueueUrlError(raw, "no host");
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new QueueUrlError(raw, `database "${dbText}" is not a non-negative integer`);
  const redis: RedisOptions = { host: u.hostname.replace(/^\[|\]$/g, ""), port, db };
  if (u.username) redis.username = decodeURIComponent(u.username);
  if (u.password) redis.password = decodeURIComponent(u.password);
  if (u.protocol === "rediss:") redis.tls = {};
  const masked = new URL(raw);
  if (masked.password) masked.password = "***";
  return { url: masked.href.replace(/\/$/, ""), redis };
}
