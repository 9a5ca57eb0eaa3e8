/**
 * Errors raised by the Kubernetes simulator. sim/ may not import flash/errors.ts (it
 * knows nothing of the ML side), so its errors extend the project root in ../../errors.ts
 * (a leaf with no imports): every message names the file (or "<object>" for in-memory
 * input), the field, what was expected and what was given.
 */
import { ConfigError, DataError } from "../../errors.js";

/** An application file or in-memory object that breaks the schema. */
export class SchemaError extends DataError {
  constructor(
    readonly file: string,
    readonly field: string,
    expected: string,
    given: unknown,
  ) {
    super(`${file}: field "${field}": expected ${expected}, got ${describe(given)}`, "schema");
  }
}

/** A resource request or simulator option outside its valid range. */
export class SimConfigError extends ConfigError {
  constructor(
    readonly field: string,
    expected: string,
    given: unknown,
  ) {
    super(`k8s simulator: ${field}: expected ${expected}, got ${describe(given)}`, "sim-config");
  }
}

/** A short, readable rendering of a bad value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing (field missing)";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return `an ${typeof v}`;
}
