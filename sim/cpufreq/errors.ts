/**
 * Errors of the CPU-frequency simulator. Like sim/k8s it may not import flash/errors.ts,
 * so it extends the simulator errors of sim/k8s/errors.ts: a processor file that breaks
 * its schema is a `ProcessorFileError` (a SchemaError: file, field, expected, given);
 * a request outside what the simulator supports (an unknown processor or application,
 * a frequency outside the processor's range) is a `CpufreqConfigError` (a SimConfigError).
 */
import { describe, SchemaError, SimConfigError } from "../k8s/errors.js";

/** A processor file (or in-memory object) that breaks the processor schema (processor.ts). */
export class ProcessorFileError extends SchemaError {
  constructor(file: string, field: string, expected: string, given: unknown) {
    super(file, field, expected, given);
    this.name = "ProcessorFileError";
  }
}

/** An option of the CPU-frequency simulator outside its valid range. */
export class CpufreqConfigError extends SimConfigError {
  constructor(field: string, expected: string, given: unknown) {
    super(field, expected, given);
    this.name = "CpufreqConfigError";
    this.message = `cpufreq simulator: ${field}: expected ${expected}, got ${describe(given)}`;
  }
}
