/**
 * The project's error root. Every error a user can cause is a subclass of
 * `FlashAdaptError`, with a stable machine-readable `code` and a message that says
 * what was expected and what was given.
 *
 * This file sits at the repository root and imports nothing, so every folder may
 * import it without breaking the layering (test/layering.test.ts): `flash/` stays free
 * of the other project folders, and `sim/` and `traces/` (no ML) need not reach into
 * `flash/` for their base class, as they would if the root lived in `flash/errors.ts`.
 *
 * Two families matter to the `flash` command, which maps them to exit codes:
 *   - `UsageError` (exit 2): the command line is wrong — an unknown command, task,
 *     profile or option, an option value of the wrong form, a folder that does not exist.
 *     The user fixes the command and runs it again.
 *   - everything else (exit 1): the inputs or the run failed — `DataError` for a file or
 *     object that breaks its documented format, `FlashError` for the FLASH library,
 *     anything unexpected.
 */

/** The root of every error this project throws on purpose; `code` is stable and machine-readable. */
export class FlashAdaptError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A mistake on the command line or in an option given to an entry point: the caller fixes the call. */
export class UsageError extends FlashAdaptError {
  constructor(message: string, code = "usage", options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** A name that is not one of the known ones: a command, task, profile, agent or backend. */
export class UnknownNameError extends UsageError {
  constructor(
    readonly kind: string,
    readonly given: string,
    readonly known: readonly string[],
    where = "",
  ) {
    super(
      `${where ? `${where}: ` : ""}unknown ${kind} ${JSON.stringify(given)}; known ${kind}s: ${known.length ? known.join(", ") : "(none)"}`,
      "unknown-name",
    );
  }
}

/** An option (or argument) value of the wrong form: `option` names it, e.g. "--seeds". */
export class OptionValueError extends UsageError {
  constructor(
    readonly option: string,
    expected: string,
    given: unknown,
  ) {
    super(`${option}: expected ${expected}, got ${given === undefined ? "nothing" : JSON.stringify(given)}`, "option-value");
  }
}

/** A folder or file the caller named that does not exist (or is not of the expected kind). */
export class MissingPathError extends UsageError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message, "missing-path");
  }
}

/** A file or in-memory object that breaks its documented format: malformed JSON or CSV, a field out of range. */
export class DataError extends FlashAdaptError {
  constructor(message: string, code = "data", options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** A run or task configuration (a profile, `config.json`, a task config object) that breaks its schema. */
export class ConfigError extends DataError {
  constructor(message: string, code = "config") {
    super(message, code);
  }
}

/** An operation called in the wrong state, e.g. an environment stepped before `reset()`. */
export class StateError extends FlashAdaptError {
  constructor(message: string) {
    super("state", message);
  }
}

/** A run that failed: a unit threw, or a worker (thread or process) died while running one; `cause` keeps the original. */
export class RunError extends FlashAdaptError {
  constructor(message: string, options?: ErrorOptions) {
    super("run-failed", message, options);
  }
}

/** A broken invariant inside the harness (a bug, not the user's input): the message says which. */
export class InternalError extends FlashAdaptError {
  constructor(message: string) {
    super("internal", message);
  }
}

/** The exit code the `flash` command uses for `err`: 2 for usage errors, 1 for every other failure. */
export function exitCodeFor(err: unknown): 1 | 2 {
  return err instanceof UsageError ? 2 : 1;
}
