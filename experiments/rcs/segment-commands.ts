/**
 * `flash rcs fit` and `flash rcs generate` (wired in command.ts):
 *
 *   flash rcs fit --data DIR --out MODEL.json [--report DIR] [--profile quick|full] [--seed S]
 *   flash rcs generate --apps N --seed S --out DIR (--model MODEL.json | --data DIR) [--invocations K] [--input-spread X] [--max-segments M]
 *
 * Neither overwrites what is there: an existing model file or a non-empty output folder is
 * an error naming it.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  fitSegmentModel,
  loadServerless,
  loadSegmentModel,
  saveSegmentModel,
  writeGenerated,
  type GeneratedApp,
  type SegmentModel,
} from "../../envs/rcs/index.js";
import { UsageError } from "../args.js";
import { fitReportJson, fitReportMarkdown, segmentFitReport, type FitReport } from "./fit-report.js";
import type { RcsModelConfig } from "./models.js";

function refuseExistingFile(file: string, what: string): void {
  if (existsSync(file)) throw new UsageError(`${what} ${file} already exists; give another path (nothing is overwritten)`);
}

function refuseNonEmptyFolder(dir: string, what: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new UsageError(`${what} ${dir} is not empty; give a new or empty folder (nothing is overwritten)`);
}

export interface FitCommandOptions {
  data: string;
  out: string;
  /** Also write the leave-one-application-out report (fit.md, fit.json) here. */
  report?: string;
  /** Sizeless's settings for the report. */
  model: RcsModelConfig;
  seed: number;
  log?: (msg: string) => void;
}

/** Fit the segment model to a serverless folder, save it, and optionally write the fit report. */
export async function fitCommand(o: FitCommandOptions): Promise<{ model: SegmentModel; report?: FitReport }> {
  refuseExistingFile(o.out, "--out");
  if (o.report) refuseNonEmptyFolder(o.report, "--report");
  const real = loadServerless(o.data);
  const { model } = fitSegmentModel(real);
  mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  saveSegmentModel(o.out, model);
  if (!o.report) return { model };
  const report = await segmentFitReport(real, { shots: [1, 2, 3], model: o.model, seed: o.seed, log: o.log });
  writeFitReport(o.report, report);
  return { model, report };
}

/** fit.md, fit.json and the model (segment-model.json) in `dir`. */
export function writeFitReport(dir: string, r: FitReport): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "fit.md"), fitReportMarkdown(r));
  writeFileSync(path.join(dir, "fit.json"), JSON.stringify(fitReportJson(r), null, 1) + "\n");
  saveSegmentModel(path.join(dir, "segment-model.json"), r.model);
}

export interface GenerateCommandOptions {
  apps: number;
  seed: number | string;
  out: string;
  /** A model file written by `flash rcs fit`, or a serverless folder to fit one from. */
  model?: string;
  data?: string;
  invocations?: number;
  inputSpread?: number;
  maxSegments?: number;
}

/** Write `apps` generated applications in the serverless layout. */
export function generateCommand(o: GenerateCommandOptions): GeneratedApp[] {
  if (!o.model === !o.data)
    throw new UsageError("rcs generate needs exactly one of --model MODEL.json (from `flash rcs fit`) or --data DIR (a serverless folder to fit)");
  refuseNonEmptyFolder(o.out, "--out");
  const model = o.model ? loadSegmentModel(o.model) : fitSegmentModel(loadServerless(o.data as string)).model;
  return writeGenerated(o.out, model, { apps: o.apps, seed: o.seed, invocations: o.invocations, inputSpread: o.inputSpread, maxSegments: o.maxSegments });
}
