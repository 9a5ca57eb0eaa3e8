/**
 * Processor models: a JSON file per processor, so users can add their own. The three
 * built-in processors (processors/*.json, sources cited in each file) are such files.
 *
 *     {
 *       "schema": "flash-adapt/cpufreq-processor@2",
 *       "name": "xeon-e5-2683v3",          // [A-Za-z0-9._+-], the pair's processor id
 *       "model": "Intel Xeon E5-2683 v3",   // readable name
 *       "cores": 14,                        // cores of the server running the VM
 *       "minGHz": 1.2, "baseGHz": 2.0, "maxGHz": 3.0,   // min <= base <= max
 *       "allCoreTurboGHz": 2.5,             // base <= all-core turbo <= max
 *       "stepGHz": 0.1,                     // P-state spacing (100 MHz)
 *       "ipcRelative": 1.0,                 // compute instructions per cycle / Haswell-EP's
 *       "tdpW": 120,                        // thermal design power
 *       "idleFraction": 0.33,               // idle power / TDP
 *       "voltageAtMinV": 0.75, "voltageAtMaxV": 1.2,    // V(f) linear between them
 *       "memoryLatencyNs": 90,              // idle DRAM load-to-use latency
 *       "sources": ["..."]                  // where the numbers come from
 *     }
 *
 * Frequency levels are the P-states minGHz, minGHz + stepGHz, ..., maxGHz. Frequencies
 * above base count as overclocking (SmartOverclock's decision); maxGHz is the overclock
 * cap, the highest frequency the agent may set.
 *
 * Turbo: above base the hardware grants a requested frequency only within its turbo
 * limit, which falls with the number of busy cores: maxGHz with one busy core,
 * allCoreTurboGHz with all of them, linear in between (`turboLimitGHz`; Intel's turbo
 * bins are steps per active-core count, and the linear ramp is our assumption). At or
 * below base every P-state is granted (`effectiveGHz`).
 *
 * Power (the usual CMOS model): P(f, u) = P_static + cores * u * C * V(f)^2 * f, with u the
 * mean core utilisation and V linear in f. Calibrated per processor so that idle draws
 * `idleFraction` of TDP (P_static = idleFraction * TDP) and all cores busy at the
 * all-core turbo frequency draw TDP, the power the package sustains with typical
 * (non-AVX) server code: C = (1 - idleFraction) * TDP / (cores * V(t)^2 * t), t =
 * allCoreTurboGHz. So the turbo limit, not a separate power cap, keeps the package within
 * TDP: n busy cores at turboLimitGHz(n) draw at most TDP (tested).
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CpufreqConfigError, ProcessorFileError } from "./errors.js";
import { readJsonFile } from "../json-file.js";

export const PROCESSOR_SCHEMA = "flash-adapt/cpufreq-processor@2";
/** The fields schema @2 added to @1; an @1 file is refused with their names. */
const ADDED_IN_2 = ["allCoreTurboGHz", "ipcRelative"];

export interface ProcessorSpec {
  schema: typeof PROCESSOR_SCHEMA;
  name: string;
  model: string;
  cores: number;
  minGHz: number;
  baseGHz: number;
  maxGHz: number;
  /** The highest frequency every core holds at once (turbo with all cores busy). */
  allCoreTurboGHz: number;
  stepGHz: number;
  /** Compute instructions retired per cycle relative to Haswell-EP's (the same code; memory stalls aside). */
  ipcRelative: number;
  tdpW: number;
  idleFraction: number;
  voltageAtMinV: number;
  voltageAtMaxV: number;
  memoryLatencyNs: number;
  sources: string[];
}

/** A validated processor with its derived numbers. */
export interface Processor extends ProcessorSpec {
  /** The P-states in GHz, ascending, minGHz..maxGHz. */
  levels: Float64Array;
  staticPowerW: number;
  /** Effective switched capacitance per core, W / (V^2 GHz). */
  capacitance: number;
  /** turboLimitGHz for 0..cores busy cores (a lookup: the server asks every step). */
  turboLimits: Float64Array;
}

const FIELDS = [
  "schema",
  "name",
  "model",
  "cores",
  "minGHz",
  "baseGHz",
  "maxGHz",
  "allCoreTurboGHz",
  "stepGHz",
  "ipcRelative",
  "tdpW",
  "idleFraction",
  "voltageAtMinV",
  "voltageAtMaxV",
  "memoryLatencyNs",
  "sources",
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function positive(file: string, o: Record<string, unknown>, k: string, max = Infinity): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > max)
    throw new ProcessorFileError(file, k, `a finite number > 0${max < Infinity ? ` and <= ${max}` : ""}`, v);
  return v;
}

