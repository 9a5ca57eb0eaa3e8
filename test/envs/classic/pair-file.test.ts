import t from "tap";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../../flash/rng.js";
import { generatePairs, makeFamilyEnv } from "../../../envs/classic/family.js";
import { loadPairFile, savePairFile } from "../../../envs/classic/pair-file.js";

const dir = mkdtempSync(join(tmpdir(), "pair-file-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `content` (a string written verbatim, else JSON) to a fresh file and returns its path. */
let counter = 0;
function file(content: unknown): string {
  const path = join(dir, `case${counter++}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

t.test("round trip: generated pairs saved and loaded are identical and build the same envs", async (t) => {
  const pairs = generatePairs("pendulum", 6, new Rng("pool"));
  const path = join(dir, "pool.json");
  savePairFile(path, "pendulum", pairs, "six pendulums");
  const back = loadPairFile(path);
  t.equal(back.family, "pendulum");
  t.equal(back.description, "six pendulums");
  t.same(back.pairs, pairs);
  const a = makeFamilyEnv("pendulum", pairs[2], 1);
  const b = makeFamilyEnv(back.family, back.pairs[2], 1);
  const ra = [a.reset(), a.step([1]).observation];
  const rb = [b.reset(), b.step([1]).observation];
  t.same(rb, ra);
  t.equal(b.pair, pairs[2].id);
  t.same(
    readdirSync(dir).filter((f) => f.includes(".tmp-")),
    [],
    "no temporary file left behind",
  );
  t.match(readFileSync(path, "utf8"), /^\{\n {2}"family": "pendulum"/, "pretty-printed JSON");

  const cp = generatePairs("cartpole", 3, new Rng("cp"));
  const cpath = join(dir, "cp.json");
  savePairFile(cpath, "cartpole", cp);
  t.same(loadPairFile(cpath), { family: "cartpole", pairs: cp });
});

t.test("hand-written file with an optional parameter", async (t) => {
  const path = file({
    family: "pendulum",
    pairs: [
      { id: "strong", params: { m: 1.2, l: 0.8, g: 9.8, maxTorque: 3 } },
      { id: "plain", params: { m: 1, l: 1, g: 10 } },
    ],
  });
  const f = loadPairFile(path);
  t.same(
    f.pairs.map((p) => p.id),
    ["strong", "plain"],
  );
  const space = makeFamilyEnv("pendulum", f.pairs[0]).actionSpace;
  t.same(space.kind === "box" ? Array.from(space.high) : null, [3], "maxTorque 3 widens the action box");
});

t.test("validation errors name the file and the field", async (t) => {
  const missing = join(dir, "nope.json");
  t.throws(() => loadPairFile(missing), { name: "MissingPathError", message: new RegExp(`pair file ${missing}: no such file`) });
  let p = file('{ "family": "pendulum", ');
  t.throws(() => loadPairFile(p), new RegExp(`pair file ${p}: malformed JSON`));
  p = file([1, 2]);
  t.throws(() => loadPairFile(p), /expected a JSON object with "family" and "pairs"/);
  p = file({ family: "acrobot", pairs: [] });
  t.throws(() => loadPairFile(p), new RegExp(`${p}: family: unknown family "acrobot"; known families are "pendulum", "cartpole"`));
  p = file({ pairs: [] });
  t.throws(() => loadPairFile(p), /missing field "family"/);
  p = file({ family: "pendulum", pair: [] });
  t.throws(() => loadPairFile(p), /unknown field "pair"/);
  p = file({ family: "pendulum", pairs: [] });
  t.throws(() => loadPairFile(p), /pairs: expected at least one pair/);
  p = file({ family: "pendulum", pairs: { a: 1 } });
  t.throws(() => loadPairFile(p), /pairs: expected an array/);

  const good = { m: 1, l: 1, g: 10 };
  p = file({
    family: "pendulum",
    pairs: [
      { id: "a", params: good },
      { id: "b", params: { m: 1, l: 1 } },
    ],
  });
  t.throws(() => loadPairFile(p), new RegExp(`${p}: pairs\\[1\\]\\.params\\.g: missing required pendulum parameter`));
  p = file({ family: "pendulum", pairs: [{ id: "a", params: { ...good, mass: 3 } }] });
  t.throws(() => loadPairFile(p), /pairs\[0\]\.params\.mass: unknown pendulum parameter/);
  p = file({ family: "pendulum", pairs: [{ id: "a", params: { ...good, l: 0 } }] });
  t.throws(() => loadPairFile(p), /pairs\[0\]\.params\.l: must be a finite number > 0, got 0/);
  p = file({ family: "pendulum", pairs: [{ id: "a", params: { ...good, m: -2 } }] });
  t.throws(() => loadPairFile(p), /params\.m: must be a finite number > 0, got -2/);
  p = file({ family: "pendulum", pairs: [{ id: "a", params: { ...good, g: "10" } }] });
  t.throws(() => loadPairFile(p), /params\.g: must be a finite number > 0, got "10"/);
  p = file('{"family": "pendulum", "pairs": [{"id": "a", "params": {"m": 1, "l": 1, "g": 1e999}}]}');
  t.throws(() => loadPairFile(p), /params\.g: must be a finite number > 0, got Infinity/);
  p = file({
    family: "pendulum",
    pairs: [
      { id: "a", params: good },
      { id: "b", params: good },
      { id: "a", params: good },
    ],
  });
  t.throws(() => loadPairFile(p), /pairs\[2\]\.id: duplicate id "a" \(also pairs\[0\]\)/);
  p = file({ family: "pendulum", pairs: [{ id: 7, params: good }] });
  t.throws(() => loadPairFile(p), /pairs\[0\]\.id: expected a non-empty string/);
  p = file({ family: "pendulum", pairs: [{ params: good }] });
  t.throws(() => loadPairFile(p), /pairs\[0\]\.id: expected a non-empty string.*got nothing/);
  p = file({ family: "pendulum", pairs: [{ id: "a", params: good, extra: 1 }] });
  t.throws(() => loadPairFile(p), /pairs\[0\]: unknown field "extra"/);
  p = file({ family: "pendulum", pairs: [{ id: "a" }] });
  t.throws(() => loadPairFile(p), /pairs\[0\]\.params: expected an object of pendulum parameters, got nothing/);
  p = file({ family: "cartpole", pairs: [{ id: "a", params: good }] });
  t.throws(() => loadPairFile(p), /params\.m: unknown cartpole parameter/);
});

t.test("savePairFile validates before writing anything", async (t) => {
  const path = join(dir, "bad-save.json");
  t.throws(
    () => savePairFile(path, "pendulum", [{ id: "a", params: { m: 1, l: 1, g: NaN } }]),
    /pair file .*bad-save\.json: pairs\[0\]\.params\.g: must be a finite number > 0, got NaN/,
  );
  t.throws(
    () =>
      savePairFile(path, "pendulum", [
        { id: "a", params: { m: 1, l: 1, g: 9 } },
        { id: "a", params: { m: 1, l: 1, g: 9 } },
      ]),
    /duplicate id "a"/,
  );
  t.throws(() => savePairFile(path, "pendulum", []), /at least one pair/);
  t.throws(() => savePairFile(path, "rocket" as "pendulum", [{ id: "a", params: {} }]), /unknown family "rocket"/);
  t.throws(() => loadPairFile(path), { name: "MissingPathError" }, "nothing was written");
});
