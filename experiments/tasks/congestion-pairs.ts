/**
 * The congestion-control task's config and pairs: which network environments a run uses,
 * how they are written in its JSON config, and how a pair becomes an environment.
 *
 * A pair is one network environment:
 *   - a link cell of the paper's grid (FLASH A.5): bandwidth 0.1-128 Mbps, one-way delay
 *     1-512 ms, queue 1-10240 packets, random loss 0-10%, each range cut into five
 *     sub-ranges (bandwidth, delay and queue on a log scale, since they span three to four
 *     orders of magnitude; loss linearly: 0-2%, ..., 8-10%), 5^4 = 625 cells. The paper
 *     does not give the cut points; these are ours (`SUBRANGES`). A cell's link has values
 *     drawn from its sub-ranges (log-uniform, loss uniform) with the run seed, stored in the
 *     config, so a run is exact. Id: `b<i>d<j>q<k>l<m>` (sub-range indices 0-4).
 *   - a Pantheon (or user) link trace with `--traces network-traces` (or a folder): bandwidth over time from the
 *     file, with the file's delay, queue and loss where it states them (else 20 ms, 100
 *     packets, 0). Trace pairs join the adaptation (test) pool only. Id: `trace:<file>`.
 * Test pairs are drawn first, then the pool, from a seeded shuffle of the 625 cells.
 *
 * Figure 12's experiment (`updatePairsFor`): an updated pair is a test cell with one
 * parameter moved to another sub-range (scenario bandwidth, delay, queue or loss) or all
 * four at once ("all"); the original agent of the test cell is served on it.
 */
import path from "node:path";
import { ConfigError, MissingPathError } from "../../errors.js";
import { Rng } from "../../flash/rng.js";
import type { LinkSpec } from "../../sim/network/link.js";
import { listLinkTraces, loadLinkTrace, type LinkTrace } from "../../sim/network/trace.js";
import { CongestionEnv } from "../../envs/congestion/env.js";
import { distinctPairIds, netArch, num, obj, pos, str, validateBudgets, validateFlashSettings } from "./config-checks.js";
import type { FlashSettings } from "./rl-flash-kit.js";
import type { RlBudgets } from "./types.js";

export const PARAMS = ["bandwidth", "delay", "queue", "loss"] as const;
export type Param = (typeof PARAMS)[number];
export const SCENARIOS = [...PARAMS, "all"] as const;
export type Scenario = (typeof SCENARIOS)[number];

const logEdges = (lo: number, hi: number) => Array.from({ length: 6 }, (_, k) => lo * (hi / lo) ** (k / 5));
/** Sub-range edges per parameter (bandwidth Mbps, delay ms, queue packets, loss rate). */
export const SUBRANGES: Record<Param, number[]> = {
  bandwidth: logEdges(0.1, 128),
  delay: logEdges(1, 512),
  queue: logEdges(1, 10240),
  loss: [0, 0.02, 0.04, 0.06, 0.08, 0.1],
};

export interface LinkPair {
  id: string;
  kind: "link";
  /** Sub-range index (0-4) of bandwidth, delay, queue, loss. */
  cell: [number, number, number, number];
  link: { bandwidthMbps: number; delayMs: number; queuePackets: number; lossRate: number };
}

export interface TracePair {
  id: string;
  kind: "trace";
  file: string;
  link: { delayMs: number; queuePackets: number; lossRate: number };
}

export type CongestionPair = LinkPair | TracePair;
export type CongestionUpdatePair = LinkPair & { from: string; scenario: Scenario };

export interface CongestionEnvConfig {
  historyLength: number;
  deltaScale: number;
  minRate: number;
  maxRate: number;
  rewardScale: number;
  maxEpisodeSteps: number;
  minIntervalPackets: number;
}

/** Aurora's PPO (Table 12) as the config holds it. */
export interface CongestionAgentConfig {
  netArch: number[];
  learningRate: number;
  nSteps: number;
  batchSize: number;
  nEpochs: number;
  gamma: number;
  gaeLambda: number;
  clipRange: number;
  entCoef: number;
  vfCoef: number;
  /** PPO has no warm-up; kept for the kit (0). */
  learningStarts: number;
}

