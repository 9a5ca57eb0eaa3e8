/**
 * Held-out check of AuroraCongestion-v0 against PCC-RL's own simulator (issue 22):
 *
 *   node dist/bench/pcc-rl.js --pcc-rl DIR [--python PY] [--out PREFIX] [--steps 400] [--speed-episodes 10]
 *
 * DIR is a work tree of PCC-RL (github.com/PCCproject/PCC-RL), outside this repository;
 * `bench/pccrl/pccrl_check.py` imports its `src/gym/network_sim.py` unmodified and drives
 * it. PCC-RL needs python3 with numpy and gym; where gym cannot be installed, a stand-in
 * module for the few names network_sim.py imports (gym.Env, gym.spaces.Box,
 * gym.utils.seeding.np_random, gym.envs.registration.register) on PYTHONPATH will do:
 * keep it outside the repository too. Without `--pcc-rl`, or when the checkout or python
 * is unusable, the bench exits 2 and says what is missing.
 *
 * Both simulators run the same episodes: loss-free links of 100-2,000 packets/s, one-way
 * delays 10-200 ms, queues 2-1,000 packets; constant sending rates at 0.5-1.3 x capacity,
 * and ramps (rate x 1.025 for 50 MIs, / 1.025 for 50, repeated, from 0.5 x). The rate
 * clamp is widened on both sides so that the rate is exactly the episode's. Per episode:
 * the mean reward per MI on each side and their relative difference, the means of recv
 * rate, RTT and loss, and whether the first observation (all padding) is equal. The check
 * passes when every mean reward per MI is within 1% and every first observation is equal
 * (exit 0; 1 otherwise).
 *
 * Speed, measured in the same run: env steps per CPU second of each side (user + system
 * time of its process: on a shared machine wall time measures the other jobs) over the
 * check's episodes (reset included), and on Aurora-range links with changing rates (each
 * side's own random links from PCC-RL's ranges, rate clamp [40, 1000], actions
 * 2 sin(i / 8): PCC-RL's `SimulatedNetworkEnv` as shipped, ours `auroraEnv` of
 * envs/congestion/aurora.ts). Compare the two only as a ratio from one run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CongestionEnv } from "../envs/congestion/env.js";
import { ppsToMbps } from "../sim/network/link.js";
import { exitCodeFor, UsageError } from "../errors.js";
import { parseArgs } from "../experiments/args.js";
import { auroraEnv } from "../envs/congestion/aurora.js";

/** One episode both simulators run. */
export interface CheckScenario {
  id: string;
  kind: "constant" | "ramp";
  /** Bottleneck bandwidth, packets per second. */
  bw: number;
  /** One-way delay, seconds. */
  delay: number;
  /** Queue, packets. */
  queue: number;
  /** Starting rate, packets per second. */
  rate: number;
  actions: number[];
}

/** What one side saw in one episode (per-MI arrays). */
export interface SideRun {
  rewards: number[];
  recvRate: number[];
  latency: number[];
  loss: number[];
  firstObservation: number[];
  /** Wall and CPU seconds of the episode, reset included. */
  seconds: number;
  cpuSeconds: number;
  steps: number;
}

/** Steps and the time they took. */
export interface SpeedSample {
  steps: number;
  seconds: number;
  cpuSeconds: number;
}

/** CPU seconds this process has used (user + system). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The check's episodes: constant rates on a grid of links, then ramps on the same links. */
export function checkScenarios(steps = 400): CheckScenario[] {
  const out: CheckScenario[] = [];
  const links: { bw: number; delay: number; queue: number }[] = [];
  for (const bw of [100, 300, 1000, 2000]) for (const delay of [0.01, 0.05, 0.2]) for (const queue of [2, 100, 1000]) links.push({ bw, delay, queue });
  const name = (l: (typeof links)[number]) => `bw${l.bw}-d${l.delay * 1000}ms-q${l.queue}`;
  for (const l of links)
    for (const f of [0.5, 0.9, 1.1, 1.3]) out.push({ id: `${name(l)}-x${f}`, kind: "constant", ...l, rate: f * l.bw, actions: new Array(steps).fill(0) });
  const ramp = Array.from({ length: steps }, (_, i) => (Math.floor(i / 50) % 2 === 0 ? 1 : -1));
  for (const l of links) out.push({ id: `${name(l)}-ramp`, kind: "ramp", ...l, rate: 0.5 * l.bw, actions: ramp });
  return out;
}

