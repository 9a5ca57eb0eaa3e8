/**
 * What arrives through Redis, checked before anyone acts on it. Anyone who can write to
 * the queue can add a job, so a worker checks the whole payload (types, sizes, ids, the
 * executor's name, the unit key against the unit's content, the job id against both)
 * before it fetches a blob, creates a directory or starts a thread; a job that fails the
 * check is refused (QueueJobError) and nothing of it runs. The coordinator checks a
 * finished job's result and progress the same way before writing a record.
 */
import { EXECUTOR_NAMES, isExecutorName } from "../executors.js";
import { isUnitId, unitKeyOf } from "../units.js";
import { clip, QueueJobError, QueueResultError } from "./errors.js";
import { jobIdOf, type UnitJob, type UnitJobProgress, type UnitJobResult } from "./protocol.js";

/** Run ids and unit keys: hashOf's 16 hex digits (they name Redis keys and scratch directories). */
const HEX16 = /^[0-9a-f]{16}$/;
const MAX_ID_CHARS = 512;
const MAX_KIND_CHARS = 100;
const MAX_VERSION_CHARS = 200;
const MAX_HOST_CHARS = 300;
const MAX_DEPS = 10_000;
const DEFAULT_JOB_MB = 64;
const JOB_FIELDS = ["runId", "version", "executor", "unit", "deps", "depKeys"];
const UNIT_FIELDS = ["id", "kind", "deps", "input", "cost", "seed", "key"];

/** The largest job payload (JSON) a worker acts on: $FLASH_QUEUE_JOB_MB, default 64 MiB (dependencies' results included). */
export function jobLimitBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.FLASH_QUEUE_JOB_MB ?? DEFAULT_JOB_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_JOB_MB) * 2 ** 20;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const kindOf = (v: unknown): string =>
  v === null ? "null" : v === undefined ? "missing" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `a ${typeof v}`;
const shown = (v: unknown): string => (typeof v === "string" ? JSON.stringify(clip(v, 80)) : kindOf(v));
// eslint-disable-next-line no-control-regex
const printable = (s: string): boolean => !/[\u0000-\u001f\u007f]/.test(s);

/** Fields of `o` not in `known`, or undefined. */
function unexpected(o: Record<string, unknown>, known: readonly string[], where: string): string | undefined {
  const extra = Object.keys(o).filter((k) => !known.includes(k));
  return extra.length
    ? `${where} has unexpected field(s) ${extra
        .slice(0, 5)
        .map((k) => JSON.stringify(clip(k, 40)))
        .join(", ")}`
    : undefined;
}

/** Why `given` does not name an executor: a URL, a path, or a name not in the registry. */
function executorProblem(given: unknown): string {
  const names = `the harness's executors (${EXECUTOR_NAMES.join(", ")})`;
  if (typeof given !== "string") return `executor is ${kindOf(given)}, expected the name of one of ${names}`;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(given)?.[1];
  const what = scheme ? `a ${scheme}: URL` : /[/\\]/.test(given) || given.startsWith(".") ? "a path" : "an unknown name";
  return `executor ${shown(given)} is ${what}; a job names one of ${names} and cannot locate code`;
}

/** Why `keys` is not exactly the set `deps`, or undefined. */
function sameKeys(o: Record<string, unknown>, deps: readonly string[], where: string): string | undefined {
  const keys = Object.keys(o);
  const missing = deps.filter((d) => !Object.hasOwn(o, d));
  const extra = keys.filter((k) => !deps.includes(k));
  if (missing.length) return `${where} lacks dependency ${shown(missing[0])}`;
  if (extra.length) return `${where} names ${shown(extra[0])}, which is not a dependency of the unit`;
  return undefined;
}

function unitProblem(u: unknown, executor: string): string | undefined {
  if (!isRecord(u)) return `unit is ${kindOf(u)}, expected an object`;
  const extra = unexpected(u, UNIT_FIELDS, "unit");
  if (extra) return extra;
  if (!isUnitId(u.id) || u.id.length > MAX_ID_CHARS || !printable(u.id))
    return `unit id ${shown(u.id)}: expected a relative name of at most ${MAX_ID_CHARS} printable characters, without ".."`;
  if (typeof u.kind !== "string" || u.kind.length === 0 || u.kind.length > MAX_KIND_CHARS) return `unit kind ${shown(u.kind)}: expected a short name`;
  if (!Array.isArray(u.deps) || u.deps.length > MAX_DEPS) return `unit deps: expected an array of at most ${MAX_DEPS} unit ids, got ${kindOf(u.deps)}`;
  const bad = u.deps.find((d) => !isUnitId(d) || d.length > MAX_ID_CHARS || !printable(d) || d === u.id);
  if (bad !== undefined) return `unit dependency ${shown(bad)}: expected the id of another unit`;
  if (new Set(u.deps).size !== u.deps.length) return "unit deps name a unit twice";
  if (!("input" in u)) return "unit has no input";
  if (typeof u.cost !== "number" || !Number.isFinite(u.cost) || u.cost < 0) return `unit cost ${shown(u.cost)}: expected a finite number >= 0`;
  if (!Number.isInteger(u.seed) || (u.seed as number) < 0 || (u.seed as number) > 0x7fffffff) return `unit seed ${shown(u.seed)}: expected a 31-bit integer`;
  if (typeof u.key !== "string" || !HEX16.test(u.key)) return `unit key ${shown(u.key)}: expected 16 hex digits`;
  const key = unitKeyOf(executor, u as unknown as Parameters<typeof unitKeyOf>[1]);
  if (key !== u.key) return `unit key ${u.key} does not match the unit's executor, kind, input, seed and deps (${key})`;
  return undefined;
}