export interface CongestionConfig {
  task: "congestion";
  traces: string | null;
  env: CongestionEnvConfig;
  poolPairs: CongestionPair[];
  testPairs: CongestionPair[];
  updatePairs: CongestionUpdatePair[];
  agent: CongestionAgentConfig;
  flash: FlashSettings;
  budgets: RlBudgets;
}

// ---------------------------------------------------------------- pairs

export const cellId = (c: readonly number[]) => `b${c[0]}d${c[1]}q${c[2]}l${c[3]}`;

/** A link drawn inside cell `c` (log-uniform for bandwidth, delay, queue; uniform loss). */
export function drawLink(c: readonly number[], rng: Rng): LinkPair["link"] {
  const logU = (p: Param, i: number) => {
    const e = SUBRANGES[p];
    return Math.exp(rng.uniform(Math.log(e[i]), Math.log(e[i + 1])));
  };
  const r3 = (x: number) => Number(x.toPrecision(3));
  const le = SUBRANGES.loss;
  return {
    bandwidthMbps: r3(logU("bandwidth", c[0])),
    delayMs: r3(logU("delay", c[1])),
    queuePackets: Math.max(1, Math.round(logU("queue", c[2]))),
    lossRate: r3(rng.uniform(le[c[3]], le[c[3] + 1])),
  };
}

/** All 625 cells in a seeded order. */
export function shuffledCells(runSeed: number): [number, number, number, number][] {
  const all: [number, number, number, number][] = [];
  for (let b = 0; b < 5; b++) for (let d = 0; d < 5; d++) for (let q = 0; q < 5; q++) for (let l = 0; l < 5; l++) all.push([b, d, q, l]);
  return new Rng(`congestion/cells/${runSeed}`).shuffle(all);
}

export function linkPair(c: [number, number, number, number], runSeed: number): LinkPair {
  return { id: cellId(c), kind: "link", cell: c, link: drawLink(c, new Rng(`congestion/link/${runSeed}/${cellId(c)}`)) };
}

/**
 * The pair's true parameters for the oracle control and the embedding probe: log
 * bandwidth (a trace pair: its mean), log one-way delay, log queue and the loss rate (raw;
 * the kit standardises them over the pool pairs).
 */
