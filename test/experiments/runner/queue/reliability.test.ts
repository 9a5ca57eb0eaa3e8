import t from "tap";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runUnits } from "../../../../experiments/runner/pool.js";
import { runUnitsOnQueue } from "../../../../experiments/runner/queue/coordinator.js";
import { planUnits, type PlannedUnit, type Unit } from "../../../../experiments/runner/units.js";
import { redisMissing, startCoordinator, startRedis, startWorker, type Child } from "../../../helpers/redis.js";

const executor = "testing@1";

/** The plan of test/helpers/queue-coordinator.ts (run seed 3): a diamond and a chain. */
function plan(sleepMs: number): PlannedUnit[] {
  const u = (id: string, deps: string[] = []): Unit => ({ id, kind: "x", deps, input: { sleepMs } });
  return planUnits([u("a"), u("b", ["a"]), u("c", ["a"]), u("d", ["b", "c"]), u("e/with/slash"), u("f", ["e/with/slash"])], 3, executor);
}

/** Results by unit id from the local pool, in this thread. */
async function localResults(p: PlannedUnit[], out: string): Promise<Record<string, unknown>> {
  const r = await runUnits(p, { outDir: out, executor, workers: 0, log: () => {} });
  return Object.fromEntries([...r.records].map(([k, v]) => [k, v.result]));
}

/** How many times each unit was computed, over the workers' logs. */
function computed(workers: Child[]): Record<string, number> {
  const n: Record<string, number> = {};
  for (const w of workers) for (const m of w.output().matchAll(/\] done {2}(\S+) in/g)) n[m[1]] = (n[m[1]] ?? 0) + 1;
  return n;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), "queue-reliability-"));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const redis = await startRedis(t);

  await t.test("kill -9 of a worker in the middle of a unit: retried on the other after stall detection, nothing lost or counted twice", async (t) => {
    const url = redis.url(0);
    await Promise.all([startWorker(t, url), startWorker(t, url)]);
    const p = plan(1500);
    const lines: string[] = [];
    let killed: number | undefined;
    const log = (l: string) => {
      lines.push(l);
      const m = /start (\S+) on \S+\/(\d+) slot/.exec(l);
      if (m && killed === undefined) {
        killed = Number(m[2]);
        setTimeout(() => process.kill(killed!, "SIGKILL"), 400); // mid-unit: the unit sleeps 1.5 s
      }
    };
    const r = await runUnitsOnQueue(p, { outDir: path.join(root, "kill"), executor, queue: url, log, lockTtlMs: 3000 });
    const results = Object.fromEntries([...r.records].map(([k, v]) => [k, v.result]));
    t.same(results, await localResults(p, path.join(root, "kill-local")), "the same results as the local pool");
    t.ok(
      lines.some((l) => /\(again: its earlier worker stalled\)/.test(l)),
      lines.join("\n"),
    );
    t.ok(
      [...r.records.values()].every((x) => x.host !== `${os.hostname()}/${killed}`),
      "every unit recorded from the surviving worker",
    );
    t.equal(lines.filter((l) => /\] done {2}/.test(l)).length, p.length, "each unit recorded once");
  });

  await t.test("coordinator killed and restarted: units finished meanwhile are collected, not rerun", async (t) => {
    const url = redis.url(1);
    // A longer lock than the other tests': a live worker's lock lapsing under load would rerun a unit (recorded once, but computed twice).
    const env = { FLASH_QUEUE_LOCK_MS: "10000" };
    const workers = await Promise.all([startWorker(t, url, env), startWorker(t, url, env)]);
    const out = path.join(root, "restart");
    const first = startCoordinator(t, url, out, 700);
    await first.waitFor(/\] done {2}\S+ in/, 180_000);
    first.proc.kill("SIGKILL");
    await first.exited;
    const kept = readdirSync(path.join(out, "units")).filter((f) => f.endsWith(".json")).length;
    await new Promise((r) => setTimeout(r, 1000)); // the workers finish what they hold while no coordinator listens
    const second = startCoordinator(t, url, out, 700);
    t.equal(await second.exited, 0, second.output());
    const res = JSON.parse(second.output().trim().split("\n").pop()!) as { ran: number; resumed: number; results: Record<string, unknown> };
    t.equal(res.resumed, kept, `the ${kept} recorded unit(s) are reused`);
    t.equal(res.ran + res.resumed, 6);
    t.same(res.results, await localResults(plan(700), path.join(root, "restart-local")), "the same results as the local pool");
    const counts = computed(workers);
    t.same(Object.values(counts), [1, 1, 1, 1, 1, 1], `each unit computed once over both coordinator lives: ${JSON.stringify(counts)}`);
  });

  await t.test("Redis lost mid-run: a named error, finished units kept; the run resumes when Redis is back", async (t) => {
    const url = redis.url(2);
    await Promise.all([startWorker(t, url), startWorker(t, url)]);
    const out = path.join(root, "lost");
    const p = plan(400);
    let down: Promise<void> | undefined;
    const log = (l: string) => {
      if (/\] done {2}/.test(l)) down ??= redis.kill();
    };
    await t.rejects(runUnitsOnQueue(p, { outDir: out, executor, queue: url, log, graceMs: 1500, reconcileMs: 300 }), {
      name: "QueueUnreachableError",
      message: new RegExp(`^Redis at ${url} is unreachable \\(.+\\); \\d+ finished unit\\(s\\) are kept in ${out}/units`),
    });
    await down;
    const kept = readdirSync(path.join(out, "units")).filter((f) => f.endsWith(".json")).length;
    t.ok(kept >= 1 && kept < p.length, `${kept} unit(s) kept`);
    await redis.start(); // empty: jobs and blobs are gone; the workers reconnect by themselves
    const r = await runUnitsOnQueue(p, { outDir: out, executor, queue: url, log: () => {} });
    t.equal(r.resumed, kept);
    const results = Object.fromEntries([...r.records].map(([k, v]) => [k, v.result]));
    t.same(results, await localResults(p, path.join(root, "lost-local")), "the same results as the local pool");
  });
}

const missing = redisMissing();
if (missing) t.plan(0, missing);
else await main();
