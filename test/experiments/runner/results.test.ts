/**
 * results.json's schema versions: a flash-adapt-results@1 file (test/fixtures/results-v1,
 * a real autoscaling quick run's results.json with its long arrays cut to a few entries)
 * migrates to @2 with snake_case field names and the same numbers, and `flash report`
 * renders it without rewriting it.
 */
import t from "tap";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DataError } from "../../../errors.js";
import { rerender } from "../../../experiments/report/rl-report.js";
import { migrateResults, RESULTS_FORMAT, snakeCase } from "../../../experiments/runner/results.js";
import { nonSnakeFields } from "../../helpers/results-fields.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const fixture = path.join(root, "test/fixtures/results-v1/results.json");
const v1 = () => JSON.parse(readFileSync(fixture, "utf8"));

/** Every primitive value of a JSON tree, sorted (renamed fields move in key order). */
function leaves(o: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (x !== null && typeof x === "object") Object.values(x).forEach(walk);
    else out.push(JSON.stringify(x));
  };
  walk(o);
  return out.sort();
}

t.test("snakeCase", async (t) => {
  t.equal(snakeCase("rewardDropFlash"), "reward_drop_flash");
  t.equal(snakeCase("memGiB"), "mem_gi_b", "each capital starts a word (the migration names memGiB itself)");
  t.equal(snakeCase("already_snake"), "already_snake");
});

t.test("@1 -> @2: every field name snake_case, the same numbers, the input untouched", async (t) => {
  const old = v1();
  t.equal(old.format, "flash-adapt-results@1");
  t.ok(nonSnakeFields(old).length > 10, "the fixture is a real @1 file (camelCase fields)");
  const r = migrateResults(old, fixture);
  t.equal(r.format, RESULTS_FORMAT);
  t.same(nonSnakeFields(r), [], "no camelCase field left");
  t.same(old, v1(), "migration works on a copy");
  const { profile_purpose: _added, reference_rule: _rule, room: _room, ...renamed } = r;
  t.same(leaves({ ...renamed, format: null }), leaves({ ...old, format: null }), "every value kept (names and format aside)");
  t.equal(r.profile_purpose, null, "@1 did not record what the profile is for");
  t.equal(r.reference_rule, null, "written before the reference rule: null, not absent");
  t.equal(r.room, null, "written before the room benchmark: null, not absent");
  // Spot checks: the same numbers under the new names.
  t.equal(r.adaptation.by_variant[0].converged_fraction, old.adaptation.byVariant[0].convergedFraction);
  t.same(r.baselines.hpa.by_pair, old.baselines.hpa.byPair, "map keys (pair ids) kept");
  t.same(Object.keys(r.updates!.by_scenario), Object.keys(old.updates.byScenario), "scenario names kept");
  t.equal(r.references[0].eval_return, old.references[0].evalReturn);
  t.equal(r.references[0].train_level, old.references[0].trainLevel);
  t.equal(r.reward_drop.samples[0].trained_on, old.reward_drop.samples[0].trainedOn);
  t.equal(r.amortisation![0].points[0].per_pair, old.amortisation[0].points[0].perPair);
  t.same(r.amortisation![0].break_even, old.amortisation[0].breakEven);
  t.same(r.operations!.by_variant.hpa, old.operations.byVariant.hpa, "metric ids (cpuUtil) kept");
  t.equal(r.wall.unit_seconds_sum, old.wall.unitSecondsSum);
  t.equal(r.wall.invocations[0].ran_units, old.wall.invocations[0].ranUnits);
  t.equal(r.provenance.machine.mem_gib, old.provenance.machine.memGiB);
  t.equal(r.provenance.backend?.tf_version, old.provenance.backend.tfVersion);
  t.equal(r.paper?.reward_drop_flash, old.paper.rewardDropFlash);
  t.same(r.config, old.config, "the embedded run config keeps its own schema");
  t.equal(migrateResults(r, "x"), r, "@2 passes through");
});

t.test("another format is a DataError naming the file and both formats", async (t) => {
  t.throws(() => migrateResults({ format: "flash-adapt-results@9" }, "dir/results.json"), DataError);
  t.throws(() => migrateResults({}, "dir/results.json"), /dir\/results.json: expected format flash-adapt-results@2 or flash-adapt-results@1, got undefined/);
});

t.test("flash report on an @1 directory: report.md rendered, results.json not rewritten", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "results-v1-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(fixture, path.join(dir, "results.json"));
  const figures = await rerender(dir);
  t.ok(figures.length > 0);
  const md = readFileSync(path.join(dir, "report.md"), "utf8");
  t.match(md, /adaptation speedup, FLASH vs TL/);
  t.match(md, /5\.5x/, "the paper's speedup read from the migrated paper block");
  t.equal(readFileSync(path.join(dir, "results.json"), "utf8"), readFileSync(fixture, "utf8"));
});
