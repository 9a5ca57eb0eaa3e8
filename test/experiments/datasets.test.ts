import t from "tap";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { dataRoot, datasetNames, datasetPath, DATASETS, resolveDataset, type DatasetName } from "../../experiments/datasets.js";
import { exitCodeFor } from "../../errors.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

t.test("every name resolves inside the repository's data/ folder, to a file or folder that exists", async (t) => {
  t.equal(dataRoot(), path.join(repo, "data"));
  for (const name of Object.keys(DATASETS) as DatasetName[]) {
    const p = datasetPath(name);
    t.ok(p.startsWith(path.join(repo, "data") + path.sep) && existsSync(p), `${name} -> ${p}`);
  }
  t.same(datasetNames(["serverless", "multi-cloud"]), ["serverless-functions", "multi-cloud"]);
  t.same(datasetNames(["link-traces"]), ["network-traces"]);
});

t.test("resolveDataset: names, paths, synthetic; errors are usage errors listing the names", async (t) => {
  const traces = { option: "--traces", kinds: ["load-traces"] as const, synthetic: true as const };
  t.equal(resolveDataset("load-traces", traces), datasetPath("load-traces"));
  t.equal(resolveDataset("nasa-http-1995", traces), path.join(repo, "data/load-traces/nasa-http-1995.tbz2"));
  t.equal(resolveDataset("synthetic", traces), null);
  t.equal(resolveDataset("test/fixtures/load-traces", traces), path.resolve("test/fixtures/load-traces"), "a relative path becomes absolute");

  const unknown = (() => {
    try {
      resolveDataset("azure-functions-2021", traces);
    } catch (e) {
      return e as Error;
    }
  })();
  t.equal(unknown?.name, "MissingPathError");
  t.match(unknown?.message, /--traces: "azure-functions-2021" does not exist and is not a dataset name; known names: load-traces, azure-functions-2019, /);
  t.match(unknown?.message, /twitter-2021, synthetic \(data\/README\.md\)/);
  t.equal(exitCodeFor(unknown), 2, "exit 2");
  t.throws(() => resolveDataset("serverless-functions", traces), { name: "UsageError", message: /--traces: dataset serverless-functions holds 44 serverless/ });
  t.throws(() => resolveDataset("", traces), { name: "UsageError", message: /--traces: expected a dataset name .* or a path, got an empty value/ });
  // Where synthetic is not allowed it is a path like any other word, and none exists.
  t.throws(
    () => resolveDataset("synthetic", { option: "--data", kinds: ["serverless"] }),
    /--data: "synthetic" does not exist and is not a dataset name; known names: serverless-functions \(/,
  );
});

t.test("a bare name means the repository's copy even beside a folder of that name; ./name means the folder", async (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "datasets-"));
  const here = process.cwd();
  t.teardown(() => {
    process.chdir(here);
    rmSync(tmp, { recursive: true, force: true });
  });
  mkdirSync(path.join(tmp, "load-traces"));
  process.chdir(tmp);
  const o = { option: "--traces", kinds: ["load-traces"] as const };
  t.equal(resolveDataset("load-traces", o), path.join(repo, "data/load-traces"));
  t.equal(resolveDataset("./load-traces", o), path.join(tmp, "load-traces"));
});
