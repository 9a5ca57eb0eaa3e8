/**
 * `--queue redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (or rediss:// for TLS) parsed into
 * ioredis options, without loading a Redis client (the CLI checks the option up front).
 * USER:PASSWORD is a Redis ACL user (`ACL SETUSER`, `--user`), `:PASSWORD` the default
 * user's (`--requirepass`). `FLASH_QUEUE_PASSWORD` gives the password when the URL has
 * none, so it need not appear on a command line (where `ps` shows it to every local user).
 */
import type { RedisOptions } from "ioredis";
import { QueueUrlError } from "./errors.js";
import { maskUrl } from "./mask.js";

export interface QueueTarget {
  /** The URL with any password masked: safe in logs and errors. */
  url: string;
  redis: RedisOptions;
}

export function parseQueueUrl(raw: string, env: NodeJS.ProcessEnv = process.env): QueueTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch (e) {
    throw new QueueUrlError(raw, "not a URL", { cause: e });
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new QueueUrlError(raw, `scheme ${u.protocol.replace(":", "")} is not redis or rediss`);
  if (!u.hostname) throw new QueueUrlError(raw, "no host");
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new QueueUrlError(raw, `database "${dbText}" is not a non-negative integer`);
  const redis: RedisOptions = { host: u.hostname.replace(/^\[|\]$/g, ""), port, db };
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part);
    } catch (e) {
      throw new QueueUrlError(raw, `the ${what} is not valid percent-encoding (write a "%" as %25)`, { cause: e });
    }
  };
  if (u.username) redis.username = decode(u.username, "user name");
  if (u.password) redis.password = decode(u.password, "password");
  else if (env.FLASH_QUEUE_PASSWORD) redis.password = env.FLASH_QUEUE_PASSWORD;
  // TLS with Node's default checks (certificate chain and host name); a private CA goes in NODE_EXTRA_CA_CERTS.
  if (u.protocol === "rediss:") redis.tls = {};
  return { url: maskUrl(raw), redis };
}
