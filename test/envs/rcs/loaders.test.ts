import t from "tap";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, renameSync } from "node:fs";
import { gzipSync } from "node:zlib";
import os from "node:os";
import path from "node:path";
import { detectLayout, filterEnvs, loadMultiCloud, loadRcsDataset, loadServerless, RcsDataError, SERVERLESS_METRICS } from "../../../envs/rcs/index.js";

const FIX = path.resolve("test/fixtures/rcs");

function tmpCopy(t: { teardown(f: () => void): void }, name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "rcs-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(FIX, name), path.join(dir, name), { recursive: true });
  return path.join(dir, name);
}

t.test("serverless fixture: one workload per (app, variant), points per size, metrics", async (t) => {
  const ds = loadServerless(path.join(FIX, "serverless"));
  t.equal(ds.layout, "serverless");
  t.equal(detectLayout(path.join(FIX, "serverless")), "serverless");
  // 6 apps: even ones have 1 variant, odd ones 2.
  t.equal(ds.workloads.length, 9);
  t.same(
    ds.workloads.map((w) => w.id),
    ["app0", "app1#0", "app1#1", "app2", "app3#0", "app3#1", "app4", "app5#0", "app5#1"],
  );
  const w = ds.workloads[1];
  t.equal(w.app, "app1");
  t.equal(w.runtime, "python");
  t.same(
    w.points.map((p) => p.memoryMb),
    [128, 256, 512, 1024, 2048],
  );
  t.equal(w.points[0].metrics.length, SERVERLESS_METRICS.length);
  t.equal(w.points[0].runs, 3);
  t.ok(w.points.every((p) => p.metrics.every(Number.isFinite)));
  // Node.js rows carry the runtime-specific columns; they are read past and give the same metric width.
  t.equal(ds.workloads[0].points[0].metrics.length, SERVERLESS_METRICS.length);
  // The mean duration is the mean of the rows of that variant only.
  const rows = readFileSync(path.join(FIX, "serverless/app1/128.csv"), "utf8").trim().split("\n").slice(1);
  const v1 = rows
    .map((r) => r.split(","))
    .filter((f) => f[f.length - 1] === "1")
    .map((f) => Number(f[0]));
  t.ok(Math.abs(ds.workloads[2].points[0].duration - v1.reduce((a, b) => a + b, 0) / v1.length) < 1e-9);
});

t.test("serverless bad input: clear errors naming the file or app", async (t) => {
  t.throws(() => loadServerless("/nonexistent/rcs"), { name: "RcsDataError", message: /does not exist/ });
  const empty = mkdtempSync(path.join(os.tmpdir(), "rcs-empty-"));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  t.throws(() => loadServerless(empty), /is empty/);

  let d = tmpCopy(t, "serverless");
  renameSync(path.join(d, "app2/512.csv"), path.join(d, "app2/large.csv"));
  t.throws(() => loadServerless(d), /app "app2".*large\.csv lacks a memory size/);

  d = tmpCopy(t, "serverless");
  const f = path.join(d, "app3/256.csv");
  const lines = readFileSync(f, "utf8").split("\n");
  lines[2] = lines[2].replace(/^[^,]+/, "abc");
  writeFileSync(f, lines.join("\n"));
  t.throws(() => loadServerless(d), /app3\/256\.csv:3: unparsable row: column "duration" is "abc"/);

  d = tmpCopy(t, "serverless");
  const g = path.join(d, "app0/1024.csv");
  const gl = readFileSync(g, "utf8").split("\n");
  gl[1] = gl[1] + ",7";
  writeFileSync(g, gl.join("\n"));
  t.throws(() => loadServerless(d), /app0\/1024\.csv:2: unparsable row: \d+ fields/);

  d = tmpCopy(t, "serverless");
  const h = path.join(d, "app1/128.csv");
  const hl = readFileSync(h, "utf8").split("\n");
  const cols = hl[0].split(",");
  const drop = cols.indexOf("sysDiff");
  writeFileSync(
    h,
    hl
      .map((l) =>
        l
          .split(",")
          .filter((_, i) => i !== drop)
          .join(","),
      )
      .join("\n"),
  );
  t.throws(() => loadServerless(d), /app "app1".*128\.csv lacks required column\(s\) sysDiff/);

  d = tmpCopy(t, "serverless");
  rmSync(path.join(d, "app4"), { recursive: true });
  t.throws(() => loadServerless(d), /app "app4": folder .* is missing/);

  d = tmpCopy(t, "serverless");
  for (const s of [128, 256, 512, 1024, 2048]) rmSync(path.join(d, `app5/${s}.csv`));
  t.throws(() => loadServerless(d), /app "app5".*holds no <memory_mb>\.csv/);

  d = tmpCopy(t, "serverless");
  mkdirSync(path.join(d, "stray"));
  t.match(loadServerless(d).notes.join(), /stray is not listed/);
});

