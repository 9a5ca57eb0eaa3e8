import t from "tap";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runRl } from "../../../../experiments/runner/run-rl.js";
import { Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { runUnitsOnQueue } from "../../../../experiments/runner/queue/coordinator.js";
import { packDir, RedisBlobs } from "../../../../experiments/runner/queue/blobs.js";
import { QUEUE_NAME } from "../../../../experiments/runner/queue/connection.js";
import type { UnitJob, UnitJobResult } from "../../../../experiments/runner/queue/protocol.js";
import { parseQueueUrl } from "../../../../experiments/runner/queue/url.js";
import { planUnits, type Unit } from "../../../../experiments/runner/units.js";
import { freePort, redisMissing, startCoordinator, startRedis, startWorker } from "../../../helpers/redis.js";

/** results.json without what may differ between two runs of the same units: times, hosts, worker slots. */
function comparable(file: string): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== "object") return v;
    const kept = Object.entries(v).filter(([k]) => !["seconds", "host", "worker", "wall", "provenance"].includes(k));
    return Object.fromEntries(kept.map(([k, x]) => [k, strip(x)]));
  };
  return strip(JSON.parse(readFileSync(file, "utf8")));
}

const listing = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();

const PASSWORD = "acl-Pa55word-of-flash";

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), "queue-test-"));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  // An ACL user with a password, the default user off: every run below authenticates (--requirepass: security.test.ts).
  const redis = await startRedis(t, { auth: { user: "flash", password: PASSWORD } });
  const executor = "testing@1";
  const quiet = { log: () => {} };

  await t.test("the golden pendulum run: local pool and queue with 2 worker processes give the same results.json and run directory", async (t) => {
    const url = redis.url(0);
    t.match(url, new RegExp(`^redis://flash:${PASSWORD}@`));
    const workers = await Promise.all([startWorker(t, url), startWorker(t, url)]);
    // workers 0: the local run in this thread (worker threads would compile the sources again); never changes results.
    const run = { task: "pendulum-family", profile: "golden", seeds: 1, seed: 0, workers: 0, noFigures: true, ...quiet };
    await runRl({ ...run, out: path.join(root, "local") });
    const lines: string[] = [];
    const q = await runRl({ ...run, out: path.join(root, "queue"), queue: url, log: (l) => lines.push(l), heartbeatSeconds: 0.5 });
    const [q0, l0] = [path.join(root, "queue"), path.join(root, "local")];
    t.same(comparable(path.join(q0, "results.json")), comparable(path.join(l0, "results.json")), "results.json equal, times and hosts aside");
    t.same(listing(q0), listing(l0), "the same files in the run directory (units/, work/ with checkpoints and buffers)");
    const hosts = new Set(q.units.map((u) => u.host));
    t.equal(hosts.size, 2, `both workers ran units (${[...hosts].join(", ")})`);
    t.ok(
      lines.some((l) => /start pretrain\/flash\/r0 on \S+\/\d+ slot 0/.test(l)),
      "progress names the worker host",
    );
    t.ok(
      lines.some((l) => /done {2}ab\/r0 in \S+ on \S+\/\d+; \d+\/\d+ done, elapsed \S+, ETA \S+$/.test(l)),
      "done lines name the host, the count and an ETA",
    );
    t.ok(
      lines.some((l) => new RegExp(`done {2}\\S+ in \\S+ on \\S+; ${q.units.length}/${q.units.length} done, elapsed \\S+, ETA 0s$`).test(l)),
      lines.join("\n"),
    );
    t.match(lines.join("\n"), /on the workers of redis:\/\/flash:\*\*\*@127\.0\.0\.1:\d+\/0/, "the URL is shown masked");
    const files = listing(q0).filter((f) => readFileSync(path.join(q0, f)).includes(PASSWORD));
    t.same(files, [], "the password is in no file of the run directory (results.json, config.json, units/, work/)");
    t.notMatch(lines.join("\n"), PASSWORD, "nor in the coordinator's lines");
    for (const w of workers) t.notMatch(w.output(), PASSWORD, "nor in a worker's output");
  });

  const units = (extra: Record<string, object> = {}): Unit[] => {
    const u = (id: string, deps: string[] = []): Unit => ({ id, kind: "x", deps, input: { sleepMs: 20, ...extra[id] } });
    return [u("a"), u("b", ["a"]), u("c", ["a"]), u("d", ["b", "c"])];
  };

  await t.test("a unit that throws fails the run with its id and the worker's stack; finished units are kept", async (t) => {
    const url = redis.url(1);
    await startWorker(t, url);
    const out = path.join(root, "fail");
    const plan = planUnits(units({ c: { fail: true } }), 0, executor);
    const err = await runUnitsOnQueue(plan, { outDir: out, executor, queue: url, ...quiet }).then(
      () => null,
      (e: Error) => e,
    );
    t.match(err?.message, /^unit c failed on \S+\/\d+: unit c was told to fail/);
    t.match(err?.message, /testing-executor\.ts/, "with the worker's stack");
    t.ok(readdirSync(path.join(out, "units")).includes("a.json"), "a finished before and is kept");
  });

  await t.test("a job that completes between the coordinator's looks at it is recorded with its result, not called malformed", async (t) => {
    // The order a loaded machine produced by chance, made certain: the job runs until the coordinator first
    // looks at it; a Job.fromId that reads it while it runs returns only once it has completed. A coordinator
    // that reads the job before its state then sees "completed" with the running job's result (null).
    const url = redis.url(4);
    const target = parseQueueUrl(url);
    const probe = new Queue(QUEUE_NAME, { connection: target.redis });
    const plain = new Redis(target.redis);
    const fromId = Job.fromId.bind(Job);
    const getJobState = Queue.prototype.getJobState;
    const stateOf = (id: string) => getJobState.call(probe, id);
    let lookedAtRunning!: () => void;
    const looked = new Promise<void>((r) => (lookedAtRunning = r));
    let staleReads = 0;
    Job.fromId = (async (queue: Parameters<typeof fromId>[0], jobId: string) => {
      const job = await fromId(queue, jobId);
      if (!job || (await stateOf(jobId)) !== "active") return job;
      staleReads++;
      lookedAtRunning();
      while ((await stateOf(jobId)) !== "completed") await new Promise((r) => setTimeout(r, 20));
      return job;
    }) as typeof Job.fromId;
    Queue.prototype.getJobState = async function (this: Queue, jobId: string) {
      const state = await getJobState.call(this, jobId);
      if (this !== probe && state === "active") lookedAtRunning();
      return state;
    };
    const empty = mkdtempSync(path.join(root, "empty-"));
    const worker = new Worker<UnitJob, UnitJobResult>(
      QUEUE_NAME,
      async (job) => {
        await Promise.race([looked, new Promise((r) => setTimeout(r, 60_000))]);
        const blob = packDir(empty, job.data.unit.id);
        await new RedisBlobs(plain, job.data.runId).put(job.data.unit.key, blob);
        return { result: { answer: 42 }, host: "in-test/1", slot: 0, seconds: 0, blobBytes: blob.length };
      },
      { connection: { ...target.redis, maxRetriesPerRequest: null } },
    );
    t.teardown(async () => {
      Job.fromId = fromId;
      Queue.prototype.getJobState = getJobState;
      await worker.close();
      await probe.close();
      plain.disconnect();
    });
    const plan = planUnits([{ id: "a", kind: "x", deps: [], input: {} }], 0, executor);
    const r = await runUnitsOnQueue(plan, { outDir: path.join(root, "race"), executor, queue: url, reconcileMs: 50, ...quiet });
    t.equal(r.ran, 1);
    t.same(r.records.get("a")?.result, { answer: 42 }, "the job's result, read after it completed");
    t.comment(`reads of the running job through Job.fromId: ${staleReads}`);
  });

  await t.test("a worker with another code version refuses the unit with a clear error", async (t) => {
    const url = redis.url(2);
    await startWorker(t, url, { FLASH_CODE_VERSION: "git:0000000000ff" });
    const plan = planUnits(units(), 0, executor);
    const refused = /refused unit (a|b|c|d): it runs code version git:0000000000ff, the coordinator runs \S+/;
    await t.rejects(runUnitsOnQueue(plan, { outDir: path.join(root, "version"), executor, queue: url, ...quiet }), refused);
  });

  await t.test("Redis unreachable: the coordinator and the worker name the URL", async (t) => {
    const url = `redis://127.0.0.1:${await freePort()}/0`;
    const plan = planUnits(units(), 0, executor);
    const named = { name: "QueueUnreachableError", message: new RegExp(`Redis at ${url} is unreachable`) };
    await t.rejects(runUnitsOnQueue(plan, { outDir: path.join(root, "down"), executor, queue: url, ...quiet }), named);
    const w = await startWorker(t, url).then(
      () => "started",
      (e: Error) => e.message,
    );
    t.match(w, new RegExp(`worker exited with 1:[\\s\\S]*Redis at ${url} is unreachable`));
  });

  await t.test("a second coordinator on the same run is refused", async (t) => {
    const url = redis.url(3);
    const out = path.join(root, "locked");
    const first = startCoordinator(t, url, out, 20); // no worker on this database: it waits
    await first.waitFor(/6 to run on the workers/, 180_000);
    const plan = planUnits(units(), 3, executor);
    await t.rejects(runUnitsOnQueue(plan, { outDir: out, executor, queue: url, ...quiet }), {
      name: "QueueLockedError",
      message: new RegExp(`run ${out} is already coordinated by process ${first.proc.pid} on ${os.hostname()}`),
    });
    first.proc.kill("SIGKILL");
    await first.exited;
  });
}

const missing = redisMissing();
if (missing) t.plan(0, missing);
else await main();
