/**
 * The autoscaling task's config and pairs: which (application, load trace) pairs a run
 * uses, how they are written in its JSON config, and how a pair becomes an environment.
 *
 * A pair is one application (sim/k8s schema) driven by one load window:
 *
 *   - Applications: by default drawn from the seeded generator of sim/k8s
 *     (`generateApplications("autoscaling/<runSeed>", pool + test)`); with an `apps`
 *     folder, the user's `*.json` application files (sim/k8s/README.md schema), in a
 *     seeded order, reused round-robin when the folder holds fewer applications than
 *     pairs (each pair still has its own trace, so its own id).
 *   - Traces, default (no folder): every pair gets its own synthetic load trace
 *     (traces/synthetic.ts) of `env.traceSeconds` (3 h in the profiles), seeded by the run
 *     seed and the pair's index, with diurnal amplitude, log-noise std and burst rate
 *     drawn uniformly over the range the generator was calibrated on (NASA-like to
 *     Twitter-like: A 0.27-0.55, noise 0.25-0.35, 0.3-0.8 bursts/h) and a random diurnal
 *     phase, so pairs see different parts of the day (rising, peak, falling) and
 *     different burstiness. Stored as its generator parameters; regenerated exactly.
 *   - Traces from a folder (`traces`: data/load-traces, quick's default, or the user's
 *     `t,rate` CSV files, traces/README.md): the folder's traces in a seeded order,
 *     assigned round-robin to pairs; each pair reads a window of `env.traceSeconds` at a
 *     seeded offset (a multiple of 60 s) of its trace, or the whole trace when the trace
 *     is shorter (Azure Functions 2019 and Azure LLM are one hour long). A trace shorter
 *     than one episode plus its warm-up interval is refused, naming the file. Stored as
 *     {file, offsetSeconds, seconds}; loaded once per process.
 *   - Pair ids are `<app name>@<trace key>`, the environment's own `pair` name
 *     (`syn<i>` for synthetic traces, `<trace name>.w<i>` for windows of a file), unique
 *     within a run. Test pairs are drawn first (indices 0..test-1), so sweeping the pool
 *     size keeps the same new pairs.
 *
 * Within a pair, each episode reads its own window of the pair's trace at a seeded
 * offset (envs/autoscaling/env.ts "Load"); evaluation episode i always uses
 * `reset(EVAL_SEED + i)`, so every variant is evaluated on the same windows.
 */
import path from "node:path";
import { AutoscalingEnv } from "../../envs/autoscaling/env.js";
import { Rng } from "../../flash/rng.js";
import { validateApplication, type Application } from "../../sim/k8s/app.js";
import { compileApplication, serviceSeconds } from "../../sim/k8s/profile.js";
import { generateApplications, loadApplications } from "../../sim/k8s/generate.js";
import { appUpdatesFor, SCENARIOS, type Scenario } from "../../sim/k8s/scenarios.js";
import { TraceError } from "../../traces/errors.js";
import { listTraces } from "../../traces/real.js";
import { syntheticTrace } from "../../traces/synthetic.js";
import { durationSeconds, traceStats, validateTrace, type Trace } from "../../traces/trace.js";
import { distinctPairIds, netArch, num, obj, pos, str, validateBudgets, validateFlashSettings } from "./config-checks.js";
import type { FlashSettings } from "./rl-flash-kit.js";
import type { RlBudgets } from "./types.js";
import { ConfigError, DataError, InternalError } from "../../errors.js";

export type TraceSpec =
  | { source: "synthetic"; seed: string; seconds: number; diurnalAmplitude: number; noiseStd: number; burstsPerHour: number }
  | { source: "file"; file: string; offsetSeconds: number; seconds: number };

export interface AutoscalingPair {
  id: string;
  app: Application;
  /** The trace key: the environment names the pair `<app.name>@<traceKey>`. */
  traceKey: string;
  trace: TraceSpec;
}

/**
 * A new pair after an application update (the paper's Appendix A.3 experiment): the
 * application of test pair `from` changed by `scenario` x `factor`, on the same trace.
 */
export interface AutoscalingUpdatePair extends AutoscalingPair {
  from: string;
  scenario: Scenario;
  factor: number;
}

export interface AutoscalingEnvConfig {
  intervalSeconds: number;
  maxEpisodeSteps: number;
  alpha: number;
  loadFraction: number;
  maxReplicas: number;
  /** Length of each pair's trace (synthetic) or trace window (file). */
  traceSeconds: number;
}

