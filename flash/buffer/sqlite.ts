/**
 * The default data buffer: one SQLite file (better-sqlite3), WAL mode, nothing to run.
 *
 * Durability: `synchronous = NORMAL` in WAL mode. A committed transaction survives the
 * writer process being killed at any instant (the WAL is in the OS page cache and is
 * replayed on open); only an OS crash or power loss can drop the last transactions.
 * That is the failure the buffer is designed for (a training process killed mid-run);
 * pass `{synchronous: "FULL"}` to survive power loss at the cost of an fsync per write.
 *
 * Concurrency: several processes may insert at once. Writes are `BEGIN IMMEDIATE`
 * transactions, so a writer takes the write lock before reading anything and never
 * has to upgrade a read lock (which could deadlock); waiting writers retry for
 * `busyTimeoutMs` before a BufferError names the lock.
 *
 * Sequences are stored whole: the Float32Array's bytes as a BLOB, with steps, width and
 * the episode reward (NULL for SL samples). `id` (AUTOINCREMENT) is the insertion order.
 */
import Database from "better-sqlite3";
import { existsSync, statSync } from "node:fs";
import type { BufferBackend } from "./backend.js";
import { BufferError, RegistrationConflictError, ShapeError, UnknownTaskError, ValueError, assertFinite } from "../errors.js";
import type { NewSequence, PairId, SequenceRecord, TaskSpec } from "../types.js";
import { rowWidth } from "../types.js";

export const BUFFER_FORMAT = "flash-adapt-buffer";
export const BUFFER_FORMAT_VERSION = 1;

export interface SqliteBufferOptions {
  /** How long a writer waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number;
  /** NORMAL (default): survives process kills; FULL: survives power loss too. */
  synchronous?: "NORMAL" | "FULL";
  /**
   * How often `version()` asks SQLite whether another connection has committed (ms).
   * 0 (default): on every call, so another process's insert is seen by the next call. A
   * positive value asks at most that often, so another connection's insert may be seen up
   * to that late (this connection's own writes are always seen at once): a serving loop
   * calls getEmbedding on every decision, and the check (`PRAGMA data_version`) is most of
   * that call's cost.
   */
  otherWritersPollMs?: number;
}

