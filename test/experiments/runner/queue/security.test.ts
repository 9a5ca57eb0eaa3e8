/**
 * The queue as an attacker with write access to Redis would try it (issue 23), against a
 * real redis-server with a password and a running `flash worker`: jobs naming code by
 * URL or path, an unknown executor, malformed payloads and a gzip-bomb blob are each
 * refused without retry, a job that is not JSON never runs, and nothing they name runs
 * (marker files stay absent); the worker goes on serving. Authentication: the right password works, a wrong or missing
 * one is a clear error, and the password appears in no output. TLS with a self-signed
 * certificate, where openssl and a TLS-enabled redis-server are there.
 */
import t from "tap";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { runUnitsOnQueue } from "../../../../experiments/runner/queue/coordinator.js";
import { KEY_PREFIX, QUEUE_NAME } from "../../../../experiments/runner/queue/connection.js";
import { lookAtJob } from "../../../../experiments/runner/queue/job-state.js";
import { jobIdOf } from "../../../../experiments/runner/queue/protocol.js";
import { parseQueueUrl } from "../../../../experiments/runner/queue/url.js";
import { hashOf, planUnits, type PlannedUnit, type Unit } from "../../../../experiments/runner/units.js";
import { redisMissing, selfSignedCert, startCoordinator, startRedis, startWorker, tlsMissing } from "../../../helpers/redis.js";

const PASSWORD = "s3cret-Pa55word-23";
const codeRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const quiet = { log: () => {} };

/** A unit of the testing executor, as a coordinator plans it. */
const unitOf = (id: string, deps: string[] = [], executor = "testing@1"): PlannedUnit =>
  planUnits([...deps.map((d): Unit => ({ id: d, kind: "x", deps: [], input: {} })), { id, kind: "x", deps, input: {} }], 0, executor).pop()!;

