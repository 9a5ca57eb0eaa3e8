import t from "tap";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { rcsDataFolders, rcsSplits } from "../../../experiments/rcs/data.js";
import { datasetPath } from "../../../experiments/datasets.js";

const FIX = path.resolve("test/fixtures/rcs");

t.test("without --data: both of the repository's datasets, every split", async (t) => {
  const f = rcsDataFolders(null);
  t.same(f, { serverless: datasetPath("serverless-functions"), multicloud: datasetPath("multi-cloud") });
  t.same(rcsSplits(f), ["fit", "a", "b", "c-workloads", "c-providers", "gen-new", "gen-real", "gen-loao"]);
});

t.test("--data names one or both, as names or folders in either layout", async (t) => {
  const s = rcsDataFolders("serverless-functions");
  t.same(s, { serverless: datasetPath("serverless-functions"), multicloud: null });
  t.same(rcsSplits(s), ["fit", "a", "b", "gen-new", "gen-real", "gen-loao"], "serverless data alone: all but the (c) splits");
  const both = rcsDataFolders(`${path.join(FIX, "serverless")}, multi-cloud`);
  t.same(both, { serverless: path.join(FIX, "serverless"), multicloud: datasetPath("multi-cloud") }, "a user folder beside a name");
  t.same(rcsSplits(rcsDataFolders(path.join(FIX, "multi-cloud"))), ["c-workloads", "c-providers"]);
  // A folder holding serverless-functions/ and multi-cloud/ (the old --data DIR form) gives both.
  const root = mkdtempSync(path.join(os.tmpdir(), "rcs-data-"));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  cpSync(path.join(FIX, "serverless"), path.join(root, "serverless-functions"), { recursive: true });
  cpSync(path.join(FIX, "multi-cloud"), path.join(root, "multi-cloud"), { recursive: true });
  t.same(rcsDataFolders(root), { serverless: path.join(root, "serverless-functions"), multicloud: path.join(root, "multi-cloud") });
  t.same(rcsDataFolders(path.resolve("data")), rcsDataFolders(null), "the repository's data/ folder itself");
});

t.test("bad --data values are usage errors", async (t) => {
  t.throws(() => rcsDataFolders("nope"), {
    name: "MissingPathError",
    message: /--data: "nope" does not exist and is not a dataset name; known names: serverless-functions, multi-cloud/,
  });
  t.throws(() => rcsDataFolders("load-traces"), { name: "UsageError", message: /--data: dataset load-traces holds request-rate traces/ });
  t.throws(() => rcsDataFolders(`serverless-functions,${path.join(FIX, "serverless")}`), {
    name: "UsageError",
    message: /--data: ".*serverless" gives a second serverless dataset beside .*serverless-functions/,
  });
  t.throws(() => rcsSplits(rcsDataFolders("multi-cloud"), ["a"]), {
    name: "UsageError",
    message: /rcs: split a needs serverless data, which --data did not name/,
  });
  t.throws(() => rcsSplits(rcsDataFolders(null), ["z"]), {
    name: "UsageError",
    message: /rcs: unknown split "z"; known splits: fit, a, b, c-workloads, c-providers, gen-new, gen-real, gen-loao/,
  });
  t.same(rcsSplits(rcsDataFolders(null), ["b"]), ["b"]);
});
