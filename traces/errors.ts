/**
 * Errors for trace input. Each names the file (or "<trace name>" for in-memory traces),
 * the field or line, what was expected and what was given.
 */
import { DataError } from "../errors.js";

/** A given value in a message: strings quoted and cut to 60 characters. */
const shown = (given: unknown): string => (typeof given === "string" ? JSON.stringify(given.length > 60 ? given.slice(0, 57) + "..." : given) : String(given));

/** A trace file or in-memory trace that breaks the format of traces/README.md. */
export class TraceError extends DataError {
  constructor(
    readonly file: string,
    readonly field: string,
    expected: string,
    given: unknown,
  ) {
    super(`${file}: ${field}: expected ${expected}, got ${shown(given)}`, "trace");
  }
}