/** Wait until job `id` is failed or completed; its state, reason and attempts (read after the state: job-state.ts). */
async function settled(q: Queue, id: string, ms = 60_000): Promise<{ state: string; reason: string; attempts: number }> {
  const t0 = Date.now();
  for (;;) {
    const { state, job } = await lookAtJob(q, id);
    if (job) return { state, reason: job.failedReason ?? "", attempts: job.attemptsMade };
    if (Date.now() - t0 > ms) return { state, reason: "", attempts: -1 };
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), "queue-security-"));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const markers = path.join(root, "markers");
  mkdirSync(markers);
  /** Module source that leaves marker `name` when imported or run. */
  const evil = (name: string) =>
    `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(path.join(markers, name))}, "ran");\n` +
    `export async function executeUnit() { writeFileSync(${JSON.stringify(path.join(markers, `${name}-unit`))}, "ran"); return 1; }\n`;
  const evilBase = path.join(root, "evil");
  for (const ext of [".mjs", ".js", ".ts"]) writeFileSync(evilBase + ext, evil(`file${ext}`));

  const redis = await startRedis(t, { auth: { password: PASSWORD } }); // --requirepass (an ACL user: coordinator.test.ts)

  await t.test("crafted jobs are refused by a running worker without retry; nothing they name runs; the worker goes on", async (t) => {
    const url = redis.url(0);
    const worker = await startWorker(t, url, { FLASH_QUEUE_JOB_MB: "1", FLASH_QUEUE_UNPACKED_MB: "4" });
    const version = /, code (\S+)$/m.exec(worker.output())?.[1] ?? "";
    t.match(version, /^(git|package):/, "the worker prints its code version, as an attacker would read it");
    const q = new Queue(QUEUE_NAME, { connection: parseQueueUrl(url).redis });
    const plain = new Redis(parseQueueUrl(url).redis);
    t.teardown(async () => {
      await q.close();
      plain.disconnect();
    });
    const runId = hashOf("attacker");
    /** A job as a coordinator would write it, for `executor` (its key computed with it, so only the executor is wrong). */
    const job = (executor: unknown, unit = unitOf("u", [], String(executor))) => ({
      id: jobIdOf(runId, unit.key),
      data: { runId, version, executor, unit, deps: {}, depKeys: {} } as Record<string, unknown>,
    });
    const dataUrl = `data:text/javascript,${encodeURIComponent(evil("data-url"))}`;
    const relative = path.relative(codeRoot, evilBase); // what the old protocol joined onto the code root
    t.match(relative, /^\.\.\//, `a path climbing out of the code root: ${relative}`);
    const tooBig = job("testing@1", planUnits([{ id: "big", kind: "x", deps: [], input: { pad: "x".repeat(1.5 * 2 ** 20) } }], 0, "testing@1")[0]);
    const wrongKey = job("testing@1");
    (wrongKey.data.unit as PlannedUnit).input = { fail: true };
    const crafted: [what: string, j: { id: string; data: unknown }, reason: RegExp][] = [
      ["a data: URL", job(dataUrl), /executor "data:text\/javascript,.*" is a data: URL; a job names one of the harness's executors/],
      ["an absolute file URL", job(pathToFileURL(`${evilBase}.mjs`).href), /executor "file:\/\/.*evil\.mjs" is a file: URL/],
      ["a path outside the code root", job(relative), /executor "\.\.\/.*evil" is a path/],
      ["an absolute path", job(`${evilBase}.mjs`), /executor ".*evil\.mjs" is a path/],
      ["an unknown executor name", job("evil@1"), /executor "evil@1" is an unknown name/],
      ["the old protocol's {name, module}", job({ name: "testing@1", module: dataUrl }), /executor is an object, expected the name of one of/],
      ["a string payload", { id: "malformed-string", data: "hello" }, /the payload is a string, expected an object/],
      ["an empty payload", { id: "malformed-empty", data: {} }, /executor is missing/],
      ["a unit id of the wrong type", { id: "malformed-unit-id", data: { ...job("testing@1").data, unit: { ...unitOf("u"), id: 5 } } }, /unit id a number/],
      [
        "a run id climbing out of the scratch directory",
        { id: "malformed-run-id", data: { ...job("testing@1").data, runId: "../../../../tmp" } },
        /run id ".*": expected 16 hex digits/,
      ],
      ["a payload over FLASH_QUEUE_JOB_MB", tooBig, /the payload is 1\.5 MiB, over the 1\.0 MiB a job may carry/],
      ["a unit key that does not match the unit", wrongKey, /unit key [0-9a-f]{16} does not match/],
    ];
    for (const [, j] of crafted) await q.add("x", j.data, { jobId: j.id, attempts: 5, backoff: { type: "fixed", delay: 100 } });
    for (const [what, j, reason] of crafted) {
      const s = await settled(q, j.id);
      t.equal(s.state, "failed", `${what}: failed`);
      t.ok(
        s.reason.startsWith(`worker ${os.hostname()}/${worker.proc.pid} refused job ${j.id}: `),
        `${what}: the refusal names the worker and the job: ${s.reason}`,
      );
      t.match(s.reason, reason, what);
      t.match(s.reason, /; nothing of it ran$/);
      t.equal(s.attempts, 1, `${what}: no retry (5 attempts allowed)`);
      t.equal(worker.output().split(`refused job ${j.id}:`).length - 1, 1, `${what}: logged once by the worker`);
    }

    // A gzip bomb as a dependency's blob: 64 files of 1 MiB of zeros in ~70 KiB, over the worker's FLASH_QUEUE_UNPACKED_MB of 4.
    const zeros = gzipSync(Buffer.alloc(2 ** 20), { level: 9 });
    const header = (i: number) => {
      const name = Buffer.from(`f${i}`);
      const h = Buffer.alloc(12 + name.length);
      h.writeUInt32BE(name.length, 0);
      name.copy(h, 4);
      h.writeBigUInt64BE(BigInt(2 ** 20), 4 + name.length);
      return gzipSync(i === 0 ? Buffer.concat([Buffer.from("FLB1"), h]) : h);
    };
    const bomb = Buffer.concat(Array.from({ length: 64 }, (_, i) => [header(i), zeros]).flat());
    t.ok(bomb.length < 2 ** 17, `the bomb is ${(bomb.length / 1024).toFixed(0)} KiB`);
    const dependent = unitOf("after-bomb", ["bomb-dep"]);
    const depKey = unitOf("bomb-dep").key;
    await plain.set(`${KEY_PREFIX}:blob:${runId}:${depKey}`, bomb);
    const bombJob = { runId, version, executor: "testing@1", unit: dependent, deps: { "bomb-dep": {} }, depKeys: { "bomb-dep": depKey } };
    await q.add("x", bombJob, { jobId: jobIdOf(runId, dependent.key), attempts: 5 });
    const s = await settled(q, jobIdOf(runId, dependent.key));
    t.equal(s.state, "failed");
    t.match(s.reason, /blob for .*: it unpacks to more than 4\.0 MiB \(FLASH_QUEUE_UNPACKED_MB\); refused/, "the gzip bomb is refused");
    t.equal(s.attempts, 1, "no retry: it is as large every time");
    t.notMatch(worker.output(), /start after-bomb[\s\S]*done {2}after-bomb/, "the unit did not run");
    const scratch = path.join(os.tmpdir(), `flash-worker-${worker.proc.pid}`);
    const unpacked = existsSync(path.join(scratch, "deps")) ? readdirSync(path.join(scratch, "deps")) : [];
    t.same(unpacked, [], "nothing of the bomb is left in the worker's scratch directory");

    // Data that is not JSON at all (written with HSET): BullMQ cannot build the job; the worker says so and goes on.
    const poison = await q.add("x", job(dataUrl).data, { jobId: "not-json", delay: 60_000 });
    await plain.hset(`bull:${QUEUE_NAME}:not-json`, "data", `{"executor": "${dataUrl}", not json`);
    await poison.promote();
    await worker.waitFor(/a job in queue flash-units is not JSON \(.+\); it cannot run: remove it from Redis/, 60_000);

    t.same(readdirSync(markers), [], "no marker: none of the crafted code was imported or run");

    // The worker survived all of it: a real run on the same worker completes.
    const lines: string[] = [];
    const plan = planUnits(
      [
        { id: "a", kind: "x", deps: [], input: {} },
        { id: "b", kind: "x", deps: ["a"], input: {} },
      ],
      0,
      "testing@1",
    );
    const r = await runUnitsOnQueue(plan, { outDir: path.join(root, "after"), executor: "testing@1", queue: url, log: (l) => lines.push(l) });
    t.equal(r.ran, 2, "the worker still serves");
    t.equal(worker.proc.exitCode, null, "and is still running");
    t.match(lines.join("\n"), /on the workers of redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0/, "the coordinator shows the URL masked");
    for (const [who, text] of [
      ["the coordinator's lines", lines.join("\n")],
      ["the worker's output", worker.output()],
    ])
      t.notMatch(text, PASSWORD, `no password in ${who}`);
  });

  await t.test("a wrong or missing password is a clear error naming the URL, the password masked", async (t) => {
    const plan = planUnits([{ id: "a", kind: "x", deps: [], input: {} }], 0, "testing@1");
    const at = `127\\.0\\.0\\.1:${redis.port}\\/0`;
    const wrong = redis.url(0).replace(PASSWORD, "not-the-Pa55word");
    const err = await runUnitsOnQueue(plan, { outDir: path.join(root, "wrong"), executor: "testing@1", queue: wrong, ...quiet }).then(
      () => undefined,
      (e: Error) => e,
    );
    t.match(err, {
      name: "QueueAuthError",
      code: "queue-auth",
      message: new RegExp(`^Redis at redis://:\\*\\*\\*@${at} refused the connection's credentials \\(WRONGPASS`),
    });
    t.notMatch(err?.message, /not-the-Pa55word/);
    const none = `redis://127.0.0.1:${redis.port}/0`;
    await t.rejects(runUnitsOnQueue(plan, { outDir: path.join(root, "none"), executor: "testing@1", queue: none, ...quiet }), {
      name: "QueueAuthError",
      message: new RegExp(`^Redis at redis://${at} refused the connection's credentials \\(NOAUTH .*\\); it requires a password: give it in the URL`),
    });
    const w = await startWorker(t, wrong).then(
      () => "started",
      (e: Error) => e.message,
    );
    t.match(w, new RegExp(`worker exited with 1:[\\s\\S]*flash: Redis at redis://:\\*\\*\\*@${at} refused the connection's credentials`));
    t.notMatch(w, /not-the-Pa55word/, "the wrong password is not printed either");
  });

  const noTls = tlsMissing();
  await t.test(
    "TLS (rediss://) with a self-signed certificate: verified against NODE_EXTRA_CA_CERTS, refused without it",
    { skip: noTls ?? false },
    async (t) => {
      const cert = selfSignedCert(root);
      const tls = await startRedis(t, { tls: cert, auth: { user: "flash", password: PASSWORD } });
      const url = tls.url(0);
      t.match(url, /^rediss:\/\/flash:/);
      const env = { NODE_EXTRA_CA_CERTS: cert.cert };
      const worker = await startWorker(t, url, env);
      t.match(worker.output(), new RegExp(`taking units from rediss://flash:\\*\\*\\*@127\\.0\\.0\\.1:${tls.port}/0`));
      const out = path.join(root, "tls");
      const c = startCoordinator(t, url, out, 0, env);
      t.equal(await c.exited, 0, c.output());
      t.match(JSON.parse(c.output().trim().split("\n").pop()!), { ran: 6, resumed: 0 }, "a run through TLS");
      for (const text of [c.output(), worker.output()]) t.notMatch(text, PASSWORD);
      // This process has no NODE_EXTRA_CA_CERTS: the certificate is checked, not merely encrypted against.
      const plan = planUnits([{ id: "a", kind: "x", deps: [], input: {} }], 0, "testing@1");
      await t.rejects(runUnitsOnQueue(plan, { outDir: path.join(root, "tls-unverified"), executor: "testing@1", queue: url, ...quiet }), {
        name: "QueueUnreachableError",
        message:
          /^Redis at rediss:\/\/flash:\*\*\*@127\.0\.0\.1:\d+\/0 is unreachable \(self[- ]signed certificate\); for a certificate of your own CA, give its PEM file in NODE_EXTRA_CA_CERTS$/,
      });
    },
  );
}

const missing = redisMissing();
if (missing) t.plan(0, missing);
else await main();
