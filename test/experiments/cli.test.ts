/**
 * The real `flash` command in a child process, one case per class of mistake: the one
 * line it prints on stderr and its exit code (2: usage error, 1: failure). Builds dist/
 * first (CI runs the tests from a fresh clone); no case trains anything.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cli = path.join(root, "dist/experiments/cli.js");

const build = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json")], { encoding: "utf8" });
if (build.status !== 0) throw new Error(`tsc failed:\n${build.stdout}${build.stderr}`);

const tmp = mkdtempSync(path.join(os.tmpdir(), "flash-cli-"));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

function flash(...args: string[]): { code: number | null; stderr: string[]; stdout: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: "utf8", env: { ...process.env, FLASH_DEBUG: "" }, timeout: 60_000 });
  return { code: r.status, stderr: r.stderr.split("\n").filter((l) => l.length > 0), stdout: r.stdout };
}

type Assert = Pick<typeof t, "equal" | "match" | "notMatch">;

/** One line, `flash: ...` matching `message`, and the exit code. */
function expectError(t: Assert, args: string[], code: 1 | 2, message: RegExp): void {
  const r = flash(...args);
  t.equal(r.code, code, `flash ${args.join(" ")} exits ${code}`);
  t.equal(r.stderr.length, 1, `one line on stderr, got:\n${r.stderr.join("\n")}`);
  t.match(r.stderr[0] ?? "", /^flash: /);
  t.match(r.stderr[0] ?? "", message);
  t.notMatch(r.stderr.join("\n"), /\n\s+at /, "no stack without --debug");
}

t.test("usage errors exit 2 with one line", async (t) => {
  expectError(t, ["nope"], 2, /unknown command "nope"; known commands: .*reproduce/);
  expectError(t, ["reproduce", "nope"], 2, /unknown task "nope"; known tasks: .*autoscaling/);
  expectError(
    t,
    ["reproduce", "autoscaling", "--profile", "nope", "--out", "o"],
    2,
    /autoscaling: unknown profile "nope"; known profiles: golden, quick, full/,
  );
  expectError(t, ["reproduce", "autoscaling", "--seeds", "x"], 2, /--seeds: expected an integer >= 1, got "x"/);
  expectError(t, ["reproduce", "autoscaling", "--sedes", "3"], 2, /unknown option --sedes; known options: /);
  expectError(
    t,
    ["reproduce", "autoscaling", "--traces", "/nonexistent"],
    2,
    /--traces: "\/nonexistent" does not exist and is not a dataset name; known names: load-traces, /,
  );
  expectError(
    t,
    ["reproduce", "autoscaling", "--traces", "network-traces"],
    2,
    /--traces: dataset network-traces holds .*; known: load-traces, azure-functions-2019, /,
  );
  expectError(
    t,
    ["reproduce", "rcs", "--data", "nope"],
    2,
    /--data: "nope" does not exist and is not a dataset name; known names: serverless-functions, multi-cloud/,
  );
  expectError(t, ["report", path.join(tmp, "no-such-run")], 2, /run directory ".*no-such-run" does not exist/);
  expectError(t, ["sweep", "autoscaling", "--pool-sizes", "2,x"], 2, /--pool-sizes: expected positive integers separated by commas, got "2,x"/);
  expectError(t, ["room", "cpufreq", "--seeds", "3"], 2, /--seeds: only with --references/);
  expectError(t, ["room", "rcs"], 2, /task rcs has no RL pairs to measure room on/);
  expectError(t, ["room", "cpufreq", "--profile", "nope"], 2, /cpufreq: unknown profile "nope"/);
  expectError(
    t,
    ["sweep", "autoscaling", "--pool-sizes", "2", "--budget", "per-pair"],
    2,
    /--budget: expected total:N or per-pair:N with N a positive integer/,
  );
  expectError(t, ["reproduce", "autoscaling", "--budget", "per-pair:35"], 2, /unknown option --budget/);
  expectError(t, ["reproduce", "autoscaling", "--timings", tmp], 2, /--timings: only with --plan/);
  expectError(t, ["reproduce", "rcs", "--plan"], 2, /--plan: task rcs runs its own reproduction/);
});

t.test("flash datasets (from dist/, in another directory): every name resolves inside the repository's data/", async (t) => {
  const r = flash("datasets");
  t.equal(r.code, 0);
  const lines = r.stdout.trim().split("\n");
  t.equal(lines.length, 2 * 9, "nine names, two lines each");
  for (let i = 1; i < lines.length; i += 2) t.ok(lines[i].trim().startsWith(path.join(root, "data") + path.sep) && !lines[i].includes("(missing)"), lines[i]);
  t.match(r.stdout, /^load-traces \(load-traces\): request-rate traces/);
});

