/**
 * The application schema: a JSON file users write to bring their own applications.
 *
 *     {
 *       "schema": "flash-adapt/k8s-app@1",
 *       "name": "thumbnailer",                 // non-empty, [A-Za-z0-9._-]
 *       "segments": [                          // 1..16 entries, run in order per request
 *         { "kind": "objectStorageRead", "size": 2048 },
 *         { "kind": "imageResize", "size": 1600 }
 *       ],
 *       "runtimeMemoryMB": 128,                // language runtime + code, resident always
 *       "sloMs": 400,                          // p99 latency objective
 *       "load": 1.0                            // relative load level (scales the trace)
 *     }
 *
 * `size` is in the unit of the segment's dimension (see segments.ts and README.md) and
 * must lie in the segment's documented range. Unknown fields are refused: a typo
 * ("sloMS") would otherwise silently fall back to nothing.
 */
import { writeFileSync } from "node:fs";
import { SchemaError } from "./errors.js";
import { readJsonFile } from "../json-file.js";
import { SEGMENT_KINDS, SEGMENTS, isSegmentKind, type SegmentKind } from "./segments.js";

export const APP_SCHEMA = "flash-adapt/k8s-app@1";

export interface AppSegment {
  kind: SegmentKind;
  size: number;
}

export interface Application {
  schema: typeof APP_SCHEMA;
  name: string;
  segments: AppSegment[];
  runtimeMemoryMB: number;
  sloMs: number;
  load: number;
}

const TOP_FIELDS = ["schema", "name", "segments", "runtimeMemoryMB", "sloMs", "load"];
const SEG_FIELDS = ["kind", "size"];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function positive(file: string, field: string, v: unknown, max = Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > max) {
    throw new SchemaError(file, field, `a finite number > 0${max < Infinity ? ` and <= ${max}` : ""}`, v);
  }
  return v;
}

/**
 * Checks `v` against the schema and returns a clean copy. `file` names the source in
 * errors ("<object>" for in-memory input).
 */
export function validateApplication(v: unknown, file = "<object>"): Application {
  if (!isRecord(v)) throw new SchemaError(file, "(root)", "a JSON object", v);
  for (const k of Object.keys(v)) {
    if (!TOP_FIELDS.includes(k)) throw new SchemaError(file, k, `one of the fields ${TOP_FIELDS.join(", ")}`, `unknown field "${k}"`);
  }
  if (v.schema !== APP_SCHEMA) throw new SchemaError(file, "schema", JSON.stringify(APP_SCHEMA), v.schema);
  if (typeof v.name !== "string" || !/^[A-Za-z0-9._+-]{1,128}$/.test(v.name)) {
    throw new SchemaError(file, "name", "1-128 characters from [A-Za-z0-9._+-]", v.name);
  }
  if (!Array.isArray(v.segments) || v.segments.length < 1 || v.segments.length > 16) {
    throw new SchemaError(file, "segments", "an array of 1 to 16 segments", v.segments);
  }
  const segments: AppSegment[] = v.segments.map((s: unknown, i: number) => {
    const f = `segments[${i}]`;
    if (!isRecord(s)) throw new SchemaError(file, f, "an object {kind, size}", s);
    for (const k of Object.keys(s)) {
      if (!SEG_FIELDS.includes(k)) throw new SchemaError(file, `${f}.${k}`, "only the fields kind, size", `unknown field "${k}"`);
    }
    if (!isSegmentKind(s.kind)) throw new SchemaError(file, `${f}.kind`, `one of ${SEGMENT_KINDS.join(", ")}`, s.kind);
    const p = SEGMENTS[s.kind];
    const size = s.size;
    if (typeof size !== "number" || !Number.isFinite(size) || size < p.minSize || size > p.maxSize) {
      throw new SchemaError(file, `${f}.size`, `a number in [${p.minSize}, ${p.maxSize}] (${p.dimension} of ${s.kind})`, size);
    }
    return { kind: s.kind, size };
  });
  return {
    schema: APP_SCHEMA,
    name: v.name,
    segments,
    // 16 GB is a whole node: a runtime larger than that can never be scheduled.
    runtimeMemoryMB: positive(file, "runtimeMemoryMB", v.runtimeMemoryMB, 16384),
    sloMs: positive(file, "sloMs", v.sloMs),
    load: positive(file, "load", v.load, 1000),
  };
}

/** Reads and validates one application file. */
export function loadApplication(file: string): Application {
  const parsed = readJsonFile(file, (field, expected, given) => new SchemaError(file, field, expected, given));
  return validateApplication(parsed, file);
}

/** Writes an application as pretty JSON (validating it first). */
export function saveApplication(file: string, app: Application): void {
  const clean = validateApplication(app, file);
  writeFileSync(file, JSON.stringify(clean, null, 2) + "\n");
}
