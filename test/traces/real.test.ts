import t from "tap";
import { mkdtempSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { listTraces, loadAzureFunctions, loadAzureLlm, loadTbz2Series, parseIntegerSeries } from "../../traces/real.js";
import { tracesFrom } from "../../traces/index.js";
import { traceStats } from "../../traces/trace.js";
import { datasetPath } from "../../experiments/datasets.js";

const REAL = datasetPath("load-traces");
const tmp = mkdtempSync(path.join(os.tmpdir(), "trace-real-"));

t.test("small files written by the test", async (t) => {
  const az = path.join(tmp, "az.csv");
  writeFileSync(az, "HashFunction,Trigger,1,2,3\n0,http,60,0,120\n1,timer,60,60,60\n");
  t.same([...loadAzureFunctions(az).rates], [2, 1, 3]);
  t.same([...loadAzureFunctions(az, [1]).rates], [1, 1, 1]);
  t.throws(() => loadAzureFunctions(az, [7]), /no matching rows/);
  writeFileSync(az, "HashFunction,Trigger,1\n0,http,-1\n");
  t.throws(() => loadAzureFunctions(az), /az\.csv: line 2 field 1: expected a count >= 0/);

  const llm = path.join(tmp, "llm.csv");
  writeFileSync(
    llm,
    "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00.1000000,1,1\n2023-11-16 18:00:00.9000000,1,1\n2023-11-16 18:00:02.5000000,1,1\n",
  );
  t.same([...loadAzureLlm(llm).rates], [2, 0, 1]);
  writeFileSync(llm, "TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,1,1\n");
  t.throws(() => loadAzureLlm(llm), /llm\.csv: line 2 field TIMESTAMP/);

  t.same([...parseIntegerSeries(new TextEncoder().encode("1 22 3\n4"), "x")], [1, 22, 3, 4]);
  t.throws(() => parseIntegerSeries(new TextEncoder().encode("1 -2"), "x"), /x: byte 2/);

  // A .tbz2 made here with the system tar, read back through the pipe.
  writeFileSync(path.join(tmp, "workload.txt"), "5 6 7 8 ");
  const arch = path.join(tmp, "mini.tbz2");
  execFileSync("tar", ["-cjf", arch, "-C", tmp, "workload.txt"]);
  const tr = loadTbz2Series(arch);
  t.same([...tr.rates], [5, 6, 7, 8]);
  t.equal(tr.name, "mini");
  t.throws(() => loadTbz2Series(path.join(tmp, "none.tbz2")), /none\.tbz2: \(file\)/);
  t.throws(() => loadTbz2Series(az), /az\.csv: workload\.txt: expected a bzip2 tar archive/);

  writeFileSync(path.join(tmp, "user.csv"), "t,rate\n0,1\n60,2\n");
  const names = listTraces(tmp).map((e) => e.name);
  t.ok(names.includes("user") && names.includes("mini"), names.join(","));
  t.notOk(names.includes("az"), "a CSV in another format is not taken for a trace");
});

t.test("no folder: the synthetic default", async (t) => {
  const set = tracesFrom(undefined, 3);
  t.equal(set.length, 4);
  t.ok(set[0].load().rates.length > 100);
});

t.test("the repository's trace folder (data/load-traces)", async (t) => {
  const entries = listTraces(REAL);
  t.same(entries.map((e) => e.name).sort(), [
    "azure-functions-2019",
    "azure-llm-inference-2023-code",
    "azure-llm-inference-2023-conv",
    "nasa-http-1995",
    "twitter-2021",
  ]);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const az = byName.get("azure-functions-2019")!.load();
  t.equal(az.rates.length, 60);
  t.equal(az.stepSeconds, 60);
  t.ok(Math.abs(traceStats(az).mean * 60 - 1424.5) < 0.1, "mean 1424.5 invocations per minute");
  const code = byName.get("azure-llm-inference-2023-code")!.load();
  // The folder README says 8,818; the file holds 8,819 data rows (csv.reader agrees).
  t.ok(Math.abs(code.rates.reduce((a, b) => a + b, 0) - 8819) < 1e-9, "8,819 requests");
  const nasa = byName.get("nasa-http-1995")!.load();
  t.equal(nasa.rates.length, 5059950);
  t.ok(Math.abs(traceStats(nasa).mean - 0.684) < 0.001);
  const tw = byName.get("twitter-2021")!.load();
  t.equal(tw.rates.length, 1899061);
});

t.test("one trace file in place of a folder; a folder outside data/ in the layout (test/fixtures/load-traces)", async (t) => {
  const one = listTraces(datasetPath("azure-functions-2019"));
  t.same(
    one.map((e) => e.name),
    ["azure-functions-2019"],
  );
  t.equal(one[0].load().rates.length, 60);
  const fixture = listTraces(path.resolve("test/fixtures/load-traces"));
  t.same(
    fixture.map((e) => e.name),
    ["azure-functions-2019", "user-diurnal"],
  );
  const az = fixture[0].load();
  t.equal(az.stepSeconds, 60);
  t.equal(az.rates[0], 14 / 60, "minute 1: 14 invocations over the five functions");
  t.equal(fixture[1].load().rates.length, 120);
  t.throws(() => listTraces(path.resolve("test/fixtures/load-traces/README.md")), {
    name: "TraceError",
    message: /README\.md: \(file\): expected a trace file/,
  });
});
