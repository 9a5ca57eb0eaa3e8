/**
 * The cpufreq task's config and pairs: which (application, processor) pairs a run uses,
 * how they are written in its JSON config, and how a pair becomes an environment.
 *
 *   - Applications: the seeded generator of sim/k8s (`generateApplications("cpufreq/<runSeed>")`),
 *     so an app id means the same segments as on the Kubernetes simulator.
 *   - Processors: the built-in three (sim/cpufreq/processors) or a folder of processor
 *     files (`--processors`-style `processorDir`); the config holds each processor's full
 *     spec, so a rerun uses exactly the same numbers. Pair i runs on processor
 *     (i + offset) mod P with a seeded offset, so pool and test pairs cover every processor.
 *   - Load: each application has its own trace (its pair and its processor-change pair share
 *     it). Default: a seeded synthetic trace at 1 s resolution (traces/synthetic.ts,
 *     `SYNTHETIC_LOAD`): log-normal noise whose AR(1) coefficient is 0.3 per minute (so it
 *     moves on the scale of a minute, not of a second; each pair draws its std from
 *     0.05-0.5) and bursts (each pair draws 0.5-30 onsets per hour; heights 0.5-3 times
 *     the local rate, decaying over ~10 s); no periodic cycle. Calibrated against the
 *     per-second traces of the load-trace folder (NASA-HTTP, Twitter, Azure LLM) by
 *     `bench/cpufreq-load.ts`; the numbers are in sim/cpufreq/README.md.
 *     With a traces folder (`--traces load-traces` or a path): the folder's traces, round-robin in a seeded
 *     order, each app reading a window of `traceSeconds` at a seeded offset, resampled to 1 s.
 *   - Pair ids are `<app name>@<processor name>`.
 *
 * The update experiment (`updatePairs`), through the shared definition of sim/k8s/scenarios.ts:
 *   - application updates: `appUpdatesFor` on the test apps (the paper's 7 scenarios),
 *     each updated app on its test pair's processor and trace;
 *   - processor changes (scenario "processor"): each test pair's app on the next processor
 *     (same trace). The original agent served there is Figure 13's "new processor" drop.
 */
import { ConfigError } from "../../errors.js";
import { Rng } from "../../flash/rng.js";
import { validateApplication, type Application } from "../../sim/k8s/app.js";
import { generateApplications } from "../../sim/k8s/generate.js";
import { appUpdatesFor, SCENARIOS } from "../../sim/k8s/scenarios.js";
import { CpufreqEnv } from "../../envs/cpufreq/env.js";
import { CpufreqConfigError } from "../../sim/cpufreq/errors.js";
import { builtinProcessorDir, loadProcessors, specOf, validateProcessor, type Processor, type ProcessorSpec } from "../../sim/cpufreq/processor.js";
import { TraceError } from "../../traces/errors.js";
import { listTraces } from "../../traces/real.js";
import { syntheticTrace } from "../../traces/synthetic.js";
import { durationSeconds, mean, quantile, resample, traceStats, type Trace } from "../../traces/trace.js";
import { compileWorkload, coreSecondsPerRequest, meanRequestRate, memoryBoundFraction, serviceLatencySeconds } from "../../sim/cpufreq/workload.js";
import { loadTraceFile } from "./autoscaling-pairs.js";
import { distinctPairIds, netArch, num, obj, pos, str, validateBudgets, validateFlashSettings } from "./config-checks.js";
import type { FlashSettings } from "./rl-flash-kit.js";
import type { RlBudgets } from "./types.js";

export type CpufreqTraceSpec =
  | { source: "synthetic"; seed: string; seconds: number; noiseStd: number; burstsPerHour: number }
  | { source: "file"; file: string; offsetSeconds: number; seconds: number };

export interface CpufreqPair {
  id: string;
  app: Application;
  processor: string;
  trace: CpufreqTraceSpec;
}

/** An updated test pair: scenario one of the 7 application updates, or "processor". */
export interface CpufreqUpdatePair extends CpufreqPair {
  from: string;
  scenario: string;
}

export interface CpufreqEnvConfig {
  maxEpisodeSteps: number;
  alpha: number;
  powerWeight: number;
  loadFraction: number;
  counterNoise: number;
  traceSeconds: number;
}

/** SmartOverclock's DQN (Table 10) with the budget-dependent numbers as fields. */
export interface CpufreqAgentConfig {
  netArch: number[];
  learningRate: number;
  bufferSize: number;
  learningStarts: number;
  batchSize: number;
  gamma: number;
  tau: number;
  trainFreq: number;
  targetUpdateInterval: number;
  explorationFraction: number;
  explorationFinalEps: number;
}