interface Row {
  id: number;
  pair: string;
  steps: number;
  width: number;
  reward: number | null;
  data: Buffer;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  task TEXT PRIMARY KEY, kind TEXT NOT NULL, dim0 INTEGER NOT NULL, dim1 INTEGER NOT NULL,
  registered INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (
  id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL, pair TEXT NOT NULL,
  steps INTEGER NOT NULL, width INTEGER NOT NULL, reward REAL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sequences_task_pair ON sequences (task, pair, id);
`;

function decode(r: Row): SequenceRecord {
  // Copy: the Buffer may not be 4-byte aligned and may be reused by the driver.
  const data = new Float32Array(r.steps * r.width);
  new Uint8Array(data.buffer).set(r.data.subarray(0, data.byteLength));
  if (r.data.byteLength !== data.byteLength) {
    throw new BufferError(
      `sequence ${r.id} of pair "${r.pair}" holds ${r.data.byteLength} bytes, expected ${data.byteLength} ` +
        `(${r.steps} x ${r.width} floats): the buffer is corrupt`,
    );
  }
  return { id: r.id, pair: r.pair, steps: r.steps, width: r.width, data, reward: r.reward };
}

function describe(s: TaskSpec): string {
  return `${s.kind.toUpperCase()} task with dims [${s.dims.join(", ")}]`;
}

export class SqliteBuffer implements BufferBackend {
  private readonly specs = new Map<string, TaskSpec>();
  /**
   * Memo of `version()` per task and pair, valid while no connection has written:
   * our own writes clear it, and SQLite's `data_version` (which changes exactly when
   * another connection commits) clears it for theirs. The serving path asks for a
   * pair's version on every cached getEmbedding; this halves that cost, never stale.
   * `versions()` asks `data_version` once for many pairs (a training batch's).
   */
  private readonly versionMemo = new Map<string, number>();
  private seenDataVersion = -1;
  private lastPoll = -Infinity;
  private pollMs = 0;
  private readonly stmt: {
    insert: Database.Statement;
    pairs: Database.Statement;
    count: Database.Statement;
    version: Database.Statement;
    dataVersion: Database.Statement;
    all: Database.Statement;
    best: Database.Statement;
    earliestIds: Database.Statement;
    byIds: Database.Statement;
    earliest: Database.Statement;
    taskGet: Database.Statement;
    taskPut: Database.Statement;
    tasks: Database.Statement;
  };

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      insert: p("INSERT INTO sequences (task, pair, steps, width, reward, data) VALUES (?, ?, ?, ?, ?, ?)"),
      pairs: p("SELECT pair FROM sequences WHERE task = ? GROUP BY pair ORDER BY MIN(id)"),
      count: p("SELECT COUNT(*) AS n FROM sequences WHERE task = ? AND pair = ?"),
      version: p("SELECT MAX(id) AS v FROM sequences WHERE task = ? AND pair = ?"),
      dataVersion: p("PRAGMA data_version").pluck(),
      all: p("SELECT id, pair, steps, width, reward, data FROM sequences WHERE task = ? AND pair = ? ORDER BY id"),
      best: p("SELECT id FROM sequences WHERE task = ? AND pair = ? ORDER BY reward DESC, id ASC LIMIT ?"),
      earliestIds: p("SELECT id FROM sequences WHERE task = ? AND pair = ? ORDER BY id LIMIT ?"),
      byIds: p("SELECT id, pair, steps, width, reward, data FROM sequences WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id"),
      earliest: p("SELECT id, pair, steps, width, reward, data FROM sequences WHERE task = ? AND pair = ? ORDER BY id LIMIT ?"),
      taskGet: p("SELECT task, kind, dim0, dim1 FROM tasks WHERE task = ?"),
      taskPut: p("INSERT INTO tasks (task, kind, dim0, dim1, registered) VALUES (?, ?, ?, ?, ?)"),
      tasks: p("SELECT task FROM tasks ORDER BY registered, task"),
    };
  }

  /** Open (or create) the buffer file at `path`. */
  static open(path: string, opts: SqliteBufferOptions = {}): SqliteBuffer {
    if (existsSync(path) && statSync(path).isDirectory()) {
      throw new BufferError(`cannot open buffer ${path}: it is a directory; expected an SQLite file path`);
    }
    const poll = opts.otherWritersPollMs ?? 0;
    if (!(Number.isFinite(poll) && poll >= 0)) throw new BufferError(`cannot open buffer ${path}: otherWritersPollMs must be a number of ms >= 0, got ${poll}`);
    let db: Database.Database;
    try {
      db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5000 });
    } catch (err) {
      throw new BufferError(`cannot open buffer ${path}: ${(err as Error).message}`);
    }
    try {
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${opts.synchronous ?? "NORMAL"}`);
      SqliteBuffer.initialise(path, db);
      const buffer = new SqliteBuffer(path, db);
      buffer.pollMs = poll;
      return buffer;
    } catch (err) {
      db.close();
      if (err instanceof BufferError) throw err;
      const msg = (err as Error).message;
      const cause = /locked|busy/i.test(msg)
        ? `the database is locked by another connection (${msg})`
        : /not a database|malformed|corrupt/i.test(msg)
          ? `the file is not a valid SQLite database or is corrupt (${msg})`
          : msg;
      throw new BufferError(`cannot open buffer ${path}: ${cause}`);
    }
  }

  /** Create the schema in an empty file, or check that the file is one of ours. */
  private static initialise(path: string, db: Database.Database): void {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    if (tables.length === 0) {
      db.transaction(() => {
        db.exec(SCHEMA);
        const put = db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)");
        put.run("format", BUFFER_FORMAT);
        put.run("version", String(BUFFER_FORMAT_VERSION));
      }).immediate();
      return;
    }
    if (!tables.includes("meta")) {
      throw new BufferError(`cannot open buffer ${path}: it is an SQLite database but not a flash-adapt buffer (tables: ${tables.join(", ")})`);
    }
    const meta = new Map((db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
    if (meta.get("format") !== BUFFER_FORMAT) {
      throw new BufferError(`cannot open buffer ${path}: format is ${JSON.stringify(meta.get("format"))}, expected "${BUFFER_FORMAT}"`);
    }
    if (meta.get("version") !== String(BUFFER_FORMAT_VERSION)) {
      throw new BufferError(
        `cannot open buffer ${path}: format version ${meta.get("version")} is not supported; this build reads version ${BUFFER_FORMAT_VERSION}`,
      );
    }
  }

  /** Run `fn` in a write transaction, turning lock timeouts into a BufferError. */
  private write<T>(what: string, fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      const msg = (err as Error).message;
      if (/locked|busy/i.test(msg))
        throw new BufferError(`${what} in ${this.path} failed: the database is locked by another connection (${msg}); nothing was written`);
      throw err;
    } finally {
      // data_version tracks other connections only: our own commits clear the memo here.
      this.versionMemo.clear();
    }
  }

  registerTask(spec: TaskSpec): void {
    const stored = this.taskSpec(spec.task);
    if (stored) {
      if (stored.kind !== spec.kind || stored.dims[0] !== spec.dims[0] || stored.dims[1] !== spec.dims[1]) {
        throw new RegistrationConflictError(spec.task, `${describe(stored)} in buffer ${this.path}`, describe(spec));
      }
      return;
    }
    this.write(`registering task "${spec.task}"`, () => {
      // Another process may have registered it between our read and the lock.
      const again = this.stmt.taskGet.get(spec.task);
      if (!again) this.stmt.taskPut.run(spec.task, spec.kind, spec.dims[0], spec.dims[1], Date.now());
    });
    const now = this.taskSpec(spec.task) as TaskSpec;
    this.specs.delete(spec.task);
    if (now.kind !== spec.kind || now.dims[0] !== spec.dims[0] || now.dims[1] !== spec.dims[1]) {
      throw new RegistrationConflictError(spec.task, `${describe(now)} in buffer ${this.path}`, describe(spec));
    }
  }

  taskSpec(task: string): TaskSpec | undefined {
    const cached = this.specs.get(task);
    if (cached) return cached;
    const r = this.stmt.taskGet.get(task) as { task: string; kind: "sl" | "rl"; dim0: number; dim1: number } | undefined;
    if (!r) return undefined;
    const spec: TaskSpec = { task: r.task, kind: r.kind, dims: [r.dim0, r.dim1] };
    this.specs.set(task, spec);
    return spec;
  }

  tasks(): string[] {
    return (this.stmt.tasks.all() as { task: string }[]).map((r) => r.task);
  }

  private requireSpec(task: string): TaskSpec {
    const spec = this.taskSpec(task);
    if (!spec) throw new UnknownTaskError(task, this.tasks());
    return spec;
  }

  insert(task: string, pair: PairId, seqs: readonly NewSequence[]): number[] {
    const spec = this.requireSpec(task);
    if (typeof pair !== "string" || pair.length === 0) throw new ValueError(`pair: expected a non-empty string, got ${JSON.stringify(pair)}`);
    const width = rowWidth(spec);
    // Validate everything before writing anything: a rejected call changes nothing.
    seqs.forEach((s, i) => {
      const what = `sequence ${i} for task "${task}", pair "${pair}"`;
      if (!Number.isInteger(s.steps) || s.steps < 1)
        throw new ValueError(`${what}: empty or invalid trajectory (steps = ${s.steps}); expected at least one step`);
      if (s.width !== width)
        throw new ShapeError(`${what}: row width`, `${width} (${spec.kind === "rl" ? "state + action + reward" : "features + labels"})`, `${s.width}`);
      if (s.data.length !== s.steps * s.width)
        throw new ShapeError(`${what}: data length`, `${s.steps} x ${s.width} = ${s.steps * s.width}`, `${s.data.length}`);
      assertFinite(what, s.data);
      if (spec.kind === "rl" && (s.reward === null || !Number.isFinite(s.reward)))
        throw new ValueError(`${what}: expected a finite episode reward, got ${s.reward}`);
      if (spec.kind === "sl" && s.reward !== null && !Number.isFinite(s.reward))
        throw new ValueError(`${what}: expected a finite reward or null, got ${s.reward}`);
    });
    return this.write(`inserting ${seqs.length} sequence(s) for task "${task}", pair "${pair}"`, () =>
      seqs.map((s) => {
        const bytes = Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength);
        return Number(this.stmt.insert.run(task, pair, s.steps, s.width, s.reward, bytes).lastInsertRowid);
      }),
    );
  }

  pairs(task: string): PairId[] {
    return (this.stmt.pairs.all(task) as { pair: string }[]).map((r) => r.pair);
  }

  count(task: string, pair: PairId): number {
    return (this.stmt.count.get(task, pair) as { n: number }).n;
  }

  version(task: string, pair: PairId): number {
    return this.versions(task, [pair])[0];
  }

  versions(task: string, pairs: readonly PairId[]): number[] {
    const now = this.pollMs > 0 ? performance.now() : 0;
    if (this.pollMs === 0 || now - this.lastPoll >= this.pollMs) {
      this.lastPoll = now;
      const dv = this.stmt.dataVersion.get() as number;
      if (dv !== this.seenDataVersion) {
        this.versionMemo.clear();
        this.seenDataVersion = dv;
      }
    }
    return pairs.map((pair) => {
      const key = `${task}\u0000${pair}`;
      let v = this.versionMemo.get(key);
      if (v === undefined) {
        v = (this.stmt.version.get(task, pair) as { v: number | null }).v ?? 0;
        this.versionMemo.set(key, v);
      }
      return v;
    });
  }

  /**
   * The meta learner's context, at most `m` sequences, ascending id.
   * RL (paper A.1): the ceil(m/2) highest-reward trajectories (ties: earlier first), plus
   * the earliest of the others up to m.
   * SL: the earliest m sequences. For a new pair the first measurements are its base
   * measurements, and a fixed choice keeps the embedding from drifting as serving
   * data accumulates.
   */
  select(task: string, pair: PairId, m: number): SequenceRecord[] {
    if (!Number.isInteger(m) || m < 1) throw new RangeError(`select: expected m >= 1, got ${m}`);
    const spec = this.requireSpec(task);
    const n = this.count(task, pair);
    if (n <= m || spec.kind === "sl") return (this.stmt.earliest.all(task, pair, m) as Row[]).map(decode);
    const best = new Set((this.stmt.best.all(task, pair, Math.ceil(m / 2)) as { id: number }[]).map((r) => r.id));
    // The earliest m ids always contain enough ids outside `best` to fill up to m.
    const rest = (this.stmt.earliestIds.all(task, pair, m) as { id: number }[])
      .map((r) => r.id)
      .filter((id) => !best.has(id))
      .slice(0, m - best.size);
    // Only the chosen rows' BLOBs are read.
    return (this.stmt.byIds.all(JSON.stringify([...best, ...rest])) as Row[]).map(decode);
  }

  all(task: string, pair: PairId): SequenceRecord[] {
    return (this.stmt.all.all(task, pair) as Row[]).map(decode);
  }

  /** `PRAGMA integrity_check`: "ok" for a sound file. */
  integrityCheck(): string {
    return (this.db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check).join("; ");
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
