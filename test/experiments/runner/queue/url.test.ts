import t from "tap";
import { UsageError, exitCodeFor } from "../../../../errors.js";
import { maskUrl } from "../../../../experiments/runner/queue/mask.js";
import { parseQueueUrl } from "../../../../experiments/runner/queue/url.js";

t.test("queue URLs: host, port, database, credentials (masked), TLS", async (t) => {
  t.same(parseQueueUrl("redis://10.0.0.5:6380/2", {}), { url: "redis://10.0.0.5:6380/2", redis: { host: "10.0.0.5", port: 6380, db: 2 } });
  t.same(parseQueueUrl("redis://localhost", {}).redis, { host: "localhost", port: 6379, db: 0 });
  const secret = parseQueueUrl("rediss://me:p%40ss@cache.example:6379/0", {});
  t.equal(secret.url, "rediss://me:***@cache.example:6379/0", "the password never reaches a log line");
  t.match(secret.redis, { username: "me", password: "p@ss", tls: {} });
  const requirepass = parseQueueUrl("redis://:hunter2@10.0.0.5", {});
  t.equal(requirepass.url, "redis://:***@10.0.0.5");
  t.same(requirepass.redis, { host: "10.0.0.5", port: 6379, db: 0, password: "hunter2" }, "no user: the default user's password (--requirepass)");
});

t.test("FLASH_QUEUE_PASSWORD gives the password when the URL has none (off the command line); a password in the URL wins", async (t) => {
  const env = { FLASH_QUEUE_PASSWORD: "from-env" };
  const q = parseQueueUrl("redis://flash@10.0.0.5/1", env);
  t.same(q.redis, { host: "10.0.0.5", port: 6379, db: 1, username: "flash", password: "from-env" });
  t.notMatch(q.url, /from-env/);
  t.equal(parseQueueUrl("redis://flash:in-url@10.0.0.5/1", env).redis.password, "in-url");
});

t.test("bad queue URLs are usage errors (exit 2) saying what was expected, with their code and cause, the password masked", async (t) => {
  const err = t.throws(() => parseQueueUrl("localhost:6379"), {
    name: "QueueUrlError",
    code: "queue-url",
    message: /expected redis:\/\/.*got "localhost:6379": scheme localhost is not redis/,
  }) as Error;
  t.ok(err instanceof UsageError, "a usage error");
  t.equal(exitCodeFor(err), 2);
  t.throws(() => parseQueueUrl("http://h:1"), /scheme http is not redis or rediss/);
  t.throws(() => parseQueueUrl("redis://h:1/x"), /database "x" is not a non-negative integer/);
  const notUrl = t.throws(() => parseQueueUrl("not a url"), /not a URL/) as Error;
  t.ok(notUrl.cause instanceof Error, "the URL parser's error is kept as the cause");
  const cases = [
    "redis://flash:hunter2@h:1/x", // parses, bad database
    "http://flash:hunter2@h:1", // parses, wrong scheme
    "redis://flash:hun/ter2@h", // does not parse (a "/" in the password)
    "flash:hunter2@h:6379", // no scheme
    "redis://flash:%E0%A4%A@h", // a password that is not percent-encoding
  ];
  for (const raw of cases) {
    const e = t.throws(() => parseQueueUrl(raw), { name: "QueueUrlError" }, raw) as Error;
    t.notMatch(e.message, /hunter2|hun\/ter2|%E0/, `${raw}: the password is masked in ${JSON.stringify(e.message)}`);
    t.match(e.message, /flash:\*\*\*@/, "the user name stays, to say which");
  }
});

t.test("maskUrl: URLs with and without passwords, broken ones too", async (t) => {
  t.equal(maskUrl("redis://h:6379"), "redis://h:6379");
  t.equal(maskUrl("redis://u@h"), "redis://u@h", "a user without a password is shown");
  t.equal(maskUrl("redis://u:p@h/2"), "redis://u:***@h/2");
  t.equal(maskUrl("redis://u:p@a@h"), "redis://u:***@h", "an unencoded @ in the password");
  t.equal(maskUrl("u:p@h"), "u:***@h");
  t.equal(maskUrl("not a url"), "not a url");
});