export interface CpufreqConfig {
  task: "cpufreq";
  /** The folder the file traces were chosen from; null: synthetic traces. */
  traces: string | null;
  /** The processors pairs may name (full specs). */
  processors: ProcessorSpec[];
  env: CpufreqEnvConfig;
  poolPairs: CpufreqPair[];
  testPairs: CpufreqPair[];
  updatePairs: CpufreqUpdatePair[];
  agent: CpufreqAgentConfig;
  flash: FlashSettings;
  budgets: RlBudgets;
}

export const PROCESSOR_SCENARIO = "processor";

// ---------------------------------------------------------------- validation

function traceSpec(v: unknown, where: string): CpufreqTraceSpec {
  const src = (v as { source?: unknown } | null)?.source;
  if (src === "synthetic") {
    const o = obj(v, where, ["source", "seed", "seconds", "noiseStd", "burstsPerHour"]);
    return {
      source: "synthetic",
      seed: str(o, "seed", where),
      seconds: pos(o, "seconds", where),
      noiseStd: num(o, "noiseStd", where, 0, false),
      burstsPerHour: num(o, "burstsPerHour", where, 0, false),
    };
  }
  if (src === "file") {
    const o = obj(v, where, ["source", "file", "offsetSeconds", "seconds"]);
    return { source: "file", file: str(o, "file", where), offsetSeconds: num(o, "offsetSeconds", where, 0, false), seconds: pos(o, "seconds", where) };
  }
  throw new ConfigError(`${where}.source: expected "synthetic" or "file", got ${JSON.stringify(src)}`);
}

function pairOf(v: unknown, w: string, procs: ReadonlyMap<string, Processor>, extra: readonly string[] = []): CpufreqPair & Record<string, unknown> {
  const o = obj(v, w, ["id", "app", "processor", "trace", ...extra]);
  const app = validateApplication(o.app, `${w}.app`);
  const processor = str(o, "processor", w);
  if (!procs.has(processor)) throw new CpufreqConfigError(`${w}.processor`, `one of the config's processors (${[...procs.keys()].join(", ")})`, processor);
  const id = str(o, "id", w);
  if (id !== `${app.name}@${processor}`)
    throw new ConfigError(`${w}.id: expected "${app.name}@${processor}" (<app.name>@<processor>), got ${JSON.stringify(id)}`);
  return { ...o, id, app, processor, trace: traceSpec(o.trace, `${w}.trace`) };
}

function pairList(v: unknown, where: string, procs: ReadonlyMap<string, Processor>): CpufreqPair[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError(`${where}: expected a non-empty array of {id, app, processor, trace}`);
  return v.map((p, i) => {
    const { id, app, processor, trace } = pairOf(p, `${where}[${i}]`, procs);
    return { id, app, processor, trace };
  });
}

function updateList(v: unknown, where: string, procs: ReadonlyMap<string, Processor>, test: readonly CpufreqPair[]): CpufreqUpdatePair[] {
  if (!Array.isArray(v)) throw new ConfigError(`${where}: expected an array of {id, app, processor, trace, from, scenario}`);
  const scenarios: readonly string[] = [...SCENARIOS, PROCESSOR_SCENARIO];
  return v.map((p, i) => {
    const w = `${where}[${i}]`;
    const o = pairOf(p, w, procs, ["from", "scenario"]);
    const from = str(o, "from", w);
    if (!test.some((x) => x.id === from)) throw new ConfigError(`${w}.from: expected the id of a test pair, got ${JSON.stringify(from)}`);
    const scenario = str(o, "scenario", w);
    if (!scenarios.includes(scenario)) throw new ConfigError(`${w}.scenario: expected one of ${scenarios.join(", ")}, got ${JSON.stringify(scenario)}`);
    return { id: o.id, app: o.app, processor: o.processor, trace: o.trace, from, scenario };
  });
}

const ENV_KEYS = ["maxEpisodeSteps", "alpha", "powerWeight", "loadFraction", "counterNoise", "traceSeconds"] as const;
const AGENT_KEYS = [
  "netArch",
  "learningRate",
  "bufferSize",
  "learningStarts",
  "batchSize",
  "gamma",
  "tau",
  "trainFreq",
  "targetUpdateInterval",
  "explorationFraction",
  "explorationFinalEps",
] as const;

/** The config's processors by name (each spec validated as a processor file). */
export function processorMap(specs: readonly ProcessorSpec[], where = "processors"): Map<string, Processor> {
  const out = new Map<string, Processor>();
  specs.forEach((s, i) => {
    const p = validateProcessor(s, `${where}[${i}]`);
    if (out.has(p.name)) throw new ConfigError(`${where}[${i}].name: processor "${p.name}" appears twice`);
    out.set(p.name, p);
  });
  return out;
}

