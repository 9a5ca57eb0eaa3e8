/**
 * Seeded synthetic data in the two documented layouts: tiny fixtures for tests and a
 * quick way to try the commands. Not a model of any platform: durations follow
 * io + cpu * (1024 / size)^alpha, with a swap penalty below the app's memory need, and
 * the monitoring columns are consistent with that (user CPU ~ cpu time, maxRss ~ need).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Rng } from "../../flash/rng.js";
import { writeAppsCsv, writeSizeFile, type AppsCsvRow } from "./layout-write.js";

export interface SyntheticServerlessOptions {
  apps?: number;
  sizes?: number[];
  invocations?: number;
  /** Variants (input sizes) per app; the first app of every second one gets 1. */
  variants?: number;
  seed?: number;
  /** App names are `${prefix}${i}` (default "app"). */
  prefix?: string;
}

export function syntheticDuration(cpuMs: number, ioMs: number, alpha: number, needMb: number, sizeMb: number): number {
  const swap = sizeMb < needMb ? 1 + 4 * (needMb / sizeMb - 1) : 1;
  return (ioMs + cpuMs * Math.max(0.25, (1024 / sizeMb) ** alpha)) * swap;
}

/** Write `<dir>/apps.csv` and `<dir>/<app>/<memory_mb>.csv`; returns the app names. */
export function writeSyntheticServerless(dir: string, opts: SyntheticServerlessOptions = {}): string[] {
  const rng = new Rng(opts.seed ?? 1);
  const sizes = opts.sizes ?? [128, 256, 512, 1024, 2048];
  const nApps = opts.apps ?? 6;
  const inv = opts.invocations ?? 3;
  mkdirSync(dir, { recursive: true });
  const apps: AppsCsvRow[] = [];
  for (let a = 0; a < nApps; a++) {
    const runtime = a % 2 === 0 ? "nodejs" : "python";
    const name = `${opts.prefix ?? "app"}${a}`;
    const variants = a % 2 === 0 ? 1 : (opts.variants ?? 2);
    apps.push({ app: name, source: runtime === "nodejs" ? "synthetic" : "functionbench", runtime, invocations: sizes.length * variants * inv });
    const params = Array.from({ length: variants }, () => ({
      cpu: rng.uniform(20, 400),
      io: rng.uniform(5, 200),
      alpha: rng.uniform(0.2, 1),
      need: rng.pick([64, 200, 400, 700]),
    }));
    for (const s of sizes) {
      const rows: Record<string, number>[] = [];
      params.forEach((p, v) => {
        for (let i = 0; i < inv; i++) {
          const d = syntheticDuration(p.cpu, p.io, p.alpha, p.need, s) * rng.uniform(0.95, 1.05);
          const cpuMs = Math.min(d, p.cpu * Math.max(0.25, (1024 / s) ** p.alpha));
          rows.push({
            duration: d,
            maxRss: p.need * 1024 * rng.uniform(0.9, 1.1),
            fsRead: rng.int(0, 300),
            fsWrite: rng.int(0, 50),
            vContextSwitches: rng.int(1, 40),
            ivContextSwitches: rng.int(0, 10),
            userDiff: cpuMs * 900,
            sysDiff: cpuMs * 100,
            rss: p.need * 1024 * 1024,
            heapTotal: p.need * 800000,
            heapUsed: p.need * 600000,
            mallocMem: 8192,
            netByRx: Math.round(p.io * 1000),
            netPkgRx: Math.round(p.io),
            netByTx: Math.round(p.io * 100),
            netPkgTx: Math.round(p.io / 2),
            variant: v,
          });
        }
      });
      writeSizeFile(path.join(dir, name), s, runtime, rows);
    }
  }
  writeAppsCsv(dir, apps);
  return apps.map((a) => a.app);
}

/** Write `<dir>/configs.csv` in the multi-cloud layout (providers A and B, a few configurations). */
export function writeSyntheticMultiCloud(dir: string, opts: { tasks?: number; datasets?: number; seed?: number } = {}): void {
  const rng = new Rng(opts.seed ?? 2);
  mkdirSync(dir, { recursive: true });
  const header = ",provider,A_family,A_vcpu,B_family,B_vcpu,nodes,workload,target_cost,target_runtime,status";
  const rows = [header];
  let i = 0;
  const price = (p: string, fam: number, vcpu: number, nodes: number) => (p === "A" ? 1 : 1.3) * (1 + fam * 0.2) * 2 ** vcpu * nodes * 1e-5;
  for (let t = 0; t < (opts.tasks ?? 4); t++) {
    for (let d = 0; d < (opts.datasets ?? 2); d++) {
      const work = rng.uniform(50, 500);
      const serial = rng.uniform(0.05, 0.5);
      for (const p of ["A", "B"]) {
        for (const fam of [0, 1]) {
          for (const vcpu of [0, 1]) {
            for (const nodes of [2, 3, 4]) {
              const speed = (p === "A" ? 1 : 1.2) * (1 + 0.3 * fam);
              const rt = ((work * (serial + (1 - serial) / (nodes * 2 ** vcpu))) / speed) * rng.uniform(0.95, 1.05);
              const cfg = p === "A" ? `${fam},${vcpu},,` : `,,${fam},${vcpu}`;
              const status = i % 17 === 5 ? '"Input contains NaN, infinity or a value too 0"' : "ok";
              rows.push(`${i++},${p},${cfg},${nodes},ds${d}-task${t},${(rt * price(p, fam, vcpu, nodes)).toPrecision(6)},${rt.toPrecision(6)},${status}`);
            }
          }
        }
      }
    }
  }
  writeFileSync(path.join(dir, "configs.csv"), rows.join("\n") + "\n");
}
