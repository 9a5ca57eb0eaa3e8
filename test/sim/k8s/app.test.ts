import t from "tap";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { APP_SCHEMA, loadApplication, saveApplication, validateApplication } from "../../../sim/k8s/app.js";
import { SchemaError } from "../../../sim/k8s/errors.js";

const good = {
  schema: APP_SCHEMA,
  name: "thumbnailer",
  segments: [
    { kind: "objectStorageRead", size: 2048 },
    { kind: "imageResize", size: 1600 },
  ],
  runtimeMemoryMB: 128,
  sloMs: 400,
  load: 1,
};

t.test("a valid application round-trips through a file", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "k8s-app-"));
  const f = path.join(dir, "a.json");
  saveApplication(f, validateApplication(good));
  t.same(loadApplication(f), good);
});

t.test("schema errors name the file and the field", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "k8s-app-"));
  const cases: [string, unknown, RegExp][] = [
    [
      "bad-size.json",
      { ...good, segments: [{ kind: "imageResize", size: -3 }] },
      /bad-size\.json: field "segments\[0\]\.size": expected a number in \[128, 4096\].*got -3/,
    ],
    ["bad-kind.json", { ...good, segments: [{ kind: "gpuTraining", size: 1 }] }, /field "segments\[0\]\.kind": expected one of floatOperations/],
    ["zero-mem.json", { ...good, runtimeMemoryMB: 0 }, /zero-mem\.json: field "runtimeMemoryMB": expected a finite number > 0.*got 0/],
    ["neg-slo.json", { ...good, sloMs: -1 }, /field "sloMs"/],
    ["no-load.json", { ...good, load: undefined }, /field "load".*field missing/],
    ["typo.json", { ...good, sloMS: 3 }, /typo\.json: field "sloMS".*unknown field/],
    ["schema.json", { ...good, schema: "v0" }, /field "schema"/],
    ["empty.json", { ...good, segments: [] }, /field "segments": expected an array of 1 to 16/],
    ["name.json", { ...good, name: "a b" }, /field "name"/],
  ];
  for (const [file, obj, re] of cases) {
    const f = path.join(dir, file);
    writeFileSync(f, JSON.stringify(obj));
    t.throws(() => loadApplication(f), re, file);
    t.throws(() => loadApplication(f), SchemaError);
  }
  const broken = path.join(dir, "broken.json");
  writeFileSync(broken, "{ not json");
  t.throws(() => loadApplication(broken), /broken\.json: field "\(root\)": expected valid JSON/);
  t.throws(() => loadApplication(path.join(dir, "missing.json")), /missing\.json: field "\(file\)"/);
});
