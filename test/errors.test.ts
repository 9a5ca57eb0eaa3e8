import t from "tap";
import {
  ConfigError,
  DataError,
  exitCodeFor,
  FlashAdaptError,
  InternalError,
  MissingPathError,
  OptionValueError,
  StateError,
  UnknownNameError,
  UsageError,
} from "../errors.js";
import { CheckpointError, FlashError, ShapeError, UnknownTaskError } from "../flash/errors.js";
import { TraceError } from "../traces/errors.js";
import { SchemaError, SimConfigError } from "../sim/k8s/errors.js";
import { RcsDataError } from "../envs/rcs/errors.js";
import { ConfigError as RunConfigError } from "../experiments/runner/config.js";
import { UsageError as ArgsUsageError } from "../experiments/args.js";

t.test("every named error of the project has one root, its own name and a stable code", async (t) => {
  const cases: [FlashAdaptError, string, string][] = [
    [new ShapeError("x", "3 numbers", "2"), "ShapeError", "shape"],
    [new UnknownTaskError("t", ["a"]), "UnknownTaskError", "unknown-task"],
    [new CheckpointError("m"), "CheckpointError", "checkpoint"],
    [new TraceError("f.csv", "rate", "a number", "x"), "TraceError", "trace"],
    [new SchemaError("app.json", "cpu", "a number", "x"), "SchemaError", "schema"],
    [new SimConfigError("nodes", "an integer >= 1", 0), "SimConfigError", "sim-config"],
    [new RcsDataError("m"), "RcsDataError", "rcs-data"],
    [new ConfigError("m"), "ConfigError", "config"],
    [new UnknownNameError("profile", "nope", ["quick"]), "UnknownNameError", "unknown-name"],
    [new OptionValueError("--seeds", "an integer >= 1", "x"), "OptionValueError", "option-value"],
    [new MissingPathError("/x", "m"), "MissingPathError", "missing-path"],
    [new StateError("m"), "StateError", "state"],
    [new InternalError("m"), "InternalError", "internal"],
  ];
  for (const [e, name, code] of cases) {
    t.ok(e instanceof FlashAdaptError && e instanceof Error, `${name} is a FlashAdaptError`);
    t.equal(e.name, name);
    t.equal(e.code, code);
  }
  t.ok(new ShapeError("x", "a", "b") instanceof FlashError);
  for (const e of [new TraceError("f", "x", "a", 1), new SchemaError("f", "x", "a", 1), new SimConfigError("x", "a", 1), new RcsDataError("m")])
    t.ok(e instanceof DataError, `${e.name} is a data error`);
  t.equal(RunConfigError, ConfigError, "the runner's ConfigError is the root's");
  t.equal(ArgsUsageError, UsageError, "the parser's UsageError is the root's");
});

t.test("messages say what was expected and what was given", async (t) => {
  t.equal(
    new UnknownNameError("profile", "nope", ["golden", "quick"], "autoscaling").message,
    'autoscaling: unknown profile "nope"; known profiles: golden, quick',
  );
  t.equal(new OptionValueError("--seeds", "an integer >= 1", "x").message, '--seeds: expected an integer >= 1, got "x"');
  t.equal(new OptionValueError("--out", "a folder path", undefined).message, "--out: expected a folder path, got nothing");
});

t.test("exit codes: 2 for usage errors, 1 for every other failure", async (t) => {
  for (const e of [new UsageError("m"), new UnknownNameError("task", "x", []), new OptionValueError("--a", "b", 1), new MissingPathError("/x", "m")])
    t.equal(exitCodeFor(e), 2, e.name);
  for (const e of [new DataError("m"), new ConfigError("m"), new FlashError("x", "m"), new InternalError("m"), new Error("plain"), "a string"])
    t.equal(exitCodeFor(e), 1, String(e));
});

t.test("the queue's errors sit under the root: a bad queue URL is a usage error (exit 2), the others failures (exit 1)", async (t) => {
  const q = await import("../experiments/runner/queue/errors.js");
  const url = new q.QueueUrlError("redis://u:pw@h/x", 'database "x" is not a non-negative integer');
  t.ok(url instanceof UsageError && url instanceof FlashAdaptError);
  t.equal(url.code, "queue-url");
  t.equal(exitCodeFor(url), 2);
  const failures: [FlashAdaptError, string][] = [
    [new q.QueueUnreachableError("redis://h", "ECONNREFUSED"), "queue-unreachable"],
    [new q.QueueAuthError("redis://u:***@h", "WRONGPASS invalid username-password pair"), "queue-auth"],
    [new q.QueueLockedError("out", "process 1 on h", 30), "queue-locked"],
    [new q.QueueVersionError("u", "h/1", "git:a", "git:b"), "queue-version"],
    [new q.QueueJobError("job", 'executor "data:..." is a data: URL', "h/1"), "queue-job"],
    [new q.QueueResultError("u", "no result"), "queue-result"],
    [new q.QueueBlobError("m"), "queue-blob"],
    [new q.QueueBadBlobError("m"), "queue-bad-blob"],
  ];
  for (const [e, code] of failures) {
    t.ok(e instanceof q.QueueError && e instanceof FlashAdaptError, `${e.name} is a QueueError`);
    t.notOk(e instanceof FlashError, `${e.name} is not one of the FLASH library's errors`);
    t.equal(e.code, code);
    t.equal(exitCodeFor(e), 1, e.name);
  }
});