export function congestionPairOracle(p: CongestionPair): number[] {
  const bw = p.kind === "link" ? p.link.bandwidthMbps : mean(loadLinkTrace(p.file).bandwidthMbps);
  return [Math.log(bw), Math.log(p.link.delayMs), Math.log(p.link.queuePackets), p.link.lossRate];
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** `n` trace pairs from the files under `dir`, in a seeded order. */
export function tracePairs(dir: string, n: number, runSeed: number): TracePair[] {
  const files = listLinkTraces(dir);
  if (files.length === 0) throw new MissingPathError(dir, `congestion: traces folder "${dir}" holds no *.json or *.csv link trace`);
  const order = new Rng(`congestion/traces/${runSeed}`).shuffle(files.map((_, i) => i));
  return order.slice(0, Math.min(n, files.length)).map((i) => {
    const f = files[i];
    const tr = loadLinkTrace(f);
    const id = `trace:${path.relative(dir, f).replace(/[^A-Za-z0-9._+-]+/g, "-")}`.slice(0, 120);
    return {
      id,
      kind: "trace",
      file: f,
      link: { delayMs: tr.link?.delayMs ?? 20, queuePackets: tr.link?.queuePackets ?? 100, lossRate: tr.link?.lossRate ?? 0 },
    };
  });
}

/**
 * Figure 12's updated pairs: for each scenario (the first `n` of bandwidth, delay, queue,
 * loss, all), test link pair number (scenario index mod test count) with the scenario's
 * parameters moved by two sub-ranges (upwards when that stays inside the grid, else down).
 */
export function updatePairsFor(test: readonly CongestionPair[], n: number, runSeed: number): CongestionUpdatePair[] {
  const links = test.filter((p): p is LinkPair => p.kind === "link");
  if (links.length === 0) return [];
  return SCENARIOS.slice(0, n).map((scenario, k) => {
    const src = links[k % links.length];
    const cell = [...src.cell] as LinkPair["cell"];
    for (const [i, p] of PARAMS.entries()) if (scenario === "all" || scenario === p) cell[i] = cell[i] + 2 <= 4 ? cell[i] + 2 : cell[i] - 2;
    const moved = linkPair(cell, runSeed);
    // The unchanged parameters keep the source's exact values: the same environment with one parameter moved.
    const link = { ...src.link };
    if (scenario === "all" || scenario === "bandwidth") link.bandwidthMbps = moved.link.bandwidthMbps;
    if (scenario === "all" || scenario === "delay") link.delayMs = moved.link.delayMs;
    if (scenario === "all" || scenario === "queue") link.queuePackets = moved.link.queuePackets;
    if (scenario === "all" || scenario === "loss") link.lossRate = moved.link.lossRate;
    return { id: `${src.id}~${scenario}:${cellId(cell)}`, kind: "link", cell, link, from: src.id, scenario };
  });
}

const traceCache = new Map<string, LinkTrace>();

/** The pair's links (one bottleneck link, Aurora's path). */
export function pairLinks(p: CongestionPair): LinkSpec[] {
  if (p.kind === "link") return [{ ...p.link }];
  let tr = traceCache.get(p.file);
  if (!tr) traceCache.set(p.file, (tr = loadLinkTrace(p.file)));
  return [{ bandwidthMbps: 0, ...p.link, trace: tr }];
}

export function makePairEnv(env: CongestionEnvConfig, p: CongestionPair, seed: number): CongestionEnv {
  return new CongestionEnv({ pair: p.id, links: pairLinks(p), seed, ...env });
}

// ---------------------------------------------------------------- validation

function linkOf(v: unknown, w: string, trace: boolean): LinkPair["link"] {
  const o = obj(v, w, trace ? ["delayMs", "queuePackets", "lossRate"] : ["bandwidthMbps", "delayMs", "queuePackets", "lossRate"]);
  return {
    ...(trace ? {} : { bandwidthMbps: pos(o, "bandwidthMbps", w) }),
    delayMs: num(o, "delayMs", w, 0, false),
    queuePackets: num(o, "queuePackets", w, 1),
    lossRate: num(o, "lossRate", w, 0, false, 0.999),
  } as LinkPair["link"];
}

function pairOf(v: unknown, w: string, update = false): CongestionPair | CongestionUpdatePair {
  const kind = (v as { kind?: unknown } | null)?.kind;
  if (kind === "trace" && !update) {
    const o = obj(v, w, ["id", "kind", "file", "link"]);
    return { id: str(o, "id", w), kind: "trace", file: str(o, "file", w), link: linkOf(o.link, `${w}.link`, true) };
  }
  if (kind !== "link") throw new ConfigError(`${w}.kind: expected "link"${update ? "" : ' or "trace"'}, got ${JSON.stringify(kind)}`);
  const o = obj(v, w, update ? ["id", "kind", "cell", "link", "from", "scenario"] : ["id", "kind", "cell", "link"]);
  const cell = o.cell;
  if (!Array.isArray(cell) || cell.length !== 4 || !cell.every((x) => Number.isInteger(x) && x >= 0 && x <= 4))
    throw new ConfigError(`${w}.cell: expected 4 sub-range indices 0-4, got ${JSON.stringify(cell)}`);
  const base: LinkPair = { id: str(o, "id", w), kind: "link", cell: cell as LinkPair["cell"], link: linkOf(o.link, `${w}.link`, false) };
  if (!update) return base;
  const scenario = str(o, "scenario", w);
  if (!(SCENARIOS as readonly string[]).includes(scenario))
    throw new ConfigError(`${w}.scenario: expected one of ${SCENARIOS.join(", ")}, got ${JSON.stringify(scenario)}`);
  return { ...base, from: str(o, "from", w), scenario: scenario as Scenario };
}

function pairs(v: unknown, w: string): CongestionPair[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError(`${w}: expected a non-empty array of pairs`);
  return v.map((p, i) => pairOf(p, `${w}[${i}]`));
}

const ENV_KEYS = ["historyLength", "deltaScale", "minRate", "maxRate", "rewardScale", "maxEpisodeSteps", "minIntervalPackets"] as const;
const AGENT_KEYS = [
  "netArch",
  "learningRate",
  "nSteps",
  "batchSize",
  "nEpochs",
  "gamma",
  "gaeLambda",
  "clipRange",
  "entCoef",
  "vfCoef",
  "learningStarts",
] as const;

/** Checks a config read from a file; every error names the field (`where.field`). */
export function validateCongestionConfig(raw: unknown, where: string): CongestionConfig {
  const o = obj(raw, where, ["task", "traces", "env", "poolPairs", "testPairs", "updatePairs", "agent", "flash", "budgets"], ["updatePairs"]);
  if (o.task !== "congestion") throw new ConfigError(`${where}.task: expected "congestion", got ${JSON.stringify(o.task)}`);
  if (o.traces !== null && (typeof o.traces !== "string" || o.traces === ""))
    throw new ConfigError(`${where}.traces: expected a folder path or null, got ${JSON.stringify(o.traces)}`);
  const ew = `${where}.env`;
  const e = obj(o.env, ew, ENV_KEYS);
  const env: CongestionEnvConfig = {
    historyLength: num(e, "historyLength", ew, 1),
    deltaScale: pos(e, "deltaScale", ew),
    minRate: pos(e, "minRate", ew),
    maxRate: pos(e, "maxRate", ew),
    rewardScale: pos(e, "rewardScale", ew),
    maxEpisodeSteps: num(e, "maxEpisodeSteps", ew, 1),
    minIntervalPackets: num(e, "minIntervalPackets", ew, 0, false),
  };
  if (env.maxRate < env.minRate) throw new ConfigError(`${ew}.maxRate: expected >= minRate (${env.minRate}), got ${env.maxRate}`);
  const poolPairs = pairs(o.poolPairs, `${where}.poolPairs`);
  const testPairs = pairs(o.testPairs, `${where}.testPairs`);
  const updatePairs = ((o.updatePairs ?? []) as unknown[]).map((p, i) => pairOf(p, `${where}.updatePairs[${i}]`, true) as CongestionUpdatePair);
  for (const [i, u] of updatePairs.entries())
    if (!testPairs.some((t) => t.id === u.from))
      throw new ConfigError(`${where}.updatePairs[${i}].from: expected the id of a test pair, got ${JSON.stringify(u.from)}`);
  distinctPairIds([...poolPairs, ...testPairs, ...updatePairs], where);
  const aw = `${where}.agent`;
  const a = obj(o.agent, aw, AGENT_KEYS);
  const agent: CongestionAgentConfig = {
    netArch: netArch(a, aw),
    learningRate: pos(a, "learningRate", aw),
    nSteps: num(a, "nSteps", aw, 1),
    batchSize: num(a, "batchSize", aw, 1),
    nEpochs: num(a, "nEpochs", aw, 1),
    gamma: num(a, "gamma", aw, 0, false, 1),
    gaeLambda: num(a, "gaeLambda", aw, 0, false, 1),
    clipRange: pos(a, "clipRange", aw),
    entCoef: num(a, "entCoef", aw, 0, false),
    vfCoef: num(a, "vfCoef", aw, 0, false),
    learningStarts: num(a, "learningStarts", aw, 0),
  };
  return {
    task: "congestion",
    traces: (o.traces as string | null) ?? null,
    env,
    poolPairs,
    testPairs,
    updatePairs,
    agent,
    flash: validateFlashSettings(o.flash, `${where}.flash`),
    budgets: validateBudgets(o.budgets, `${where}.budgets`),
  };
}
