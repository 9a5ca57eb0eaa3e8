/**
 * Errors raised by flash/. Each names what was expected and what was given, so a
 * caller can fix the input without reading our source. Every error is raised before
 * anything is written, so nothing already stored is lost or changed.
 *
 * `FlashError` is the FLASH library's branch of the project-wide root in ../errors.ts,
 * a leaf module with no imports, so flash/ still imports no other project folder.
 */
import { FlashAdaptError } from "../errors.js";

/** Base class of the FLASH library's errors: `code` is stable and machine-readable. */
export class FlashError extends FlashAdaptError {}

/** A wrong dimension or length. */
export class ShapeError extends FlashError {
  constructor(what: string, expected: string, given: string) {
    super("shape", `${what}: expected ${expected}, got ${given}`);
  }
}

/** NaN, an infinity, or an empty input where data is required. */
export class ValueError extends FlashError {
  constructor(message: string) {
    super("value", message);
  }
}

/** A task that was never registered. */
export class UnknownTaskError extends FlashError {
  constructor(task: string, known: readonly string[]) {
    super("unknown-task", `unknown task "${task}": registered tasks are ${known.length ? known.map((k) => `"${k}"`).join(", ") : "(none)"}`);
  }
}

/** A pair the caller asserted to exist, but the buffer does not hold. */
export class UnknownPairError extends FlashError {
  constructor(task: string, pair: string) {
    super("unknown-pair", `task "${task}" has no data for pair "${pair}"`);
  }
}

/** Registering a task again with other shapes or kind. */
export class RegistrationConflictError extends FlashError {
  constructor(task: string, existing: string, given: string) {
    super("registration-conflict", `task "${task}" is already registered as ${existing}; cannot register it again as ${given}`);
  }
}

/** The data buffer could not be opened, is corrupt, locked or holds something else. */
export class BufferError extends FlashError {
  constructor(message: string) {
    super("buffer", message);
  }
}

/** A checkpoint that is missing, truncated, altered, or of another task or shape. */
export class CheckpointError extends FlashError {
  constructor(message: string) {
    super("checkpoint", message);
  }
}

/** Throws a ValueError naming the first non-finite entry of `xs`. */
export function assertFinite(what: string, xs: ArrayLike<number>): void {
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) {
      throw new ValueError(`${what}: expected finite numbers, got ${xs[i]} at flat index ${i}`);
    }
  }
}
