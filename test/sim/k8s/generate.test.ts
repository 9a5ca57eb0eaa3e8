import t from "tap";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { validateApplication } from "../../../sim/k8s/app.js";
import { generateApplications, loadApplications, writeApplications } from "../../../sim/k8s/generate.js";
import { compileApplication, serviceSeconds } from "../../../sim/k8s/profile.js";
import { SEGMENT_KINDS } from "../../../sim/k8s/segments.js";

t.test("1,000 valid applications determined by the seed", async (t) => {
  const a = generateApplications(42);
  t.equal(a.length, 1000);
  t.same(generateApplications(42, 20), a.slice(0, 20), "a prefix of the same stream");
  t.notSame(generateApplications(43, 20), a.slice(0, 20));
  for (const app of a) validateApplication(app, app.name);
  const kinds = new Set(a.flatMap((x) => x.segments.map((s) => s.kind)));
  t.equal(kinds.size, SEGMENT_KINDS.length, "every segment kind is used");
  t.equal(new Set(a.map((x) => x.name)).size, 1000, "unique names");
  // Every SLO is reachable: above the service time at one core.
  const tooTight = a.filter((app) => app.sloMs < serviceSeconds(compileApplication(app), 1) * 1000 * 1.99 && app.sloMs !== 10);
  t.same(
    tooTight.map((x) => x.name),
    [],
  );
});

t.test("write and load a directory; a bad file is named", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "k8s-apps-"));
  const apps = generateApplications(1, 5);
  writeApplications(dir, apps);
  t.same(loadApplications(dir), apps);
  writeFileSync(path.join(dir, "zz-bad.json"), JSON.stringify({ ...apps[0], runtimeMemoryMB: -1 }));
  t.throws(() => loadApplications(dir), /zz-bad\.json: field "runtimeMemoryMB"/);
});
