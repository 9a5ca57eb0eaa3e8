import t from "tap";
import { checkJobResult, checkUnitJob, isJobProgress, unitJobProblem } from "../../../../experiments/runner/queue/job-check.js";
import { jobIdOf, type UnitJob } from "../../../../experiments/runner/queue/protocol.js";
import { hashOf, planUnits, unitKeyOf } from "../../../../experiments/runner/units.js";

/** A well-formed job: unit "b" of a two-unit plan, depending on "a". */
function goodJob(): { id: string; data: UnitJob } {
  const [a, b] = planUnits(
    [
      { id: "a", kind: "x", deps: [], input: {} },
      { id: "b", kind: "x", deps: ["a"], input: { sleepMs: 1 } },
    ],
    0,
    "testing@1",
  );
  const runId = hashOf("run");
  const data: UnitJob = { runId, version: "git:0123456789ab", executor: "testing@1", unit: b, deps: { a: { value: 1 } }, depKeys: { a: a.key } };
  return { id: jobIdOf(runId, b.key), data };
}

/** A job as an attacker edits it: any field may be set to anything. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the point is to break the types
type Loose = Record<string, any>;

/** `goodJob` changed by `f`, with the unit key (and job id) recomputed unless `rekey` is false. */
function crafted(f: (d: Loose) => void, rekey = true): { id: string; data: unknown } {
  const { data } = goodJob();
  const d = structuredClone(data) as Loose;
  f(d);
  if (rekey && d.unit && typeof d.unit === "object") d.unit.key = unitKeyOf(String(d.executor), d.unit);
  return { id: jobIdOf(String(d.runId), String(d.unit?.key)), data: d };
}

t.test("a coordinator's job passes", async (t) => {
  const { id, data } = goodJob();
  t.equal(unitJobProblem(id, data), undefined);
  t.same(checkUnitJob(id, data, "h/1"), data);
});