/** Why `data` is not a job this worker may act on (job id `jobId`), or undefined. */
export function unitJobProblem(jobId: string, data: unknown, limitBytes = jobLimitBytes()): string | undefined {
  if (!isRecord(data)) return `the payload is ${kindOf(data)}, expected an object`;
  const bytes = Buffer.byteLength(JSON.stringify(data));
  if (bytes > limitBytes)
    return `the payload is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the ${(limitBytes / 2 ** 20).toFixed(1)} MiB a job may carry (FLASH_QUEUE_JOB_MB)`;
  const extra = unexpected(data, JOB_FIELDS, "the payload");
  if (extra) return extra;
  if (!isExecutorName(data.executor)) return executorProblem(data.executor);
  if (typeof data.runId !== "string" || !HEX16.test(data.runId)) return `run id ${shown(data.runId)}: expected 16 hex digits`;
  if (typeof data.version !== "string" || !data.version || data.version.length > MAX_VERSION_CHARS || !printable(data.version))
    return `version ${shown(data.version)}: expected a code version such as git:0123456789ab`;
  const unitWhy = unitProblem(data.unit, data.executor);
  if (unitWhy) return unitWhy;
  const unit = data.unit as UnitJob["unit"];
  if (!isRecord(data.deps)) return `deps is ${kindOf(data.deps)}, expected the dependencies' results by id`;
  if (!isRecord(data.depKeys)) return `depKeys is ${kindOf(data.depKeys)}, expected the dependencies' unit keys by id`;
  const depsWhy = sameKeys(data.deps, unit.deps, "deps") ?? sameKeys(data.depKeys, unit.deps, "depKeys");
  if (depsWhy) return depsWhy;
  const badKey = Object.values(data.depKeys).find((k) => typeof k !== "string" || !HEX16.test(k));
  if (badKey !== undefined) return `dependency key ${shown(badKey)}: expected 16 hex digits`;
  if (jobId !== jobIdOf(data.runId, unit.key)) return `job id ${shown(jobId)} is not the run id and unit key (${jobIdOf(data.runId, unit.key)})`;
  return undefined;
}

/** `data` as a job, or a QueueJobError naming job `jobId`, the worker `host` and the reason. */
export function checkUnitJob(jobId: string, data: unknown, host: string): UnitJob {
  const why = unitJobProblem(jobId, data);
  if (why) throw new QueueJobError(jobId, why, host);
  return data as UnitJob;
}

function resultProblem(r: unknown): string | undefined {
  if (!isRecord(r)) return `the result is ${kindOf(r)}`;
  if (!("result" in r)) return "it has no result";
  if (typeof r.host !== "string" || r.host.length > MAX_HOST_CHARS || !printable(r.host)) return `host ${shown(r.host)}`;
  if (!Number.isInteger(r.slot) || (r.slot as number) < 0) return `slot ${shown(r.slot)}`;
  if (typeof r.seconds !== "number" || !Number.isFinite(r.seconds) || r.seconds < 0) return `seconds ${shown(r.seconds)}`;
  if (!Number.isInteger(r.blobBytes) || (r.blobBytes as number) < 0) return `blobBytes ${shown(r.blobBytes)}`;
  return undefined;
}

/** `r` as a job's result, or a QueueResultError naming unit `unitId`. */
export function checkJobResult(unitId: string, r: unknown): UnitJobResult {
  const why = resultProblem(r);
  if (why) throw new QueueResultError(unitId, why);
  return r as UnitJobResult;
}

/** Whether `p` is a worker's progress report (anything else is ignored: progress is advisory). */
export function isJobProgress(p: unknown): p is UnitJobProgress {
  return (
    isRecord(p) &&
    typeof p.fraction === "number" &&
    Number.isFinite(p.fraction) &&
    typeof p.message === "string" &&
    p.message.length <= 1000 &&
    printable(p.message) &&
    typeof p.host === "string" &&
    p.host.length <= MAX_HOST_CHARS &&
    printable(p.host) &&
    Number.isInteger(p.slot)
  );
}