/** Checks a config read from a file; every error names the field. */
export function validateCpufreqConfig(raw: unknown, where: string): CpufreqConfig {
  const o = obj(raw, where, ["task", "traces", "processors", "env", "poolPairs", "testPairs", "updatePairs", "agent", "flash", "budgets"]);
  if (o.task !== "cpufreq") throw new ConfigError(`${where}.task: expected "cpufreq", got ${JSON.stringify(o.task)}`);
  if (o.traces !== null && (typeof o.traces !== "string" || o.traces === ""))
    throw new ConfigError(`${where}.traces: expected a folder path or null, got ${JSON.stringify(o.traces)}`);
  if (!Array.isArray(o.processors) || o.processors.length === 0) throw new ConfigError(`${where}.processors: expected a non-empty array of processor specs`);
  const procs = processorMap(o.processors as ProcessorSpec[], `${where}.processors`);
  const ew = `${where}.env`;
  const e = obj(o.env, ew, ENV_KEYS);
  const env: CpufreqEnvConfig = {
    maxEpisodeSteps: num(e, "maxEpisodeSteps", ew, 1),
    alpha: num(e, "alpha", ew, 0, false, 1),
    powerWeight: num(e, "powerWeight", ew, 0, false),
    loadFraction: pos(e, "loadFraction", ew),
    counterNoise: num(e, "counterNoise", ew, 0, false, 0.5),
    traceSeconds: num(e, "traceSeconds", ew, 2),
  };
  if (env.traceSeconds < env.maxEpisodeSteps + 1)
    throw new ConfigError(`${ew}.traceSeconds: expected at least one episode plus its warm-up second, ${env.maxEpisodeSteps + 1}, got ${env.traceSeconds}`);
  const poolPairs = pairList(o.poolPairs, `${where}.poolPairs`, procs);
  const testPairs = pairList(o.testPairs, `${where}.testPairs`, procs);
  const updatePairs = updateList(o.updatePairs, `${where}.updatePairs`, procs, testPairs);
  distinctPairIds([...poolPairs, ...testPairs, ...updatePairs], where);
  const aw = `${where}.agent`;
  const a = obj(o.agent, aw, AGENT_KEYS);
  const agent: CpufreqAgentConfig = {
    netArch: netArch(a, aw),
    learningRate: pos(a, "learningRate", aw),
    bufferSize: num(a, "bufferSize", aw, 1),
    learningStarts: num(a, "learningStarts", aw, 0),
    batchSize: num(a, "batchSize", aw, 1),
    gamma: num(a, "gamma", aw, 0, false, 1),
    tau: pos(a, "tau", aw, 1),
    trainFreq: num(a, "trainFreq", aw, 1),
    targetUpdateInterval: num(a, "targetUpdateInterval", aw, 1),
    explorationFraction: num(a, "explorationFraction", aw, 0, false, 1),
    explorationFinalEps: num(a, "explorationFinalEps", aw, 0, false, 1),
  };
  return {
    task: "cpufreq",
    traces: (o.traces as string | null) ?? null,
    processors: [...procs.values()].map(specOf),
    env,
    poolPairs,
    testPairs,
    updatePairs,
    agent,
    flash: validateFlashSettings(o.flash, `${where}.flash`),
    budgets: validateBudgets(o.budgets, `${where}.budgets`),
  };
}

// ---------------------------------------------------------------- pairs and environments

/**
 * The synthetic per-second load (traces/synthetic.ts) of a pair without a trace folder:
 * the fixed shape, and the ranges each pair draws its noise and burst rate from.
 */
export const SYNTHETIC_LOAD = {
  periodSeconds: 600,
  diurnalAmplitude: 0,
  noiseArPerMinute: 0.3,
  burstHeight: [0.5, 3] as const,
  burstDecaySeconds: 10,
  noiseStd: [0.05, 0.5] as const,
  burstsPerHour: [0.5, 30] as const,
} as const;