/** Our side of one episode: AuroraCongestion-v0 with Aurora's settings and the clamp widened. */
export function runOurs(sc: CheckScenario): SideRun {
  const env = new CongestionEnv({
    pair: sc.id,
    links: [{ bandwidthMbps: ppsToMbps(sc.bw), delayMs: sc.delay * 1000, queuePackets: sc.queue, lossRate: 0 }],
    startRate: [sc.rate / sc.bw, sc.rate / sc.bw],
    minRate: 1e-9,
    maxRate: 1e12,
    maxEpisodeSteps: sc.actions.length,
  });
  const run: SideRun = { rewards: [], recvRate: [], latency: [], loss: [], firstObservation: [], seconds: 0, cpuSeconds: 0, steps: sc.actions.length };
  const t0 = performance.now();
  const c0 = cpuSeconds();
  run.firstObservation = Array.from(env.reset(0));
  for (const a of sc.actions) {
    run.rewards.push(env.step([a]).reward);
    const s = env.last!;
    run.recvRate.push(s.recvRate);
    run.latency.push(s.meanLatency);
    run.loss.push(s.lossRatio);
  }
  run.seconds = (performance.now() - t0) / 1000;
  run.cpuSeconds = cpuSeconds() - c0;
  return run;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One row of the comparison. */
export interface CheckRow {
  id: string;
  kind: CheckScenario["kind"];
  bw: number;
  delay: number;
  queue: number;
  rate: number;
  ours: { reward: number; recvRate: number; latency: number; loss: number };
  pccrl: { reward: number; recvRate: number; latency: number; loss: number };
  /** |ours - PCC-RL| / |PCC-RL| of the mean reward per MI. */
  rewardRelDiff: number;
  firstObservationEqual: boolean;
}

export function compareRuns(sc: CheckScenario, ours: SideRun, theirs: SideRun): CheckRow {
  const sum = (r: SideRun) => ({ reward: mean(r.rewards), recvRate: mean(r.recvRate), latency: mean(r.latency), loss: mean(r.loss) });
  const o = sum(ours);
  const p = sum(theirs);
  return {
    id: sc.id,
    kind: sc.kind,
    bw: sc.bw,
    delay: sc.delay,
    queue: sc.queue,
    rate: sc.rate,
    ours: o,
    pccrl: p,
    rewardRelDiff: Math.abs(o.reward - p.reward) / Math.abs(p.reward),
    firstObservationEqual:
      ours.firstObservation.length === theirs.firstObservation.length && ours.firstObservation.every((x, i) => x === theirs.firstObservation[i]),
  };
}

/** Ours on Aurora-range links with changing rates (experiments/tasks/congestion-bench.ts's episodes): steps and seconds. */
function oursAuroraSpeed(episodes: number, steps: number): SpeedSample {
  const env = auroraEnv(0);
  let n = 0;
  const t0 = performance.now();
  const c0 = cpuSeconds();
  for (let e = 0; e < episodes; e++) {
    env.reset(e);
    for (let i = 0; i < steps; i++, n++) env.step([2 * Math.sin(i / 8)]);
  }
  return { steps: n, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSeconds() - c0 };
}

const pct = (x: number) => `${(100 * x).toFixed(3)}%`;
const f3 = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4));

/** The Markdown report: verdict, speed, the worst rows and every row. */
export function checkMarkdown(rows: CheckRow[], speed: Record<string, SpeedSample>, meta: Record<string, string>): string {
  const worst = [...rows].sort((a, b) => b.rewardRelDiff - a.rewardRelDiff);
  const within = rows.filter((r) => r.rewardRelDiff <= 0.01).length;
  const padding = rows.filter((r) => r.firstObservationEqual).length;
  const sps = (k: string) => (speed[k] ? Math.round(speed[k].steps / speed[k].cpuSeconds) : NaN);
  const line = (r: CheckRow) =>
    `| ${r.id} | ${f3(r.pccrl.reward)} | ${f3(r.ours.reward)} | ${pct(r.rewardRelDiff)} | ${f3(r.pccrl.recvRate)} / ${f3(r.ours.recvRate)} | ` +
    `${f3(r.pccrl.latency)} / ${f3(r.ours.latency)} | ${f3(r.pccrl.loss)} / ${f3(r.ours.loss)} | ${r.firstObservationEqual ? "yes" : "NO"} |`;
  return [
    `# AuroraCongestion-v0 against PCC-RL's simulator`,
    "",
    ...Object.entries(meta).map(([k, v]) => `- ${k}: ${v}`),
    "",
    `**${within} of ${rows.length}** episodes have the mean reward per MI within 1% of PCC-RL's ` +
      `(largest difference ${pct(worst[0]?.rewardRelDiff ?? NaN)}); the first observation is equal in **${padding} of ${rows.length}**.`,
    "",
    `Speed, this run (env steps per CPU second, reset included): check episodes PCC-RL ${sps("pccrl_check")}, ours ${sps("ours_check")} ` +
      `(ratio ${(sps("ours_check") / sps("pccrl_check")).toFixed(1)}); Aurora-range links with changing rates PCC-RL ${sps("pccrl_aurora")}, ` +
      `ours ${sps("ours_aurora")} (ratio ${(sps("ours_aurora") / sps("pccrl_aurora")).toFixed(1)}).`,
    "",
    "| episode | reward/MI PCC-RL | ours | rel. diff | recv rate (pkt/s) PCC-RL / ours | RTT (s) | loss | first obs. equal |",
    "|---|---:|---:|---:|---|---|---|---|",
    ...worst.map(line),
    "",
  ].join("\n");
}

