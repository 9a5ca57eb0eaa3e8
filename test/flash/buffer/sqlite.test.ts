import t from "tap";
import Database from "better-sqlite3";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SqliteBuffer } from "../../../flash/buffer/sqlite.js";
import type { NewSequence } from "../../../flash/types.js";

const root = mkdtempSync(path.join(os.tmpdir(), "flash-buf-"));
let n = 0;
function open() {
  const buf = SqliteBuffer.open(path.join(root, `b${n++}.sqlite`));
  buf.registerTask({ task: "rl", kind: "rl", dims: [2, 1] });
  buf.registerTask({ task: "sl", kind: "sl", dims: [2, 1] });
  return buf;
}
/** An RL trajectory of `steps` rows of width 4 whose values encode `tag`. */
function traj(tag: number, reward: number, steps = 3): NewSequence {
  return { steps, width: 4, data: Float32Array.from({ length: steps * 4 }, (_, k) => tag + k / 100), reward };
}

t.test("round trip, counts, pairs, versions, reopen", async (t) => {
  const file = path.join(root, "rt.sqlite");
  const buf = SqliteBuffer.open(file);
  buf.registerTask({ task: "rl", kind: "rl", dims: [2, 1] });
  t.equal(buf.version("rl", "a"), 0, "no data: version 0");
  const [id1] = buf.insert("rl", "b", [traj(1, 5)]);
  const ids = buf.insert("rl", "a", [traj(2, 1), traj(3, 2, 7)]);
  t.equal(ids.length, 2);
  t.ok(ids[0] > id1 && ids[1] > ids[0], "ids follow insertion order");
  t.same(buf.pairs("rl"), ["b", "a"], "pairs in order of first insertion");
  t.equal(buf.count("rl", "a"), 2);
  t.equal(buf.version("rl", "a"), ids[1]);
  const all = buf.all("rl", "a");
  t.same(Array.from(all[1].data), Array.from(traj(3, 2, 7).data), "bytes round-trip");
  t.equal(all[1].steps, 7);
  t.equal(all[1].reward, 2);
  buf.close();
  const again = SqliteBuffer.open(file);
  t.same(again.taskSpec("rl"), { task: "rl", kind: "rl", dims: [2, 1] });
  t.equal(again.count("rl", "a"), 2, "reopen keeps everything");
  t.same(again.tasks(), ["rl"]);
  again.close();
});

t.test("with otherWritersPollMs, another connection's insert is seen after at most that long; its own at once", async (t) => {
  const file = path.join(root, "versions-poll.sqlite");
  const a = SqliteBuffer.open(file, { otherWritersPollMs: 200 });
  a.registerTask({ task: "rl", kind: "rl", dims: [2, 1] });
  const b = SqliteBuffer.open(file);
  t.equal(a.version("rl", "p"), 0);
  const slow = SqliteBuffer.open(file, { otherWritersPollMs: 600_000 });
  t.equal(slow.version("rl", "p"), 0);
  const [theirs] = b.insert("rl", "p", [traj(2, 1)]);
  t.equal(slow.version("rl", "p"), 0, "within the interval another connection's insert is not seen yet");
  await new Promise((r) => setTimeout(r, 250));
  t.equal(a.version("rl", "p"), theirs, "seen once the poll interval has passed");
  slow.close();
  const [own] = a.insert("rl", "p", [traj(1, 1)]);
  t.equal(a.version("rl", "p"), own, "own insert visible to the next call");
  t.throws(() => SqliteBuffer.open(file, { otherWritersPollMs: -1 }), /otherWritersPollMs must be a number of ms >= 0, got -1/);
  a.close();
  b.close();
});