t.test("an executor that is not a registry name is refused, saying what it is", async (t) => {
  const cases: [unknown, RegExp][] = [
    [
      "data:text/javascript,import('node:fs')",
      /executor "data:text\/javascript,import\('node:fs'\)" is a data: URL; a job names one of the harness's executors \(rl-protocols@1, testing@1\) and cannot locate code/,
    ],
    ["file:///tmp/evil.mjs", /is a file: URL/],
    ["https://example.com/evil.js", /is a https: URL/],
    ["../../../../tmp/evil", /is a path/],
    ["/tmp/evil", /is a path/],
    ["nope@1", /"nope@1" is an unknown name/],
    ["__proto__", /is an unknown name/],
    [{ name: "testing@1", module: "data:text/javascript,1" }, /executor is an object, expected the name of one of the harness's executors/],
    [undefined, /executor is missing/],
  ];
  for (const [executor, reason] of cases) {
    const { id, data } = crafted((d) => (d.executor = executor));
    t.match(unitJobProblem(id, data), reason, JSON.stringify(executor));
    t.throws(() => checkUnitJob(id, data, "h/1"), { name: "QueueJobError", code: "queue-job", message: /^worker h\/1 refused job .*; nothing of it ran$/ });
  }
});

t.test("malformed payloads are refused with the field named: types, sizes, ids", async (t) => {
  const cases: [string, { id: string; data: unknown }, RegExp][] = [
    ["a string", { id: "x", data: "hello" }, /the payload is a string, expected an object/],
    ["null", { id: "x", data: null }, /the payload is null/],
    ["an array", { id: "x", data: [] }, /the payload is an array/],
    ["empty", { id: "x", data: {} }, /executor is missing/],
    ["extra field", crafted((d) => (d.evil = 1)), /the payload has unexpected field\(s\) "evil"/],
    ["run id path", crafted((d) => (d.runId = "../../../../tmp/x")), /run id "\.\.\/\.\.\/\.\.\/\.\.\/tmp\/x": expected 16 hex digits/],
    ["version", crafted((d) => (d.version = 7)), /version a number/],
    ["unit missing", crafted((d) => delete d.unit), /unit is missing, expected an object/],
    ["unit id number", crafted((d) => (d.unit.id = 5)), /unit id a number: expected a relative name/],
    ["unit id climbing", crafted((d) => (d.unit.id = "../../etc")), /unit id "\.\.\/\.\.\/etc"/],
    ["unit id absolute", crafted((d) => (d.unit.id = "/etc/x")), /unit id "\/etc\/x"/],
    ["unit id control", crafted((d) => (d.unit.id = "a\u001b[2Jb")), /unit id "a\\u001b\[2Jb"/],
    ["unit id long", crafted((d) => (d.unit.id = "u".repeat(600))), /at most 512 printable characters/],
    ["deps not array", crafted((d) => (d.unit.deps = "a")), /unit deps: expected an array/],
    ["dep twice", crafted((d) => (d.unit.deps = ["a", "a"])), /unit deps name a unit twice/],
    ["dep itself", crafted((d) => (d.unit.deps = ["b"])), /unit dependency "b": expected the id of another unit/],
    ["no input", crafted((d) => delete d.unit.input), /unit has no input/],
    ["cost", crafted((d) => (d.unit.cost = -1)), /unit cost/],
    ["seed", crafted((d) => (d.unit.seed = 2 ** 40)), /unit seed a number: expected a 31-bit integer/],
    ["unit extra", crafted((d) => (d.unit.module = "x")), /unit has unexpected field\(s\) "module"/],
    ["key", crafted((d) => (d.unit.key = "zz"), false), /unit key "zz": expected 16 hex digits/],
    [
      "key mismatch",
      crafted((d) => (d.unit.input = { fail: true }), false),
      /unit key [0-9a-f]{16} does not match the unit's executor, kind, input, seed and deps/,
    ],
    ["deps missing", crafted((d) => (d.deps = {})), /deps lacks dependency "a"/],
    ["deps extra", crafted((d) => (d.deps.z = 1)), /deps names "z", which is not a dependency of the unit/],
    ["depKeys path", crafted((d) => (d.depKeys.a = "../../../../tmp")), /dependency key "\.\.\/\.\.\/\.\.\/\.\.\/tmp": expected 16 hex digits/],
    ["depKeys array", crafted((d) => (d.depKeys = ["x"])), /depKeys is an array/],
  ];
  for (const [what, { id, data }, reason] of cases) t.match(unitJobProblem(id, data), reason, what);
  const { data } = goodJob();
  t.match(unitJobProblem("someone-elses-id", data), /job id "someone-elses-id" is not the run id and unit key/);
  const big = crafted((d) => (d.unit.input = { pad: "x".repeat(2 ** 20) }));
  t.match(unitJobProblem(big.id, big.data, 2 ** 19), /the payload is 1\.0 MiB, over the 0\.5 MiB a job may carry \(FLASH_QUEUE_JOB_MB\)/);
  t.equal(unitJobProblem(big.id, big.data), undefined, "within the default 64 MiB");
});

t.test("the coordinator checks a finished job's result and progress", async (t) => {
  const ok = { result: { value: 1 }, host: "h/1", slot: 0, seconds: 0.5, blobBytes: 10 };
  t.same(checkJobResult("u", ok), ok);
  for (const [bad, reason] of [
    [null, /the result is null/],
    [{ host: "h/1", slot: 0, seconds: 1, blobBytes: 1 }, /it has no result/],
    [{ ...ok, host: "h\u001b[2J" }, /host "h\\u001b\[2J"/],
    [{ ...ok, slot: -1 }, /slot a number/],
    [{ ...ok, seconds: "1" }, /seconds "1"/],
  ] as [unknown, RegExp][]) {
    t.throws(() => checkJobResult("u", bad), { name: "QueueResultError", code: "queue-result", message: reason });
  }
  t.ok(isJobProgress({ fraction: 0.5, message: "half", host: "h/1", slot: 0 }));
  t.notOk(isJobProgress({ fraction: "x", message: "", host: "h/1", slot: 0 }));
  t.notOk(isJobProgress({ fraction: 0.5, message: "\u001b[2J", host: "h/1", slot: 0 }), "no terminal escapes into the coordinator's log");
  t.notOk(isJobProgress(null));
});