function pythonProblem(python: string, pccDir: string): string | null {
  if (!existsSync(path.join(pccDir, "src", "gym", "network_sim.py"))) return `--pcc-rl ${pccDir}: expected a PCC-RL work tree with src/gym/network_sim.py`;
  const r = spawnSync(python, ["-c", "import numpy, gym"], { encoding: "utf8" });
  if (r.error) return `--python ${python}: cannot run it (${r.error.message})`;
  if (r.status !== 0)
    return (
      `${python} cannot import numpy and gym, which PCC-RL's network_sim.py needs (${r.stderr.trim().split("\n").pop()}). ` +
      "Install numpy (Debian: apt-get install python3-numpy) and gym, or put a stand-in gym module on PYTHONPATH, outside this repository."
    );
  return null;
}

export async function runPccrlCheck(argv: string[]): Promise<number> {
  const { options } = parseArgs(argv, {
    "pcc-rl": { type: "string", description: "a PCC-RL work tree (outside this repository)" },
    python: { type: "string", default: "python3", description: "python with numpy and gym (or a stand-in on PYTHONPATH)" },
    out: { type: "string", default: "runs/pcc-rl-check", description: "writes PREFIX.json and PREFIX.md" },
    steps: { type: "string", default: "400", description: "MIs per episode" },
    "speed-episodes": { type: "string", default: "10", description: "Aurora-range episodes per side for the speed figure" },
  });
  const dir = options["pcc-rl"];
  if (typeof dir !== "string")
    throw new UsageError("pcc-rl check: --pcc-rl DIR is required (a work tree of github.com/PCCproject/PCC-RL, outside this repository)");
  const python = String(options.python);
  const problem = pythonProblem(python, dir);
  if (problem) throw new UsageError(`pcc-rl check: ${problem}`);
  const steps = Number(options.steps);
  const speedEpisodes = Number(options["speed-episodes"]);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new UsageError(`--steps: expected an integer >= 1, got ${options.steps}`);
  if (!(Number.isInteger(speedEpisodes) && speedEpisodes >= 0))
    throw new UsageError(`--speed-episodes: expected an integer >= 0, got ${options["speed-episodes"]}`);

  const scenarios = checkScenarios(steps);
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "pccrl", "pccrl_check.py");
  const load0 = os.loadavg()[0];
  const py = spawnSync(python, [script, dir], {
    input: JSON.stringify({ scenarios, speed: speedEpisodes > 0 ? { episodes: speedEpisodes, steps, seed: 0 } : null }),
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (py.status !== 0) throw new Error(`pcc-rl check: ${script} failed (exit ${py.status}): ${py.stderr.slice(-2000)}`);
  const theirs = JSON.parse(py.stdout.trim().split("\n").pop() ?? "{}") as { python: string; speed?: SpeedSample; scenarios: SideRun[] };
  const ours = scenarios.map(runOurs);
  const rows = scenarios.map((sc, i) => compareRuns(sc, ours[i], theirs.scenarios[i]));
  const sum = (rs: SideRun[], k: keyof SpeedSample) => rs.reduce((a, r) => a + r[k], 0);
  const total = (rs: SideRun[]): SpeedSample => ({ steps: sum(rs, "steps"), seconds: sum(rs, "seconds"), cpuSeconds: sum(rs, "cpuSeconds") });
  const speed: Record<string, SpeedSample> = { pccrl_check: total(theirs.scenarios), ours_check: total(ours) };
  if (theirs.speed) {
    speed.pccrl_aurora = theirs.speed;
    speed.ours_aurora = oursAuroraSpeed(speedEpisodes, steps);
  }
  const meta = {
    machine: `${os.cpus()[0]?.model ?? "unknown"}, ${os.cpus().length} cores`,
    node: process.version,
    python: theirs.python,
    "load average (1 min) at start / end": `${load0.toFixed(1)} / ${os.loadavg()[0].toFixed(1)}`,
    episodes: `${rows.length} (${rows.filter((r) => r.kind === "constant").length} constant, ${rows.filter((r) => r.kind === "ramp").length} ramped), ${steps} MIs each`,
  };
  const pass = rows.every((r) => r.rewardRelDiff <= 0.01 && r.firstObservationEqual);
  const out = String(options.out);
  mkdirSync(path.dirname(out) || ".", { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify({ meta, pass, speed, rows }, null, 2) + "\n");
  const md = checkMarkdown(rows, speed, meta);
  writeFileSync(`${out}.md`, md);
  process.stdout.write(md.split("\n").slice(0, 12).join("\n") + `\n\nfull table: ${out}.md\n`);
  return pass ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = await runPccrlCheck(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = exitCodeFor(err);
  }
}
