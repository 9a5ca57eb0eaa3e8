import t from "tap";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { SqliteBuffer } from "../../flash/buffer/sqlite.js";
import { ValueError } from "../../flash/errors.js";
import { FlashModel, RLModel } from "../../flash/models.js";
import { Rng } from "../../flash/rng.js";
import { checkSelection, pickContext } from "../../flash/selection.js";

await selectBackend();
const root = mkdtempSync(path.join(os.tmpdir(), "flash-sel-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** Records with ids 1..n and the given rewards. */
const recs = (rewards: number[]) => rewards.map((reward, i) => ({ id: i + 1, reward }));
const ids = (rs: { id: number }[]) => rs.map((r) => r.id);

t.test("pickContext: each policy picks the trajectories it names, ascending id", async (t) => {
  // ids 1..8; the best rewards are ids 6 (9), 3 (8), 8 (7).
  const rs = recs([1, 2, 8, 0, 3, 9, 4, 7]);
  t.same(ids(pickContext(rs, 4, "paper")), [1, 2, 3, 6], "paper: the 2 best (6, 3), then the earliest others (1, 2)");
  t.same(ids(pickContext(rs, 5, "paper")), [1, 2, 3, 6, 8], "paper, odd m: ceil(5/2) = 3 best (6, 3, 8), then 1, 2");
  t.same(ids(pickContext(rs, 3, "earliest")), [1, 2, 3]);
  t.same(ids(pickContext(rs, 3, "latest")), [6, 7, 8]);
  t.same(ids(pickContext([...rs].reverse(), 3, "latest")), [6, 7, 8], "input order does not matter");
  t.same(ids(pickContext(rs, 20, "random", new Rng(1))), [1, 2, 3, 4, 5, 6, 7, 8], "no more than m stored: all of them");
  const a = ids(pickContext(rs, 4, "random", new Rng(1)));
  t.equal(a.length, 4);
  t.equal(new Set(a).size, 4, "without replacement");
  t.same(
    a,
    [...a].sort((x, y) => x - y),
    "ascending id",
  );
  t.same(ids(pickContext(rs, 4, "random", new Rng(1))), a, "same seed, same draw");
  const draws = new Set([1, 2, 3, 4, 5, 6].map((s) => ids(pickContext(rs, 4, "random", new Rng(s))).join(",")));
  t.ok(draws.size > 1, "other seeds draw other subsets");
  t.same(ids(pickContext(recs([5, 5, 5, 5]), 2, "paper")), [1, 2], "ties go to the earlier trajectory");
  t.throws(() => pickContext(rs, 4, "random"), ValueError, "random needs a seeded stream");
  t.throws(() => pickContext(rs, 0, "paper"), ValueError);
});

t.test("pickContext's paper rule is the buffer's select, on random rewards", async (t) => {
  const buf = SqliteBuffer.open(path.join(root, "b.sqlite"));
  t.teardown(() => buf.close());
  buf.registerTask({ task: "x", kind: "rl", dims: [1, 1] });
  const rng = new Rng(7);
  for (let i = 0; i < 13; i++) buf.insert("x", "p", [{ steps: 1, width: 3, data: Float32Array.of(0, 0, 0), reward: Math.round(rng.normal() * 3) }]);
  for (const m of [1, 2, 3, 4, 7, 13, 20]) t.same(ids(pickContext(buf.all("x", "p"), m, "paper")), ids(buf.select("x", "p", m)), `m = ${m}`);
});

t.test("checkSelection names the choices; RLModel's context follows its selection", async (t) => {
  t.equal(checkSelection("latest"), "latest");
  t.throws(() => checkSelection("best"), { name: "ValueError", message: /expected one of "paper", "earliest", "latest", "random", got "best"/ });
  t.throws(
    () => RLModel.register({ task: "sel-bad", stateDim: 1, actionDim: 1, buffer: path.join(root, "bad.sqlite"), selection: "first" as never }),
    ValueError,
  );
  FlashModel.unregister("sel-bad");
  const make = (task: string, selection?: "latest" | "random") =>
    RLModel.register({
      task,
      stateDim: 1,
      actionDim: 1,
      buffer: path.join(root, `${task}.sqlite`),
      encoder: { hidden: 4, fcHidden: 4, embeddingDim: 2 },
      contextSize: 2,
      selection,
    });
  const paper = make("sel-paper");
  const latest = make("sel-latest", "latest");
  const random = make("sel-random", "random");
  t.teardown(() => ["sel-paper", "sel-latest", "sel-random"].forEach((k) => FlashModel.unregister(k)));
  t.equal(paper.selection, "paper", "the default is the paper's");
  for (const m of [paper, latest, random]) for (const r of [3, 1, 4, 0, 2]) await m.insertTrajSamples("p", [[r]], [[0]], [r]);
  const rewards = (m: RLModel) => m.context("p").map((s) => s.reward);
  t.same(rewards(paper), [3, 4], "paper: the best (4), then the earliest other (3)");
  t.same(rewards(latest), [0, 2], "latest: the last two");
  const r1 = rewards(random);
  t.equal(r1.length, 2);
  t.same(rewards(random), r1, "random: the same draw until the data changes");
});