t.test("versions: each pair's version from one look at the buffer, another connection's write seen by the next call", async (t) => {
  const file = path.join(root, "versions-batch.sqlite");
  const a = SqliteBuffer.open(file);
  a.registerTask({ task: "rl", kind: "rl", dims: [2, 1] });
  const b = SqliteBuffer.open(file);
  const [p1] = a.insert("rl", "p", [traj(1, 1)]);
  t.same(a.versions("rl", ["p", "q", "p"]), [p1, 0, p1], "in the order asked, repeats included; 0 without data");
  const [q1] = b.insert("rl", "q", [traj(2, 1)]);
  t.same(a.versions("rl", ["p", "q"]), [p1, q1], "another connection's insert");
  const [p2] = a.insert("rl", "p", [traj(3, 1)]);
  t.same(a.versions("rl", ["q", "p"]), [q1, p2], "its own insert");
  t.same(
    ["p", "q"].map((x) => a.version("rl", x)),
    a.versions("rl", ["p", "q"]),
    "the same as version() pair by pair",
  );
  t.same(a.versions("rl", []), []);
  a.close();
  b.close();
});

t.test("version sees every write at once: this connection's and another's", async (t) => {
  const file = path.join(root, "versions.sqlite");
  const a = SqliteBuffer.open(file);
  a.registerTask({ task: "rl", kind: "rl", dims: [2, 1] });
  const b = SqliteBuffer.open(file);
  t.equal(a.version("rl", "p"), 0);
  t.equal(a.version("rl", "p"), 0, "asked twice (the memo) still 0");
  const [own] = a.insert("rl", "p", [traj(1, 1)]);
  t.equal(a.version("rl", "p"), own, "own insert is visible to the next call");
  const [theirs] = b.insert("rl", "p", [traj(2, 1)]);
  t.equal(a.version("rl", "p"), theirs, "another connection's insert is visible to the next call");
  t.equal(a.version("rl", "q"), 0, "other pairs unaffected");
  b.insert("rl", "q", [traj(3, 1)]);
  t.ok(a.version("rl", "q") > theirs);
  a.close();
  b.close();
});

t.test("RL selection: ceil(m/2) best by reward plus the earliest of the rest", async (t) => {
  const buf = open();
  // ids in order 1..8 with rewards:   10  50  20  90  30  80  70  40
  const rewards = [10, 50, 20, 90, 30, 80, 70, 40];
  const ids = buf.insert(
    "rl",
    "p",
    rewards.map((r, i) => traj(i, r)),
  );
  const pick = (m: number) => buf.select("rl", "p", m).map((s) => rewards[ids.indexOf(s.id)]);
  // m=4: best two are 90, 80; earliest of the rest: 10, 50. Returned in id order.
  t.same(pick(4), [10, 50, 90, 80]);
  // m=5: best three 90, 80, 70; earliest of the rest 10, 50.
  t.same(pick(5), [10, 50, 90, 80, 70]);
  t.same(pick(8), rewards, "m >= count: everything");
  t.same(pick(1), [90], "m=1: the best");
  // Ties in reward: earlier first.
  const tie = open();
  const tids = tie.insert("rl", "p", [traj(0, 5), traj(1, 5), traj(2, 5), traj(3, 1)]);
  t.same(
    tie.select("rl", "p", 2).map((s) => s.id),
    [tids[0], tids[1]],
  );
  t.throws(() => buf.select("rl", "p", 0), RangeError);
});

t.test("SL selection: the earliest m sequences", async (t) => {
  const buf = open();
  const seq = (tag: number): NewSequence => ({ steps: 2, width: 3, data: Float32Array.from({ length: 6 }, (_, k) => tag + k), reward: null });
  const ids = buf.insert("sl", "w", [seq(1), seq(2), seq(3)]);
  t.same(
    buf.select("sl", "w", 2).map((s) => s.id),
    ids.slice(0, 2),
  );
  t.equal(buf.select("sl", "w", 2)[0].reward, null);
});

