/**
 * Test helpers for the queue: a throw-away redis-server on a free loopback port with
 * persistence off, and `flash worker` / coordinator child processes with short lock and
 * stall intervals (a killed worker's unit comes back within seconds).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import net from "node:net";
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

export interface TestRedis {
  port: number;
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

export async function startRedis(t: { teardown(f: () => unknown): void }): Promise<TestRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const r: TestRedis = {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    async start() {
      proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
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
export function startCoordinator(t: { teardown(f: () => unknown): void }, url: string, out: string, sleepMs: number): Child {
  const proc = spawn(process.execPath, [...process.execArgv, coordinatorScript, url, out, String(sleepMs)], { stdio: ["ignore", "pipe", "pipe"] });
  t.teardown(() => proc.kill("SIGKILL"));
  return track(proc);
}