/** The trace a pair's environment reads (1 s resolution for synthetic ones; files at their own step, resampled by the env). */
export function cpufreqTrace(p: Pick<CpufreqPair, "trace" | "app">): Trace {
  const s = p.trace;
  if (s.source === "synthetic") {
    const L = SYNTHETIC_LOAD;
    return syntheticTrace({
      seed: s.seed,
      seconds: s.seconds,
      stepSeconds: 1,
      periodSeconds: L.periodSeconds,
      diurnalAmplitude: L.diurnalAmplitude,
      noiseStd: s.noiseStd,
      noiseAr: L.noiseArPerMinute,
      burstsPerHour: s.burstsPerHour,
      burstHeight: [...L.burstHeight],
      burstDecaySeconds: L.burstDecaySeconds,
      name: `syn-${p.app.name}`,
    });
  }
  const whole = loadTraceFile(s.file);
  const i0 = Math.floor(s.offsetSeconds / whole.stepSeconds + 1e-9);
  const n = Math.max(1, Math.ceil(s.seconds / whole.stepSeconds - 1e-9));
  if (i0 >= whole.rates.length) throw new TraceError(s.file, "offsetSeconds", `an offset inside the trace (< ${durationSeconds(whole)} s)`, s.offsetSeconds);
  return { name: whole.name, stepSeconds: whole.stepSeconds, rates: whole.rates.subarray(i0, i0 + n) };
}

const procCache = new WeakMap<CpufreqConfig, Map<string, Processor>>();

/** The pair's environment (CpuFreq-v0); its `pair` is the pair id. */
export function makeCpufreqEnv(cfg: CpufreqConfig, p: CpufreqPair, seed: number): CpufreqEnv {
  let procs = procCache.get(cfg);
  if (!procs) procCache.set(cfg, (procs = processorMap(cfg.processors)));
  const processor = procs.get(p.processor);
  if (!processor) throw new CpufreqConfigError("processor", `one of ${[...procs.keys()].join(", ")}`, p.processor);
  const e = cfg.env;
  const env = new CpufreqEnv({
    app: p.app,
    processor,
    trace: cpufreqTrace(p),
    seed,
    maxEpisodeSteps: e.maxEpisodeSteps,
    alpha: e.alpha,
    powerWeight: e.powerWeight,
    loadFraction: e.loadFraction,
    counterNoise: e.counterNoise,
  });
  if (env.pair !== p.id) throw new ConfigError(`cpufreq: pair "${p.id}" builds an environment named "${env.pair}"`);
  return env;
}

/**
 * The pair's true parameters for the oracle control and the embedding probe (raw; the kit
 * standardises them over the pool pairs), `CPUFREQ_ORACLE_FEATURES` in order:
 *   - the app on this processor: memory-bound share of its core time at base, log
 *     instructions per request, log mean request rate, log SLO, and log(service latency at
 *     base / SLO) (how much of the SLO the request itself uses);
 *   - the processor: minimum, base, all-core turbo and maximum GHz, cores, IPC against
 *     Haswell-EP, TDP, DRAM latency;
 *   - the load the episodes see: the offered utilisation at base (mean request rate x core
 *     time per request at base / cores) over the whole trace, and its 10th, 50th and 90th
 *     percentiles over the trace's episode windows (every `maxEpisodeSteps` window the
 *     env can start, in 10 s strides): the window's load sets the best level. The oracle
 *     is one constant input per pair, so it holds the distribution of the windows' loads,
 *     not the load of the episode being played;
 *   - the trace's shape: CV, peak / mean, lag-1 autocorrelation, burst fraction.
 */
export function cpufreqPairOracle(cfg: CpufreqConfig, p: CpufreqPair): number[] {
  const proc = processorMap(cfg.processors).get(p.processor);
  if (!proc) throw new CpufreqConfigError("processor", `one of ${cfg.processors.map((x) => x.name).join(", ")}`, p.processor);
  const w = compileWorkload(p.app, proc);
  const trace = cpufreqTrace(p);
  const t = traceStats(trace);
  const rate = meanRequestRate(w, cfg.env.loadFraction);
  const utilAtBase = (r: number) => (r * coreSecondsPerRequest(w, proc.baseGHz)) / proc.cores;
  const windows = windowMeans(trace.stepSeconds === 1 ? trace : resample(trace, 1), cfg.env.maxEpisodeSteps).map((m) => utilAtBase(m * rate));
  const app = [
    memoryBoundFraction(w, proc.baseGHz),
    Math.log(w.instructionsPerRequest),
    Math.log(rate),
    Math.log(w.sloSeconds),
    Math.log(serviceLatencySeconds(w, proc.baseGHz) / w.sloSeconds),
  ];
  const cpu = [proc.minGHz, proc.baseGHz, proc.allCoreTurboGHz, proc.maxGHz, proc.cores, proc.ipcRelative, proc.tdpW, proc.memoryLatencyNs];
  const load = [utilAtBase(rate), quantile(windows, 0.1), quantile(windows, 0.5), quantile(windows, 0.9)];
  return [...app, ...cpu, ...load, t.cv, t.peakToMean, t.ac1, t.burstFraction];
}

