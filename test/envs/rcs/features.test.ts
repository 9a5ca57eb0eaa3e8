import t from "tap";
import path from "node:path";
import { Rng } from "../../../flash/rng.js";
import {
  basePairRows,
  chooseBases,
  compactContextRows,
  contextRows,
  featureNames,
  loadServerless,
  makeQuery,
  nearestBase,
  queryRows,
  type RcsWorkload,
} from "../../../envs/rcs/index.js";

const ds = loadServerless(path.resolve("test/fixtures/rcs/serverless"));

/** The same workload with everything measured at `key` replaced by garbage. */
function tamper(w: RcsWorkload, key: string): RcsWorkload {
  const c = structuredClone(w);
  const p = c.points.find((q) => q.key === key)!;
  p.duration *= 37;
  p.metrics = p.metrics.map((v) => v * 3 + 11);
  p.runs = 999;
  return c;
}

t.test("features: names match widths; nearest base; naive label is 1 at the base", async (t) => {
  const w = ds.workloads[1];
  const { query, truth } = makeQuery(w, ["256", "1024"]);
  t.same(
    query.targets.map((x) => x.key),
    ["128", "512", "2048"],
  );
  const rows = queryRows(query);
  t.equal(rows.features[0].length, featureNames(ds).length);
  t.same(rows.refKey, ["256", "256", "1024"], "128 -> 256, 512 -> 256 (tie: earlier base), 2048 -> 1024");
  t.equal(truth.length, 3);
  t.equal(nearestBase(query.bases, query.targets[2]).key, "1024");
  const ctx = contextRows(query);
  t.equal(ctx.features.length, 4, "2 bases: 4 ordered pairs incl. self");
  t.same(
    ctx.labels.filter((_, i) => i % 3 === 0),
    [0, 0],
    "self pairs have log-ratio 0",
  );
  t.equal(basePairRows(query).labels.length, 2);
  const one = contextRows({ ...query, bases: query.bases.slice(0, 1) });
  t.equal(one.features.length, 1, "1-shot context: the one self row");
  t.same(one.labels, [0]);
});

t.test("LEAK: nothing measured at a target reaches the query, the features or the meta learner's context", async (t) => {
  for (const w of ds.workloads) {
    for (const X of [1, 2, 3]) {
      const bases = chooseBases(w, X, new Rng(`${w.id}/${X}`));
      const a = makeQuery(w, bases);
      for (const target of a.query.targets) {
        const b = makeQuery(tamper(w, target.key), bases);
        t.same(b.query, a.query, `${w.id} ${X}-shot: query unchanged when ${target.key} is altered`);
        t.same(queryRows(b.query), queryRows(a.query));
        t.same(contextRows(b.query), contextRows(a.query));
        t.same(compactContextRows(b.query), compactContextRows(a.query));
        t.same(basePairRows(b.query), basePairRows(a.query));
        t.not(b.truth.join(), a.truth.join(), "the truth does see the change (the test can detect a leak)");
      }
      // And altering a base does change what the models read: the test is sensitive.
      const c = makeQuery(tamper(w, bases[0]), bases);
      t.notSame(contextRows(c.query), contextRows(a.query));
      if (X > 1) t.notSame(compactContextRows(c.query), compactContextRows(a.query));
    }
  }
});

t.test("too few sizes for the shot count names the workload and app", async (t) => {
  const w = { ...ds.workloads[0], points: ds.workloads[0].points.slice(0, 3) };
  t.throws(() => chooseBases(w, 3, new Rng(1)), /workload "app0" \(app "app0"\) is measured at 3 configuration\(s\); 3-shot needs 3 base\(s\) plus 1 target/);
  t.throws(() => makeQuery(w, ["4096"]), /no measurement at base 4096/);
});
