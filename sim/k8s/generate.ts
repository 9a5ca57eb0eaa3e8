/**
 * Seeded generation of applications from the 16 segments (FLASH Appendix A.3 uses 1,000).
 *
 * An application draws 1-5 distinct segment kinds (P = .30, .30, .20, .12, .08), each
 * with an input size log-uniform over the segment's documented range. Its runtime memory
 * is log-normal with median 130 MB (sigma 0.3, clamped to [64, 512] MB): with segment
 * working sets on top this puts the median allocation near the 149 MB median of
 * `AverageAllocatedMb` in the Azure Functions 2019 memory trace (10th-90th percentile
 * there: 111-223 MB). The SLO is the request's service time at one core times a slack
 * drawn from [2, 5]; the load level is log-uniform in [0.5, 2].
 */
import { mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { Rng } from "../../flash/rng.js";
import { APP_SCHEMA, loadApplication, saveApplication, type Application } from "./app.js";
import { compileApplication, serviceSeconds } from "./profile.js";
import { SEGMENT_KINDS, SEGMENTS } from "./segments.js";

const COUNT_WEIGHTS = [0.3, 0.3, 0.2, 0.12, 0.08];

function logUniform(rng: Rng, lo: number, hi: number): number {
  return Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));
}

/** Rounds to 3 significant digits so files stay readable. */
function round3(x: number): number {
  return Number(x.toPrecision(3));
}

/** The `index`-th application of the stream `rng` (its own fork, so apps are independent). */
export function generateApplication(rng: Rng, index: number): Application {
  const r = rng.fork(`app-${index}`);
  let u = r.next();
  let count = 1;
  for (const w of COUNT_WEIGHTS) {
    if (u < w) break;
    u -= w;
    count++;
  }
  count = Math.min(count, COUNT_WEIGHTS.length);
  const kinds = r.shuffle([...SEGMENT_KINDS]).slice(0, count);
  const segments = kinds.map((kind) => {
    const p = SEGMENTS[kind];
    return { kind, size: Math.min(p.maxSize, Math.max(p.minSize, round3(logUniform(r, p.minSize, p.maxSize)))) };
  });
  const runtimeMemoryMB = Math.round(Math.min(512, Math.max(64, 130 * Math.exp(0.3 * r.normal()))));
  const app: Application = {
    schema: APP_SCHEMA,
    name: `app-${String(index).padStart(4, "0")}`,
    segments,
    runtimeMemoryMB,
    sloMs: 1,
    load: round3(logUniform(r, 0.5, 2)),
  };
  const s1 = serviceSeconds(compileApplication(app), 1);
  app.sloMs = Math.max(10, Math.round(s1 * 1000 * r.uniform(2, 5)));
  return app;
}

/** `n` applications (default 1,000) determined by `seed` alone. */
export function generateApplications(seed: string | number, n = 1000): Application[] {
  const rng = new Rng(seed).fork("k8s-apps");
  return Array.from({ length: n }, (_, i) => generateApplication(rng, i));
}

/** Writes one `<name>.json` per application into `dir` (created if missing). */
export function writeApplications(dir: string, apps: readonly Application[]): string[] {
  mkdirSync(dir, { recursive: true });
  return apps.map((a) => {
    const f = path.join(dir, `${a.name}.json`);
    saveApplication(f, a);
    return f;
  });
}

/** Loads every `*.json` in `dir`, sorted by file name; the first bad file raises a SchemaError naming it. */
export function loadApplications(dir: string): Application[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => loadApplication(path.join(dir, f)));
}