t.test("gzipped size files (<memory_mb>.csv.gz) load as their text does", async (t) => {
  const plain = loadServerless(path.join(FIX, "serverless"));
  const d = tmpCopy(t, "serverless");
  // Gzip every size file of every other app, so one folder mixes both forms.
  for (const app of ["app0", "app2", "app3"])
    for (const f of readdirSync(path.join(d, app))) {
      const file = path.join(d, app, f);
      writeFileSync(`${file}.gz`, gzipSync(readFileSync(file)));
      rmSync(file);
    }
  const zipped = loadServerless(d);
  t.same(
    zipped.workloads.map((w) => w.points),
    plain.workloads.map((w) => w.points),
  );
  writeFileSync(path.join(d, "app0/512.csv"), readFileSync(path.join(FIX, "serverless/app0/512.csv")));
  t.throws(() => loadServerless(d), /app "app0": .*512\.csv(\.gz)? and .*512\.csv(\.gz)? both hold memory size 512 MB/);
  rmSync(path.join(d, "app0/512.csv"));
  writeFileSync(path.join(d, "app2/256.csv.gz"), "not gzip");
  t.throws(() => loadServerless(d), { name: "RcsDataError", message: /app2\/256\.csv\.gz: not a readable gzip file/ });
});

t.test("multi-cloud fixture and the real file's shape; failed runs skipped; env filter", async (t) => {
  const ds = loadMultiCloud(path.join(FIX, "multi-cloud"));
  t.equal(ds.layout, "multicloud");
  t.equal(loadRcsDataset(path.join(FIX, "multi-cloud")).layout, "multicloud");
  t.equal(ds.workloads.length, 8);
  t.equal(ds.workloads[0].app, "task0");
  t.equal(ds.workloads[0].variant, "ds0");
  t.same(ds.configNames, ["provider_A", "provider_B", "A_family_plus1", "A_vcpu_plus1", "B_family_plus1", "B_vcpu_plus1", "nodes"]);
  t.match(ds.notes.join(), /rows with a status other than "ok" skipped/);
  const all = loadMultiCloud(path.join(FIX, "multi-cloud"), { includeFailed: true });
  t.equal(
    all.workloads.reduce((a, w) => a + w.points.length, 0),
    8 * 24,
  );
  const p = all.workloads[0].points[0];
  t.equal(p.env, "A");
  t.ok(p.pricePerMs! > 0);
  const onlyB = filterEnvs(all, ["B"]);
  t.ok(onlyB.workloads.every((w) => w.points.every((q) => q.env === "B")));
});

t.test("multi-cloud bad input", async (t) => {
  const d = tmpCopy(t, "multi-cloud");
  const f = path.join(d, "configs.csv");
  const lines = readFileSync(f, "utf8").split("\n");
  writeFileSync(f, [lines[0], lines[1].replace(/,ok$/, ""), ...lines.slice(2)].join("\n"));
  t.throws(() => loadMultiCloud(d), /configs\.csv:2: unparsable row: 10 fields, the header has 11/);
  writeFileSync(f, [lines[0], lines[1].replace(",A,", ",Z,")].join("\n"));
  t.throws(() => loadMultiCloud(d), /configs\.csv:2: unparsable row: provider "Z"/);
  writeFileSync(f, lines[0].replace(",target_runtime", ",runtime_s") + "\n");
  t.throws(() => loadMultiCloud(d), RcsDataError);
  rmSync(f);
  t.throws(() => loadMultiCloud(d), /is empty/);
});
