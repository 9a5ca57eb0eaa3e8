/**
 * Errors of the network simulator. Like the Kubernetes simulator's (sim/k8s/errors.ts,
 * which it extends), every message names the field (and, for files, the file and line),
 * what was expected and what was given.
 */
import { describe, SimConfigError } from "../k8s/errors.js";

/** A link, sender or simulator option outside its valid range (zero bandwidth, zero queue, a NaN rate, ...). */
export class NetworkConfigError extends SimConfigError {
  constructor(field: string, expected: string, given: unknown) {
    super(field, expected, given);
    this.message = `network simulator: ${field}: expected ${expected}, got ${describe(given)}`;
    this.name = "NetworkConfigError";
  }
}

/** A link trace file (Pantheon JSON, or the CSV format of sim/network/README.md) that breaks its format. */
export class LinkTraceError extends SimConfigError {
  constructor(
    readonly file: string,
    readonly where: string,
    expected: string,
    given: unknown,
  ) {
    super(where, expected, given);
    this.message = `${file}: ${where}: expected ${expected}, got ${describe(given)}`;
    this.name = "LinkTraceError";
  }
}