t.test("a bad --queue URL is a usage error (exit 2) for the worker and the coordinator, its password masked", async (t) => {
  const worker = ["worker", "--queue", "http://flash:hunter2@h:1"];
  expectError(t, worker, 2, /--queue: expected redis:\/\/\[USER:PASSWORD@\]HOST.*got "http:\/\/flash:\*\*\*@h:1": scheme http is not redis/);
  const coordinator = ["reproduce", "pendulum-family", "--queue", "redis://flash:hunter2@h/x"];
  expectError(t, coordinator, 2, /got "redis:\/\/flash:\*\*\*@h\/x": database "x" is not a non-negative integer/);
  for (const args of [worker, coordinator]) t.notMatch(flash(...args).stderr.join("\n"), /hunter2/, `${args[0]}: no password on stderr`);
});

t.test("flash bench --peer: without PyTorch (PEER_PYTHON names no python) exit 2 with how to install it; an unknown peer exits 2", async (t) => {
  const r = spawnSync(process.execPath, [cli, "bench", "--peer", "torch"], {
    cwd: tmp,
    encoding: "utf8",
    env: { ...process.env, FLASH_DEBUG: "", PEER_PYTHON: "/nonexistent" },
    timeout: 60_000,
  });
  t.equal(r.status, 2);
  t.match(r.stderr, /^flash: PyTorch is missing: install it with `apt-get install python3-torch libopenblas0-pthread`/);
  t.equal(r.stderr.trim().split("\n").length, 1, "one line");
  expectError(t, ["bench", "--peer", "jax"], 2, /unknown peer framework "jax"; known peer frameworks: torch/);
  expectError(t, ["bench", "--only", "pretrain,nope"], 2, /unknown benchmark "nope"; known benchmarks: embed, serve, .*pretrain/);
});

t.test("malformed files exit 1 with one line naming the file", async (t) => {
  const traces = path.join(tmp, "traces");
  mkdirSync(traces);
  writeFileSync(path.join(traces, "bad.csv"), "t,rate\n0,abc\n");
  expectError(t, ["reproduce", "autoscaling", "--traces", traces, "--out", "o"], 1, /bad\.csv: line 2 field rate: expected a finite rate >= 0/);
  const run = path.join(tmp, "run");
  mkdirSync(run);
  writeFileSync(path.join(run, "config.json"), '{ "format": ');
  writeFileSync(path.join(run, "results.json"), "[1, 2");
  expectError(t, ["rerun", run], 1, /config\.json: malformed JSON/);
  expectError(t, ["report", run], 1, /results\.json: malformed JSON/);
});

t.test("--debug prints the stack; help exits 0; no command exits 2 with the usage", async (t) => {
  const r = flash("--debug", "reproduce", "autoscaling", "--profile", "nope");
  t.equal(r.code, 2);
  t.match(r.stderr[0], /^UnknownNameError: autoscaling: unknown profile "nope"/);
  t.match(r.stderr.join("\n"), /\n\s+at /, "the stack follows");
  const help = flash("reproduce", "--help");
  t.equal(help.code, 0);
  t.match(help.stdout, /exit codes:\n {2}0 {2}success\n {2}1 {2}failure.*\n {2}2 {2}usage error/);
  t.equal(flash().code, 2);
});

t.test("the study commands: help, and a usage error per class of mistake", async (t) => {
  for (const c of ["classic-proof", "aurora-curve", "congestion-timeseries", "cpufreq-trace"]) {
    const help = flash(c, "--help");
    t.equal(help.code, 0, `${c} --help exits 0`);
    t.match(help.stdout, new RegExp(`usage: flash ${c} \\[options\\][\\s\\S]*--out VALUE`), `${c} --help lists its options`);
  }
  expectError(t, ["aurora-curve", "--steps", "0"], 2, /--steps: expected an integer >= 1, got "0"/);
  expectError(t, ["aurora-curve", "--every", "1e3x"], 2, /--every: expected an integer >= 1/);
  expectError(t, ["congestion-timeseries"], 2, /--trace FILE \(a link trace\) is required/);
  expectError(t, ["congestion-timeseries", "--trace", "nope.json"], 2, /--trace "nope\.json" does not exist \(expected a link trace file/);
  expectError(t, ["cpufreq-trace"], 2, /--run DIR \(a finished cpufreq run\) is required/);
  expectError(t, ["cpufreq-trace", "--run", "no-such-run"], 2, /--run "no-such-run" does not exist/);
  expectError(t, ["classic-proof", "--algo", "sac"], 2, /no zoo setting for --algo sac --env Pendulum-v1; supported: ddpg\/Pendulum-v1/);
  expectError(t, ["classic-proof", "--normalize", "maybe"], 2, /--normalize: expected on or off, got "maybe"/);
  expectError(t, ["classic-proof", "--seeds", "-1"], 2, /--seeds: expected an integer >= 1/);
});