export interface AutoscalingAgentConfig {
  /** Hidden sizes of actor and critic (FIRM does not state them). */
  netArch: number[];
  batchSize: number;
  actorLearningRate: number;
  criticLearningRate: number;
  gamma: number;
  noiseSigma: number;
  tau: number;
  /** Uniform-random steps before learning (reference/scratch runs only). */
  learningStarts: number;
  bufferSize: number;
}

export type AutoscalingFlashConfig = FlashSettings;

export interface AutoscalingConfig {
  task: "autoscaling";
  /** The folder the pairs' file traces were chosen from; null: synthetic traces. */
  traces: string | null;
  /** The folder the applications were read from; null: the seeded generator. */
  apps: string | null;
  env: AutoscalingEnvConfig;
  poolPairs: AutoscalingPair[];
  testPairs: AutoscalingPair[];
  /** The application-update experiment's pairs (`updatePairsFor`); empty: none. */
  updatePairs: AutoscalingUpdatePair[];
  agent: AutoscalingAgentConfig;
  flash: AutoscalingFlashConfig;
  budgets: RlBudgets;
}

// ---------------------------------------------------------------- validation

const KEY_RE = /^[A-Za-z0-9._+-]{1,128}$/;

function validateTraceSpec(v: unknown, where: string): TraceSpec {
  const src = (v as { source?: unknown } | null)?.source;
  if (src === "synthetic") {
    const o = obj(v, where, ["source", "seed", "seconds", "diurnalAmplitude", "noiseStd", "burstsPerHour"]);
    return {
      source: "synthetic",
      seed: str(o, "seed", where),
      seconds: pos(o, "seconds", where),
      diurnalAmplitude: num(o, "diurnalAmplitude", where, 0, false, 0.999),
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

function pairList(v: unknown, where: string): AutoscalingPair[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError(`${where}: expected a non-empty array of {id, app, traceKey, trace}`);
  return v.map((p, i) => {
    const w = `${where}[${i}]`;
    const o = obj(p, w, ["id", "app", "traceKey", "trace"]);
    const app = validateApplication(o.app, `${w}.app`);
    const traceKey = str(o, "traceKey", w);
    if (!KEY_RE.test(traceKey)) throw new ConfigError(`${w}.traceKey: expected 1-128 characters from [A-Za-z0-9._+-], got ${JSON.stringify(traceKey)}`);
    const id = str(o, "id", w);
    if (id !== `${app.name}@${traceKey}`)
      throw new ConfigError(`${w}.id: expected "${app.name}@${traceKey}" (<app.name>@<traceKey>, the environment's pair name), got ${JSON.stringify(id)}`);
    return { id, app, traceKey, trace: validateTraceSpec(o.trace, `${w}.trace`) };
  });
}

function updateList(v: unknown, where: string, test: readonly AutoscalingPair[]): AutoscalingUpdatePair[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigError(`${where}: expected an array of {id, app, traceKey, trace, from, scenario, factor}`);
  return v.map((p, i) => {
    const w = `${where}[${i}]`;
    const o = obj(p, w, ["id", "app", "traceKey", "trace", "from", "scenario", "factor"]);
    const [base] = pairList([{ id: o.id, app: o.app, traceKey: o.traceKey, trace: o.trace }], where);
    const from = str(o, "from", w);
    const src = test.find((x) => x.id === from);
    if (!src) throw new ConfigError(`${w}.from: expected the id of a test pair, got ${JSON.stringify(from)}`);
    const scenario = str(o, "scenario", w);
    if (!(SCENARIOS as readonly string[]).includes(scenario))
      throw new ConfigError(`${w}.scenario: expected one of ${SCENARIOS.join(", ")}, got ${JSON.stringify(scenario)}`);
    if (base.traceKey !== src.traceKey)
      throw new ConfigError(`${w}.traceKey: expected the trace of its test pair "${from}" (${src.traceKey}), got ${JSON.stringify(base.traceKey)}`);
    return { ...base, from, scenario: scenario as Scenario, factor: pos(o, "factor", w) };
  });
}

const ENV_KEYS = ["intervalSeconds", "maxEpisodeSteps", "alpha", "loadFraction", "maxReplicas", "traceSeconds"] as const;
const AGENT_KEYS = ["netArch", "batchSize", "actorLearningRate", "criticLearningRate", "gamma", "noiseSigma", "tau", "learningStarts", "bufferSize"] as const;

/** Checks a config read from a file; every error names the field (`where.field`). */
export function validateAutoscalingConfig(raw: unknown, where: string): AutoscalingConfig {
  const o = obj(raw, where, ["task", "traces", "apps", "env", "poolPairs", "testPairs", "updatePairs", "agent", "flash", "budgets"], ["updatePairs"]);
  if (o.task !== "autoscaling") throw new ConfigError(`${where}.task: expected "autoscaling", got ${JSON.stringify(o.task)}`);
  for (const k of ["traces", "apps"] as const)
    if (o[k] !== null && (typeof o[k] !== "string" || o[k] === ""))
      throw new ConfigError(`${where}.${k}: expected a folder path or null, got ${JSON.stringify(o[k])}`);
  const e = obj(o.env, `${where}.env`, ENV_KEYS);
  const env: AutoscalingEnvConfig = {
    intervalSeconds: pos(e, "intervalSeconds", `${where}.env`),
    maxEpisodeSteps: num(e, "maxEpisodeSteps", `${where}.env`, 1),
    alpha: num(e, "alpha", `${where}.env`, 0, false, 1),
    loadFraction: pos(e, "loadFraction", `${where}.env`),
    maxReplicas: num(e, "maxReplicas", `${where}.env`, 1),
    traceSeconds: pos(e, "traceSeconds", `${where}.env`),
  };
  const need = episodeSeconds(env);
  if (env.traceSeconds < need)
    throw new ConfigError(`${where}.env.traceSeconds: expected at least one episode plus its warm-up interval, ${need} s, got ${env.traceSeconds}`);
  const poolPairs = pairList(o.poolPairs, `${where}.poolPairs`);
  const testPairs = pairList(o.testPairs, `${where}.testPairs`);
  distinctPairIds([...poolPairs, ...testPairs], where);
  const updatePairs = updateList(o.updatePairs, `${where}.updatePairs`, testPairs);
  distinctPairIds([...poolPairs, ...testPairs, ...updatePairs], where);
  const a = obj(o.agent, `${where}.agent`, AGENT_KEYS);
  const aw = `${where}.agent`;
  const agent: AutoscalingAgentConfig = {
    netArch: netArch(a, aw),
    batchSize: num(a, "batchSize", aw, 1),
    actorLearningRate: pos(a, "actorLearningRate", aw),
    criticLearningRate: pos(a, "criticLearningRate", aw),
    gamma: num(a, "gamma", aw, 0, false, 1),
    noiseSigma: num(a, "noiseSigma", aw, 0, false),
    tau: num(a, "tau", aw, 0, false, 1),
    learningStarts: num(a, "learningStarts", aw, 0),
    bufferSize: num(a, "bufferSize", aw, 1),
  };
  const flash = validateFlashSettings(o.flash, `${where}.flash`);
  const budgets = validateBudgets(o.budgets, `${where}.budgets`);
  return {
    task: "autoscaling",
    traces: (o.traces as string | null) ?? null,
    apps: (o.apps as string | null) ?? null,
    env,
    poolPairs,
    testPairs,
    updatePairs,
    agent,
    flash,
    budgets,
  };
}

// ---------------------------------------------------------------- pairs

/** Seconds of trace one episode reads: its steps plus the warm-up interval. */
export function episodeSeconds(env: Pick<AutoscalingEnvConfig, "intervalSeconds" | "maxEpisodeSteps">): number {
  return (env.maxEpisodeSteps + 1) * env.intervalSeconds;
}

/** Where a profile's pairs come from. */
export interface PairSources {
  /** A folder of real traces or `t,rate` CSV files (traces/README.md); default synthetic. */
  traces?: string | null;
  /** A folder of application JSON files (sim/k8s/README.md); default the generator. */
  apps?: string | null;
}

const traceCache = new Map<string, Trace>();

/** A whole trace file, loaded once per process (the .tbz2 archives take about a second). */
export function loadTraceFile(file: string): Trace {
  const hit = traceCache.get(file);
  if (hit) return hit;
  const entry = listTraces(path.dirname(file)).find((e) => path.resolve(e.file) === path.resolve(file));
  if (!entry)
    throw new TraceError(
      file,
      "(file)",
      "a trace file traces/real.ts recognises (known real-trace names, *.tbz2, or a CSV with header t,rate)",
      "an unrecognised or missing file",
    );
  const tr = validateTrace(entry.load(), file);
  traceCache.set(file, tr);
  return tr;
}

/** The trace a pair's environment reads, named by its trace key. */
export function pairTrace(p: AutoscalingPair, env: AutoscalingEnvConfig): Trace {
  const s = p.trace;
  let tr: Trace;
  let file: string;
  if (s.source === "synthetic") {
    file = `<synthetic ${s.seed}>`;
    tr = syntheticTrace({
      seed: s.seed,
      seconds: s.seconds,
      diurnalAmplitude: s.diurnalAmplitude,
      noiseStd: s.noiseStd,
      burstsPerHour: s.burstsPerHour,
      name: p.traceKey,
    });
  } else {
    file = s.file;
    const whole = loadTraceFile(s.file);
    const i0 = Math.floor(s.offsetSeconds / whole.stepSeconds + 1e-9);
    const n = Math.ceil(s.seconds / whole.stepSeconds - 1e-9);
    if (i0 >= whole.rates.length) throw new TraceError(s.file, "offsetSeconds", `an offset inside the trace (< ${durationSeconds(whole)} s)`, s.offsetSeconds);
    tr = { name: p.traceKey, stepSeconds: whole.stepSeconds, rates: whole.rates.subarray(i0, i0 + n) };
  }
  const need = episodeSeconds(env);
  if (durationSeconds(tr) < need) {
    throw new TraceError(
      file,
      "duration",
      `at least one episode plus its warm-up interval, ${need} s (${env.maxEpisodeSteps} steps + 1 of ${env.intervalSeconds} s) from offset ` +
        `${s.source === "file" ? s.offsetSeconds : 0}`,
      `${durationSeconds(tr)} s`,
    );
  }
  return tr;
}

/** The pair's environment (K8sAutoscaling-v0); its `pair` is the pair id. */
export function makePairEnv(env: AutoscalingEnvConfig, p: AutoscalingPair, seed: number): AutoscalingEnv {
  const e = new AutoscalingEnv({
    app: p.app,
    trace: pairTrace(p, env),
    seed,
    intervalSeconds: env.intervalSeconds,
    maxEpisodeSteps: env.maxEpisodeSteps,
    alpha: env.alpha,
    loadFraction: env.loadFraction,
    maxReplicas: env.maxReplicas,
  });
  if (e.pair !== p.id) throw new InternalError(`autoscaling: pair "${p.id}" builds an environment named "${e.pair}"`);
  return e;
}

function sanitise(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._+-]+/g, "-").replace(/^-+|-+$/g, "");
  return s.length ? s.slice(0, 100) : "trace";
}

/**
 * `n` pairs for a run seed (test pairs are the first ones by convention of the caller).
 * See the module comment for how applications and traces are chosen.
 */
export function drawPairs(runSeed: number, n: number, env: AutoscalingEnvConfig, src: PairSources = {}): AutoscalingPair[] {
  const rng = new Rng(`autoscaling/pairs/${runSeed}`);
  let apps: Application[];
  if (src.apps) {
    const all = loadApplications(src.apps);
    if (all.length === 0) throw new DataError(`${src.apps}: apps folder: expected at least one application *.json file, found none`);
    const names = new Set<string>();
    for (const a of all) {
      if (names.has(a.name)) throw new DataError(`${src.apps}: two application files share the name "${a.name}" (field "name" must be unique)`);
      names.add(a.name);
    }
    const order = rng.fork("apps").shuffle(all.map((_, i) => i));
    apps = Array.from({ length: n }, (_, i) => all[order[i % all.length]]);
  } else {
    apps = generateApplications(`autoscaling/${runSeed}`, n);
  }
  const trng = rng.fork("traces");
  if (!src.traces) {
    return apps.map((app, i) => {
      const r = trng.fork(`pair-${i}`);
      const traceKey = `syn${i}`;
      const trace: TraceSpec = {
        source: "synthetic",
        seed: `autoscaling/${runSeed}/trace-${i}`,
        seconds: env.traceSeconds,
        diurnalAmplitude: round3(r.uniform(0.27, 0.55)),
        noiseStd: round3(r.uniform(0.25, 0.35)),
        burstsPerHour: round3(r.uniform(0.3, 0.8)),
      };
      return { id: `${app.name}@${traceKey}`, app, traceKey, trace };
    });
  }
  const entries = listTraces(src.traces);
  if (entries.length === 0) throw new TraceError(src.traces, "(folder)", "at least one trace file (traces/README.md)", "none");
  const order = trng.fork("order").shuffle(entries.map((_, i) => i));
  const need = episodeSeconds(env);
  return apps.map((app, i) => {
    const entry = entries[order[i % entries.length]];
    const whole = loadTraceFile(entry.file);
    const dur = durationSeconds(whole);
    if (dur < need)
      throw new TraceError(
        entry.file,
        "duration",
        `at least one episode plus its warm-up interval, ${need} s (${env.maxEpisodeSteps} steps + 1 of ${env.intervalSeconds} s)`,
        `${dur} s`,
      );
    const seconds = Math.min(env.traceSeconds, dur);
    const offsetSeconds = loadedWindowOffset(whole, seconds, (k) => trng.fork(k === 0 ? `pair-${i}` : `pair-${i}/redraw-${k}`), entry.file);
    const traceKey = `${sanitise(entry.name)}.w${i}`;
    return {
      id: `${app.name}@${traceKey}`,
      app,
      traceKey,
      trace: { source: "file", file: entry.file, offsetSeconds, seconds },
    };
  });
}

/** Redraws of a window before giving up on a trace: enough to step over an outage of most of it. */
const WINDOW_REDRAWS = 64;

/**
 * A window's offset (whole minutes) drawn uniformly over the trace, redrawn while the
 * window holds no load at all: a recorded trace can have a collection outage longer than
 * a window (NASA's 1995 log has no requests from 1 Aug 14:52 to 3 Aug 04:36, the hurricane
 * shutdown), and an all-zero window cannot be rescaled to an application's load. Draw 0
 * is the first draw of earlier versions, so every window that had load is the same as
 * before; the redraws come from their own forks. A window that is only partly in an
 * outage is kept (its idle stretch is part of the trace as recorded).
 */
function loadedWindowOffset(whole: Trace, seconds: number, draw: (k: number) => Rng, file: string): number {
  const dur = durationSeconds(whole);
  const slackMin = Math.floor((dur - seconds) / 60);
  const n = Math.ceil(seconds / whole.stepSeconds - 1e-9);
  for (let k = 0; k <= WINDOW_REDRAWS; k++) {
    const offset = Math.min(60 * Math.floor(draw(k).uniform(0, slackMin + 1 - 1e-9)), Math.max(0, dur - seconds));
    const i0 = Math.floor(offset / whole.stepSeconds + 1e-9);
    if (whole.rates.subarray(i0, i0 + n).some((r) => r > 0)) return offset;
  }
  throw new TraceError(file, "rates", `a ${seconds} s window with some load (${WINDOW_REDRAWS + 1} draws were all zeros)`, "all-zero windows");
}

/**
 * The application-update pairs of a run: the shared selection of sim/k8s/scenarios.ts
 * (`appUpdatesFor`: per scenario, the first test pair whose application it changes,
 * updated by `UPDATE_FACTORS`) on the test pairs' applications, each on its pair's trace.
 */
export function updatePairsFor(test: readonly AutoscalingPair[], n: number): { pairs: AutoscalingUpdatePair[]; skipped: Scenario[] } {
  const { updates, skipped } = appUpdatesFor(
    test.map((p) => p.app),
    n,
  );
  const pairs = updates.map(({ index, scenario, factor, app }): AutoscalingUpdatePair => {
    const src = test[index];
    return { id: `${app.name}@${src.traceKey}`, app, traceKey: src.traceKey, trace: { ...src.trace }, from: src.id, scenario, factor };
  });
  return { pairs, skipped };
}

function round3(x: number): number {
  return Number(x.toPrecision(3));
}

/**
 * The pair's true parameters for the oracle control and the embedding probe: the few
 * smooth numbers the best allocation depends on (docs/notes/autoscaling-room.md), not
 * the raw application. Application: log peak working set and log idle memory (the memory
 * limit), the CPU share of the one-core service time (how much a CPU limit buys), the
 * log speed-up from one to four cores (the segments' parallelism), the log SLO slack
 * over the one-core service time, the log load level (the replicas). Trace window: CV,
 * peak/mean, lag-1 autocorrelation, burst fraction (its mean is not a parameter: the
 * environment rescales every trace by its own mean).
 *
 * Why not the raw application: one log size per segment kind is 16 mostly-zero columns;
 * standardised over a 12-pair pool, a kind that one pool application has becomes a
 * spike of about 3 and a kind no pool application has is lost, so a new pair's oracle
 * input lay far outside what the agent was trained on.
 */
export function pairOracle(env: AutoscalingEnvConfig, p: AutoscalingPair): number[] {
  const prof = compileApplication(p.app);
  const s1 = serviceSeconds(prof, 1);
  const t = traceStats(pairTrace(p, env));
  return [
    Math.log(prof.peakMemoryMB),
    Math.log(prof.idleMemoryMB),
    prof.cpuSecondsPerRequest / s1,
    Math.log(s1 / serviceSeconds(prof, 4)),
    Math.log(prof.sloSeconds / s1),
    Math.log(p.app.load),
    t.cv,
    t.peakToMean,
    t.ac1,
    t.burstFraction,
  ];
}