t.test("bad input raises a specific error and changes nothing", async (t) => {
  const buf = open();
  buf.insert("rl", "p", [traj(1, 1)]);
  const snapshot = () => JSON.stringify(buf.all("rl", "p").map((r) => [r.id, Array.from(r.data), r.reward]));
  const before = snapshot();
  t.throws(() => buf.insert("rl", "p", [traj(2, 1), { steps: 3, width: 5, data: new Float32Array(15), reward: 0 }]), {
    name: "ShapeError",
    message: /row width: expected 4 \(state \+ action \+ reward\), got 5/,
  });
  t.throws(() => buf.insert("rl", "p", [{ steps: 3, width: 4, data: new Float32Array(11), reward: 0 }]), { name: "ShapeError", message: /3 x 4 = 12, got 11/ });
  const nan = traj(3, 1);
  nan.data[5] = NaN;
  t.throws(() => buf.insert("rl", "p", [traj(2, 1), nan]), { name: "ValueError", message: /expected finite numbers, got NaN at flat index 5/ });
  const inf = traj(3, 1);
  inf.data[0] = -Infinity;
  t.throws(() => buf.insert("rl", "p", [inf]), { name: "ValueError", message: /-Infinity/ });
  t.throws(() => buf.insert("rl", "p", [traj(3, NaN)]), { name: "ValueError", message: /finite episode reward, got NaN/ });
  t.throws(() => buf.insert("rl", "p", [{ steps: 0, width: 4, data: new Float32Array(0), reward: 0 }]), {
    name: "ValueError",
    message: /empty or invalid trajectory \(steps = 0\)/,
  });
  t.throws(() => buf.insert("nope", "p", [traj(1, 1)]), { name: "UnknownTaskError", message: /unknown task "nope": registered tasks are "rl", "sl"/ });
  t.throws(() => buf.insert("rl", "", [traj(1, 1)]), { name: "ValueError", message: /pair/ });
  t.throws(() => buf.registerTask({ task: "rl", kind: "rl", dims: [3, 1] }), {
    name: "RegistrationConflictError",
    message: /task "rl" is already registered as RL task with dims \[2, 1\] in buffer .*; cannot register it again as RL task with dims \[3, 1\]/,
  });
  t.throws(() => buf.registerTask({ task: "rl", kind: "sl", dims: [2, 1] }), { name: "RegistrationConflictError" });
  t.equal(snapshot(), before, "stored data unchanged after every rejected call");
});

t.test("files that are not a flash buffer are refused, untouched", async (t) => {
  const garbage = path.join(root, "garbage.sqlite");
  writeFileSync(garbage, "this is not a database, just some text that is long enough to look like a header".repeat(20));
  t.throws(() => SqliteBuffer.open(garbage), { name: "BufferError", message: /garbage\.sqlite: the file is not a valid SQLite database or is corrupt/ });

  const other = path.join(root, "other.sqlite");
  const db = new Database(other);
  db.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada');");
  db.close();
  t.throws(() => SqliteBuffer.open(other), { name: "BufferError", message: /an SQLite database but not a flash-adapt buffer \(tables: users\)/ });
  const check = new Database(other);
  t.same(check.prepare("SELECT name FROM users").all(), [{ name: "ada" }], "the other database is untouched");
  check.close();

  const wrongFormat = path.join(root, "wrong.sqlite");
  const w = new Database(wrongFormat);
  w.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('format', 'something-else');");
  w.close();
  t.throws(() => SqliteBuffer.open(wrongFormat), { message: /format is "something-else", expected "flash-adapt-buffer"/ });

  const dir = path.join(root, "a-directory");
  mkdirSync(dir);
  t.throws(() => SqliteBuffer.open(dir), { name: "BufferError", message: /is a directory/ });
  t.throws(() => SqliteBuffer.open(path.join(root, "missing-dir", "x.sqlite")), { name: "BufferError", message: /cannot open buffer/ });
});

t.test("a database locked by another connection gives a BufferError and keeps the data", async (t) => {
  const file = path.join(root, "locked.sqlite");
  const buf = SqliteBuffer.open(file, { busyTimeoutMs: 50 });
  buf.registerTask({ task: "rl", kind: "rl", dims: [2, 1] });
  buf.insert("rl", "p", [traj(1, 1)]);
  const holder = new Database(file);
  holder.exec("BEGIN EXCLUSIVE");
  t.throws(() => buf.insert("rl", "p", [traj(2, 2)]), {
    name: "BufferError",
    message: /locked\.sqlite failed: the database is locked by another connection .*nothing was written/,
  });
  holder.exec("ROLLBACK");
  holder.close();
  t.equal(buf.count("rl", "p"), 1, "the earlier insert is intact and the refused one absent");
  buf.insert("rl", "p", [traj(3, 3)]);
  t.equal(buf.count("rl", "p"), 2, "writes work again once the lock is released");
  buf.close();
});