/** The oracle's features in order (cpufreqPairOracle). */
export const CPUFREQ_ORACLE_FEATURES = [
  "memoryBoundAtBase",
  "logInstructionsPerRequest",
  "logMeanRequestRate",
  "logSloSeconds",
  "logLatencyOverSloAtBase",
  "minGHz",
  "baseGHz",
  "allCoreTurboGHz",
  "maxGHz",
  "cores",
  "ipcRelative",
  "tdpW",
  "memoryLatencyNs",
  "offeredUtilisationAtBase",
  "windowUtilisationP10",
  "windowUtilisationP50",
  "windowUtilisationP90",
  "traceCv",
  "tracePeakToMean",
  "traceAc1",
  "traceBurstFraction",
] as const;

/** Means of every `seconds`-long window of a 1 s trace, starting every 10 s, relative to the trace's mean. */
function windowMeans(tr: Trace, seconds: number): number[] {
  const x = tr.rates;
  const m = mean(x);
  const out: number[] = [];
  for (let i = 0; i + seconds <= x.length; i += 10) out.push(m > 0 ? mean(x.subarray(i, i + seconds)) / m : 0);
  return out.length ? out : [1];
}

/** Processors for a run: the files of `dir`, or the built-in three. */
export function runProcessors(dir: string | null = null): Processor[] {
  return [...loadProcessors(dir ?? builtinProcessorDir()).values()];
}

function round3(x: number): number {
  return Number(x.toPrecision(3));
}

/** `n` pairs for a run seed: app i on processor (i + offset) mod P, each app with its own trace. */
export function drawCpufreqPairs(
  runSeed: number,
  n: number,
  env: CpufreqEnvConfig,
  processors: readonly Processor[],
  traces: string | null = null,
): CpufreqPair[] {
  const rng = new Rng(`cpufreq/pairs/${runSeed}`);
  const apps = generateApplications(`cpufreq/${runSeed}`, n);
  const offset = rng.fork("processors").int(0, processors.length);
  const trng = rng.fork("traces");
  const entries = traces ? listTraces(traces) : [];
  if (traces && entries.length === 0) throw new TraceError(traces, "(folder)", "at least one trace file (traces/README.md)", "none");
  const order = trng.fork("order").shuffle(entries.map((_, i) => i));
  return apps.map((app, i) => {
    const processor = processors[(i + offset) % processors.length].name;
    const r = trng.fork(`pair-${i}`);
    let trace: CpufreqTraceSpec;
    if (!traces) {
      trace = {
        source: "synthetic",
        seed: `cpufreq/${runSeed}/trace-${i}`,
        seconds: env.traceSeconds,
        noiseStd: round3(r.uniform(...SYNTHETIC_LOAD.noiseStd)),
        burstsPerHour: round3(r.uniform(...SYNTHETIC_LOAD.burstsPerHour)),
      };
    } else {
      const entry = entries[order[i % entries.length]];
      const dur = durationSeconds(loadTraceFile(entry.file));
      if (dur < env.maxEpisodeSteps + 1)
        throw new TraceError(entry.file, "duration", `at least one episode plus its warm-up second, ${env.maxEpisodeSteps + 1} s`, `${dur} s`);
      const seconds = Math.min(env.traceSeconds, dur);
      const offsetSeconds = Math.floor(r.uniform(0, dur - seconds + 1 - 1e-9));
      trace = { source: "file", file: entry.file, offsetSeconds: Math.min(offsetSeconds, dur - seconds), seconds };
    }
    return { id: `${app.name}@${processor}`, app, processor, trace };
  });
}

/** The update pairs (module comment): the first `n` of the 7 application scenarios, then every test pair on the next processor. */
export function cpufreqUpdatePairs(test: readonly CpufreqPair[], n: number, processors: readonly string[], processorChanges: boolean): CpufreqUpdatePair[] {
  const { updates } = appUpdatesFor(
    test.map((p) => p.app),
    n,
  );
  const out: CpufreqUpdatePair[] = updates.map(({ index, scenario, app }) => {
    const src = test[index];
    return { id: `${app.name}@${src.processor}`, app, processor: src.processor, trace: { ...src.trace }, from: src.id, scenario };
  });
  if (processorChanges && processors.length > 1) {
    for (const src of test) {
      const next = processors[(processors.indexOf(src.processor) + 1) % processors.length];
      out.push({ id: `${src.app.name}@${next}`, app: src.app, processor: next, trace: { ...src.trace }, from: src.id, scenario: PROCESSOR_SCENARIO });
    }
  }
  return out;
}