/** Checks `v` against the processor schema; `file` names the source in errors. */
export function validateProcessor(v: unknown, file = "<object>"): Processor {
  if (!isRecord(v)) throw new ProcessorFileError(file, "(root)", "a JSON object", v);
  for (const k of Object.keys(v))
    if (!FIELDS.includes(k)) throw new ProcessorFileError(file, k, `one of the fields ${FIELDS.join(", ")}`, `unknown field "${k}"`);
  if (v.schema === "flash-adapt/cpufreq-processor@1")
    throw new ProcessorFileError(
      file,
      "schema",
      `${JSON.stringify(PROCESSOR_SCHEMA)} (an @1 file lacks ${ADDED_IN_2.join(" and ")}: add them, sim/cpufreq/README.md)`,
      v.schema,
    );
  if (v.schema !== PROCESSOR_SCHEMA) throw new ProcessorFileError(file, "schema", JSON.stringify(PROCESSOR_SCHEMA), v.schema);
  if (typeof v.name !== "string" || !/^[A-Za-z0-9._+-]{1,64}$/.test(v.name))
    throw new ProcessorFileError(file, "name", "1-64 characters from [A-Za-z0-9._+-]", v.name);
  if (typeof v.model !== "string" || v.model.length === 0) throw new ProcessorFileError(file, "model", "a non-empty string", v.model);
  if (!Array.isArray(v.sources) || !v.sources.every((s) => typeof s === "string"))
    throw new ProcessorFileError(file, "sources", "an array of strings", v.sources);
  const cores = v.cores;
  if (typeof cores !== "number" || !Number.isInteger(cores) || cores < 1 || cores > 512)
    throw new ProcessorFileError(file, "cores", "an integer in [1, 512]", cores);
  const [minGHz, baseGHz, maxGHz, stepGHz] = (["minGHz", "baseGHz", "maxGHz", "stepGHz"] as const).map((k) => positive(file, v, k, 20));
  if (maxGHz < minGHz) throw new ProcessorFileError(file, "maxGHz", `a maximum frequency >= minGHz (${minGHz})`, maxGHz);
  if (baseGHz < minGHz || baseGHz > maxGHz)
    throw new ProcessorFileError(file, "baseGHz", `a base frequency in [minGHz, maxGHz] = [${minGHz}, ${maxGHz}]`, baseGHz);
  const span = (maxGHz - minGHz) / stepGHz;
  if (Math.abs(span - Math.round(span)) > 1e-6)
    throw new ProcessorFileError(file, "stepGHz", `a step that divides maxGHz - minGHz (${+(maxGHz - minGHz).toFixed(6)} GHz)`, stepGHz);
  const n = Math.round(span) + 1;
  if (n < 2) throw new ProcessorFileError(file, "maxGHz", "a range holding at least 2 frequency levels (maxGHz > minGHz)", maxGHz);
  const allCoreTurboGHz = positive(file, v, "allCoreTurboGHz", 20);
  if (allCoreTurboGHz < baseGHz || allCoreTurboGHz > maxGHz)
    throw new ProcessorFileError(file, "allCoreTurboGHz", `an all-core turbo frequency in [baseGHz, maxGHz] = [${baseGHz}, ${maxGHz}]`, allCoreTurboGHz);
  const ipcRelative = positive(file, v, "ipcRelative", 10);
  const tdpW = positive(file, v, "tdpW");
  const idleFraction = positive(file, v, "idleFraction", 0.99);
  const voltageAtMinV = positive(file, v, "voltageAtMinV", 3);
  const voltageAtMaxV = positive(file, v, "voltageAtMaxV", 3);
  if (voltageAtMaxV < voltageAtMinV) throw new ProcessorFileError(file, "voltageAtMaxV", `a voltage >= voltageAtMinV (${voltageAtMinV})`, voltageAtMaxV);
  const memoryLatencyNs = positive(file, v, "memoryLatencyNs", 10_000);
  const spec: ProcessorSpec = {
    schema: PROCESSOR_SCHEMA,
    name: v.name,
    model: v.model,
    cores,
    minGHz,
    baseGHz,
    maxGHz,
    allCoreTurboGHz,
    stepGHz,
    ipcRelative,
    tdpW,
    idleFraction,
    voltageAtMinV,
    voltageAtMaxV,
    memoryLatencyNs,
    sources: [...(v.sources as string[])],
  };
  const levels = Float64Array.from({ length: n }, (_, i) => Number((minGHz + i * stepGHz).toFixed(6)));
  levels[n - 1] = maxGHz;
  const vTurbo = voltageAt(spec, allCoreTurboGHz);
  return {
    ...spec,
    levels,
    staticPowerW: idleFraction * tdpW,
    capacitance: ((1 - idleFraction) * tdpW) / (cores * vTurbo * vTurbo * allCoreTurboGHz),
    turboLimits: Float64Array.from({ length: cores + 1 }, (_, n) => turboLimitOf(spec, n)),
  };
}

/** The file fields of a processor (what a config stores): the processor without its derived numbers. */
export function specOf(p: Processor): ProcessorSpec {
  const { levels: _levels, staticPowerW: _static, capacitance: _capacitance, turboLimits: _turbo, ...spec } = p;
  return { ...spec, sources: [...spec.sources] };
}

