/**
 * Test helpers for the queue: a throw-away redis-server on a free loopback port with
 * persistence off (optionally with a password, an ACL user, TLS with a self-signed
 * certificate), and `flash worker` / coordinator child processes with short lock and
 * stall intervals (a killed worker's unit comes back within seconds).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Why the queue tests cannot run here, or null. */
export function redisMissing(): string | null {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return null;
  } catch {
    return "redis-server is not installed (apt-get install -y redis-server; .ci/run installs it)";
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Why a TLS test cannot run here (no openssl, or a redis-server built without TLS), or null. */
export function tlsMissing(): string | null {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
  } catch {
    return "openssl is not installed (needed for a self-signed certificate)";
  }
  // A build with TLS fails on the missing files; one without fails on the directive itself.
  const r = spawnSync("redis-server", ["--port", "0", "--tls-port", "1", "--tls-cert-file", "/nonexistent", "--save", ""], { encoding: "utf8", timeout: 5000 });
  return /Bad directive/.test(`${r.stdout}${r.stderr}`) ? "this redis-server is built without TLS (--tls-port)" : null;
}

export interface TestCert {
  cert: string;
  key: string;
}

/** A self-signed certificate for 127.0.0.1 and localhost in `dir` (its own CA: give `cert` to NODE_EXTRA_CA_CERTS). */
export function selfSignedCert(dir: string): TestCert {
  const cert = path.join(dir, "redis-cert.pem");
  const key = path.join(dir, "redis-key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    { stdio: "ignore" },
  );
  return { cert, key };
}

export interface RedisOptions {
  /** A password: of an ACL user `user` (the default user off), or the default user's (`--requirepass`) without one. */
  auth?: { user?: string; password: string };
  /** TLS only (no plain port), with this certificate. */
  tls?: TestCert;
}

export interface TestRedis {
  port: number;
  /** The URL with the credentials (if any) and the scheme (rediss:// with TLS). */
  url: (db?: number) => string;
  /** SIGKILL the server (Redis lost). */
  kill(): Promise<void>;
  /** Start it again on the same port, empty. */
  start(): Promise<void>;
}

async function waitForPort(port: number, up: boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const open = await new Promise<boolean>((res) => {
      const c = net.connect(port, "127.0.0.1", () => (c.destroy(), res(true)));
      c.on("error", () => res(false));
    });
    if (open === up) return;
    if (Date.now() - t0 > ms) throw new Error(`redis-server on port ${port} did not ${up ? "start" : "stop"} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** redis-server's arguments for `o` on `port`. */
function serverArgs(port: number, o: RedisOptions): string[] {
  const args = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  if (o.tls) args.push("--port", "0", "--tls-port", String(port), "--tls-cert-file", o.tls.cert, "--tls-key-file", o.tls.key, "--tls-auth-clients", "no");
  else args.push("--port", String(port));
  if (o.auth?.user) args.push("--user", "default", "off", "--user", o.auth.user, "on", `>${o.auth.password}`, "~*", "&*", "+@all");
  else if (o.auth) args.push("--requirepass", o.auth.password);
  return args;
}

export async function startRedis(t: { teardown(f: () => unknown): void }, o: RedisOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const creds = o.auth ? `${encodeURIComponent(o.auth.user ?? "")}:${encodeURIComponent(o.auth.password)}@` : "";
  const r: TestRedis = {
    port,
    url: (db = 0) => `${o.tls ? "rediss" : "redis"}://${creds}127.0.0.1:${port}/${db}`,
    async start() {
      proc = spawn("redis-server", serverArgs(port, o), { stdio: "ignore" });
      await waitForPort(port, true);
    },
    async kill() {
      proc?.kill("SIGKILL");
      await waitForPort(port, false);
    },
  };
  await r.start();
  t.teardown(() => proc?.kill("SIGKILL"));
  return r;
}

const cli = fileURLToPath(new URL("../../experiments/cli.ts", import.meta.url));
const coordinatorScript = fileURLToPath(new URL("./queue-coordinator.ts", import.meta.url));

export interface Child {
  proc: ChildProcess;
  /** Everything written to stderr and stdout so far. */
  output(): string;
  /** Resolves when the output matches. */
  waitFor(re: RegExp, ms?: number): Promise<void>;
  exited: Promise<number | null>;
}

function track(proc: ChildProcess): Child {
  let out = "";
  const waiters: { re: RegExp; resolve: () => void; fail: (why: string) => void }[] = [];
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const w of [...waiters]) {
      if (!w.re.test(out)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  const exited = new Promise<number | null>((res) => proc.on("exit", (code) => res(code)));
  // A process whose output is closed can never match: fail its waiters now. Their timers
  // (up to minutes) would otherwise keep the test process alive after its last assertion.
  // After the callers racing `exited` have settled (close can come in the same tick as exit).
  proc.on("close", () => setImmediate(() => waiters.splice(0).forEach((w) => w.fail("exited first"))));
  return {
    proc,
    output: () => out,
    exited,
    waitFor: (re, ms = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(out)) return resolve();
        const fail = (why: string) => (clearTimeout(timer), reject(new Error(`no ${re}: ${why}; output:\n${out}`)));
        const timer = setTimeout(() => fail(`not within ${ms} ms`), ms);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()), fail });
      }),
  };
}

/** A `flash worker` process; resolves once it takes units. */
export async function startWorker(t: { teardown(f: () => unknown): void }, url: string, env: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(process.execPath, [...process.execArgv, cli, "worker", "--queue", url], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FLASH_QUEUE_LOCK_MS: "2000", FLASH_QUEUE_STALLED_MS: "1000", ...env },
  });
  const c = track(proc);
  t.teardown(() => {
    proc.kill("SIGTERM"); // stops it cleanly (its scratch directory goes too); SIGKILL if it does not
    setTimeout(() => proc.kill("SIGKILL"), 3000).unref();
  });
  // Generous: the first start compiles the sources (slow on a loaded machine); later ones hit the cache.
  const exited = c.exited.then((code) => Promise.reject(new Error(`worker exited with ${code}:\n${c.output()}`)));
  await Promise.race([c.waitFor(/taking units/, 180_000), exited]);
  return c;
}

/** The test coordinator (queue-coordinator.ts) in its own process. */
export function startCoordinator(t: { teardown(f: () => unknown): void }, url: string, out: string, sleepMs: number, env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [...process.execArgv, coordinatorScript, url, out, String(sleepMs)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  t.teardown(() => proc.kill("SIGKILL"));
  return track(proc);
}
