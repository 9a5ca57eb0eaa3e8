import t from "tap";
import { parseQueueUrl } from "../../../../experiments/runner/queue/url.js";

t.test("queue URLs: host, port, database, credentials (masked), TLS", async (t) => {
  t.same(parseQueueUrl("redis://10.0.0.5:6380/2"), { url: "redis://10.0.0.5:6380/2", redis: { host: "10.0.0.5", port: 6380, db: 2 } });
  t.same(parseQueueUrl("redis://localhost").redis, { host: "localhost", port: 6379, db: 0 });
  const secret = parseQueueUrl("rediss://me:p%40ss@cache.example:6379/0");
  t.equal(secret.url, "rediss://me:***@cache.example:6379/0", "the password never reaches a log line");
  t.match(secret.redis, { username: "me", password: "p@ss", tls: {} });
});

t.test("bad queue URLs are named errors saying what was expected", async (t) => {
  t.throws(() => parseQueueUrl("localhost:6379"), {
    name: "QueueUrlError",
    message: /expected redis:\/\/.*got "localhost:6379": scheme localhost is not redis/,
  });
  t.throws(() => parseQueueUrl("http://h:1"), /scheme http is not redis or rediss/);
  t.throws(() => parseQueueUrl("redis://h:1/x"), /database "x" is not a non-negative integer/);
  t.throws(() => parseQueueUrl("not a url"), /not a URL/);
});