/** Core voltage at `ghz`: linear between (minGHz, voltageAtMinV) and (maxGHz, voltageAtMaxV). */
export function voltageAt(p: Pick<ProcessorSpec, "minGHz" | "maxGHz" | "voltageAtMinV" | "voltageAtMaxV">, ghz: number): number {
  const x = (ghz - p.minGHz) / (p.maxGHz - p.minGHz);
  return p.voltageAtMinV + x * (p.voltageAtMaxV - p.voltageAtMinV);
}

/** Dynamic power of one fully busy core at `ghz` (W). */
export function corePowerW(p: Processor, ghz: number): number {
  const v = voltageAt(p, ghz);
  return p.capacitance * v * v * ghz;
}

/** Package power with mean core utilisation `util` in [0, 1] at `ghz` (W). */
export function powerW(p: Processor, ghz: number, util: number): number {
  return p.staticPowerW + p.cores * util * corePowerW(p, ghz);
}

/**
 * The turbo limit with `busyCores` cores busy (module comment): maxGHz with one, allCoreTurboGHz
 * with all, linear in between, rounded down to a P-state; never below base.
 */
export function turboLimitGHz(p: Processor, busyCores: number): number {
  return p.turboLimits[Math.max(0, Math.min(p.cores, Math.round(busyCores)))];
}

function turboLimitOf(p: ProcessorSpec, busyCores: number): number {
  const n = Math.max(1, Math.min(p.cores, busyCores));
  const x = p.cores > 1 ? (n - 1) / (p.cores - 1) : 1;
  const lim = p.maxGHz - x * (p.maxGHz - p.allCoreTurboGHz);
  const step = Math.floor((lim - p.minGHz) / p.stepGHz + 1e-9);
  return Math.max(p.baseGHz, Math.min(p.maxGHz, Number((p.minGHz + step * p.stepGHz).toFixed(6))));
}

/** The frequency the hardware runs when `requestedGHz` is asked with `busyCores` busy: granted at or below base, else within the turbo limit. */
export function effectiveGHz(p: Processor, requestedGHz: number, busyCores: number): number {
  if (requestedGHz <= p.baseGHz + 1e-9) return requestedGHz;
  return Math.min(requestedGHz, turboLimitGHz(p, busyCores));
}

/** Throws a CpufreqConfigError unless `ghz` lies in the processor's range. */
export function checkFrequency(p: Processor, ghz: number, field = "frequency"): number {
  if (typeof ghz !== "number" || !Number.isFinite(ghz) || ghz < p.minGHz - 1e-9 || ghz > p.maxGHz + 1e-9) {
    throw new CpufreqConfigError(field, `a frequency in [${p.minGHz}, ${p.maxGHz}] GHz (${p.name})`, ghz);
  }
  return ghz;
}

/** The P-state nearest to `ghz` (which must lie in range). */
export function nearestLevel(p: Processor, ghz: number): number {
  checkFrequency(p, ghz);
  const i = Math.round((ghz - p.minGHz) / p.stepGHz);
  return p.levels[Math.max(0, Math.min(p.levels.length - 1, i))];
}

/** Reads and validates one processor file. */
export function loadProcessor(file: string): Processor {
  const parsed = readJsonFile(file, (field, expected, given) => new ProcessorFileError(file, field, expected, given));
  return validateProcessor(parsed, file);
}

/** The built-in processor files' folder (compiled code runs from dist/; the files live in the source tree). */
export function builtinProcessorDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const inDist = here.includes(`${path.sep}dist${path.sep}`);
  return inDist ? path.resolve(here, "..", "..", "..", "sim", "cpufreq", "processors") : path.join(here, "processors");
}

/** Every processor file of `dir` (default: the built-in three), by name; two files with one name are an error. */
export function loadProcessors(dir = builtinProcessorDir()): Map<string, Processor> {
  const out = new Map<string, Processor>();
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith(".json"))
    .sort()) {
    const p = loadProcessor(path.join(dir, f));
    if (out.has(p.name)) throw new ProcessorFileError(path.join(dir, f), "name", "a name no other processor file in the folder uses", p.name);
    out.set(p.name, p);
  }
  return out;
}

let builtins: Map<string, Processor> | undefined;

/** The built-in processors' names. */
export function builtinProcessorNames(): string[] {
  builtins ??= loadProcessors();
  return [...builtins.keys()];
}

/** A processor by name from `known` (default the built-in ones); an unknown name is a CpufreqConfigError. */
export function processorByName(name: string, known?: ReadonlyMap<string, Processor>): Processor {
  const all = known ?? (builtins ??= loadProcessors());
  const p = all.get(name);
  if (!p) throw new CpufreqConfigError("processor", `one of ${[...all.keys()].join(", ")}`, name);
  return p;
}
