/**
 * The results.json schema of an RL reproduction or sweep (`flash-adapt-results@1`): what
 * the runner writes (run-rl.ts) and the report reads (report/rl-report.ts). A types-only
 * module, so that the two do not import each other.
 */
import type { RlSummary } from "../protocols/rl-reproduce.js";
import type { RunConfig } from "./config.js";
import type { Provenance } from "./provenance.js";

export interface RlResults extends RlSummary {
  format: "flash-adapt-results@1";
  task: string;
  profile: string;
  command: "reproduce" | "sweep";
  describe: string;
  paper: unknown;
  seeds: { run: number; replicates: number[]; units: Record<string, number> };
  backend: string | null;
  provenance: Provenance;
  /**
   * seconds: this invocation (small when it resumed finished units); unitsSpanSeconds: from
   * the first unit's start to the last unit's end over every invocation (the run's wall
   * time when it ran in one go); invocations: every `reproduce`/`rerun` into this directory.
   */
  wall: {
    seconds: number;
    unitsSpanSeconds: number;
    unitSecondsSum: number;
    byKind: Record<string, number>;
    workers: number;
    ranUnits: number;
    resumedUnits: number;
    invocations: { started: string; seconds: number; ranUnits: number; workers: number }[];
  };
  config: RunConfig;
  units: { id: string; kind: string; seed: number; seconds: number; worker: number; host?: string; resumed: boolean }[];
}
