/**
 * The studies and figures beside the reproductions, as `flash` subcommands:
 *
 *   flash classic-proof --algo ddpg --env Pendulum-v1 --seeds 3 [--steps N] --out DIR   the agents against the SB3 zoo
 *   flash aurora-curve [--steps 100000] [--every 10000] [--seed 0] [--out DIR]           Aurora's learning curve at its ranges
 *   flash congestion-timeseries --trace FILE [--run DIR] [--steps 200] [--out DIR]       one episode MI by MI per policy
 *   flash cpufreq-trace --run DIR [--pair ID] [--replicate K] [--out DIR]                Figure 9's frequency traces
 *
 * Each parses its options strictly (a bad value is a usage error, exit 2), selects the
 * backend once, and imports its study only when it runs (the CLI loads this list at start).
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { OptionValueError } from "../../errors.js";
import { existingPath } from "./finished-run.js";
import { intOption, requiredOption, type Command, type OptionSpec, type ParsedOptions } from "../args.js";

const str = (o: ParsedOptions, name: string): string | undefined => (typeof o[name] === "string" ? (o[name] as string) : undefined);

async function backend(o: ParsedOptions): Promise<void> {
  const b = await selectBackend(str(o, "backend"));
  console.error(`backend: ${b.name}`);
}

function classicProof(backendOption: OptionSpec): Command {
  return {
    summary: "train an agent on a classic-control task with the SB3 zoo's settings over seeds; mean and 95% CI beside the zoo's published score",
    options: {
      backend: backendOption,
      algo: { type: "string", description: "ddpg | dqn | ppo", default: "ddpg" },
      env: { type: "string", description: "Pendulum-v1 | CartPole-v1", default: "Pendulum-v1" },
      seeds: { type: "string", description: "number of seeds", default: "3" },
      "first-seed": { type: "string", description: "first seed", default: "0" },
      steps: { type: "string", description: "training steps per seed, instead of the zoo's budget (quick checks)" },
      "eval-episodes": { type: "string", description: "deterministic evaluation episodes per seed", default: "10" },
      normalize: { type: "string", description: "PPO Pendulum: on = the zoo's VecNormalize, off = raw observations and rewards", default: "on" },
      out: { type: "string", description: "output folder: <algo>-<env>.json and .md", default: "runs/proof" },
    },
    async run(o) {
      if (o.normalize !== "on" && o.normalize !== "off") throw new OptionValueError("--normalize", "on or off", o.normalize);
      const { checkProofSetting, classicProof: prove } = await import("./classic-proof.js");
      const opts = {
        algo: String(o.algo),
        envId: String(o.env),
        nSeeds: intOption(o, "seeds", 1) as number,
        first: intOption(o, "first-seed", 0) as number,
        evalEpisodes: intOption(o, "eval-episodes", 1) as number,
        steps: intOption(o, "steps", 1),
        normalize: o.normalize === "on",
        out: String(o.out),
      };
      checkProofSetting(opts.algo, opts.envId);
      await backend(o);
      const base = await prove(opts);
      console.error(`wrote ${base}.json and ${base}.md`);
    },
  };
}

function auroraCurve(backendOption: OptionSpec): Command {
  return {
    summary: "Aurora's learning curve at PCC-RL's training ranges: Table 12's PPO evaluated on 10 held-out links beside a held rate and the capacity",
    options: {
      backend: backendOption,
      steps: { type: "string", description: "PPO training steps", default: "100000" },
      every: { type: "string", description: "steps between evaluations", default: "10000" },
      seed: { type: "string", description: "run seed", default: "0" },
      out: { type: "string", description: "output folder (aurora-curve.json, rewritten after every evaluation)", default: "runs/aurora-curve" },
    },
    async run(o) {
      const opts = {
        steps: intOption(o, "steps", 1) as number,
        every: intOption(o, "every", 1) as number,
        seed: intOption(o, "seed", 0) as number,
        out: String(o.out),
      };
      const { auroraCurve: curve } = await import("./aurora-curve.js");
      await backend(o);
      await curve(opts);
      console.error(`wrote ${path.join(opts.out, "aurora-curve.json")}`);
    },
  };
}

function congestionTimeseries(backendOption: OptionSpec): Command {
  return {
    summary: "one episode on a link trace, MI by MI: sending rate, throughput and queueing delay of the non-ML senders and, with --run, the run's agents",
    options: {
      backend: backendOption,
      trace: { type: "string", description: "a link trace file (.json Pantheon, e.g. under data/network-traces, or .csv)" },
      run: { type: "string", description: "a finished flash reproduce congestion run folder: adds its agents" },
      steps: { type: "string", description: "MIs in the episode", default: "200" },
      out: { type: "string", description: "output folder (timeseries.json, timeseries.{vl.json,svg,png})", default: "runs/congestion-timeseries" },
    },
    async run(o) {
      const opts = {
        trace: requiredOption(o, "trace", "FILE (a link trace)"),
        run: str(o, "run"),
        steps: intOption(o, "steps", 1) as number,
        out: String(o.out),
      };
      const { congestionTimeseries: series, TRACE_FILE } = await import("./congestion-timeseries.js");
      existingPath("--trace", opts.trace, TRACE_FILE);
      if (opts.run) existingPath("--run", opts.run, "a finished flash reproduce congestion run folder", true);
      await backend(o);
      const rows = await series(opts);
      console.error(`wrote ${opts.out}/timeseries.json (${rows.length} rows) and ${opts.out}/timeseries.{vl.json,svg,png}`);
    },
  };
}

function cpufreqTrace(backendOption: OptionSpec): Command {
  return {
    summary: "Figure 9's frequency traces: one evaluation episode of a new pair of a finished cpufreq run, second by second, per governor and agent",
    options: {
      backend: backendOption,
      run: { type: "string", description: "a finished flash reproduce cpufreq run folder (required)" },
      pair: { type: "string", description: "the new pair to trace (default: the run's first)" },
      replicate: { type: "string", description: "whose agents to trace", default: "0" },
      out: { type: "string", description: "output folder (default: RUN/frequency-traces): frequency-traces.csv and the figure" },
    },
    async run(o) {
      const run = requiredOption(o, "run", "DIR (a finished cpufreq run)");
      const replicate = intOption(o, "replicate", 0) as number;
      const out = str(o, "out") ?? path.join(run, "frequency-traces");
      const { cpufreqFrequencyTraces, writeFrequencyFigure } = await import("./cpufreq-trace.js");
      existingPath("--run", run, "a finished flash reproduce cpufreq run folder", true);
      await backend(o);
      mkdirSync(out, { recursive: true });
      const csv = path.join(out, "frequency-traces.csv");
      const n = await cpufreqFrequencyTraces(run, csv, str(o, "pair"), replicate);
      await writeFrequencyFigure(out, readFileSync(csv, "utf8"));
      console.error(`wrote ${csv} (${n} rows) and ${out}/frequency-traces.{vl.json,svg,png}`);
    },
  };
}

/** The study commands, by name, for experiments/cli.ts. */
export function studyCommands(backendOption: OptionSpec): Record<string, Command> {
  return {
    "classic-proof": classicProof(backendOption),
    "aurora-curve": auroraCurve(backendOption),
    "congestion-timeseries": congestionTimeseries(backendOption),
    "cpufreq-trace": cpufreqTrace(backendOption),
  };
}
