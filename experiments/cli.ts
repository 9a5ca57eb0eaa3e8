#!/usr/bin/env node
/**
 * The `flash` command. Each subcommand parses its own options (unknown options are
 * errors), selects the TensorFlow.js backend once, and reports it.
 */
import os from "node:os";
import { readFileSync } from "node:fs";
import { BACKEND_PREFERENCE, selectBackend } from "../flash/backend.js";
import { FlashError } from "../flash/errors.js";
import { describeOptions, parseArgs, UsageError, type Command, type OptionSpec } from "./args.js";
import { harnessCommands } from "./runner/commands.js";
import { rcsCommand } from "./rcs/index.js";
import { ConfigError } from "./runner/config.js";
import { workerCommand } from "./runner/queue/command.js";

const backendOption: OptionSpec = { type: "string", description: `TensorFlow.js backend: ${BACKEND_PREFERENCE.join(", ")} (or $FLASH_BACKEND)` };

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

const commands: Record<string, Command> = {
  info: {
    summary: "show the version, the selected backend (and why others were not), and the machine",
    options: { backend: backendOption, json: { type: "boolean", description: "print JSON" } },
    async run(o) {
      const b = await selectBackend(o.backend as string | undefined);
      const info = {
        flashAdapt: packageVersion(),
        backend: b.name,
        tfjs: b.tfVersion,
        unavailable: b.unavailable,
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memGiB: Math.round(os.totalmem() / 2 ** 30),
      };
      if (o.json) {
        console.log(JSON.stringify(info, null, 2));
        return;
      }
      console.log(`flash-adapt ${info.flashAdapt}  (tfjs ${info.tfjs}, node ${info.node})`);
      console.log(`backend: ${info.backend}`);
      for (const u of info.unavailable) console.log(`  not available: ${u.name} (${u.reason})`);
      console.log(`machine: ${info.cpus} x ${info.cpuModel}, ${info.memGiB} GiB`);
    },
  },
  bench: {
    summary: "run the benchmarks and print a table; --out FILE.json writes every figure with the backend",
    options: {
      backend: backendOption,
      out: { type: "string", description: "write the JSON report to this file" },
      quick: { type: "boolean", description: "fewer repeats, skip the slowest configurations" },
    },
    async run(o) {
      await selectBackend(o.backend as string | undefined);
      const { runBenchmarks } = await import("../bench/run.js");
      const report = await runBenchmarks({ out: o.out as string | undefined, quick: o.quick === true });
      console.log(JSON.stringify({ backend: report.backend.name, ...report.results }, (_k, v) => (Array.isArray(v) && typeof v[0] === "object" ? undefined : v), 2));
      if (o.out) console.error(`wrote ${o.out}`);
    },
  },
};

Object.assign(commands, harnessCommands(backendOption), {
  rcs: rcsCommand,
  worker: workerCommand(backendOption),
  overheads: {
    summary: "paper Table 3: inference and update latency with and without FLASH per agent -> DIR/overheads.{json,md}, figures/",
    options: {
      backend: backendOption,
      out: { type: "string", description: "output directory (required)" },
      quick: { type: "boolean", description: "fewer rounds; the paper's encoder on a shorter, subsampled context" },
      agents: { type: "string", description: "comma-separated subset of ddpg,dqn,ppo", default: "ddpg,dqn,ppo" },
    },
    async run(o) {
      if (typeof o.out !== "string" || !o.out) throw new UsageError("--out DIR is required");
      const agents = String(o.agents).split(",").map((s) => s.trim()).filter(Boolean);
      const { OVERHEAD_AGENTS, runOverheads } = await import("./protocols/overheads.js");
      for (const a of agents) if (!(OVERHEAD_AGENTS as readonly string[]).includes(a)) throw new UsageError(`--agents: unknown agent "${a}"; known: ${OVERHEAD_AGENTS.join(", ")}`);
      const b = await selectBackend(o.backend as string | undefined);
      console.error(`backend: ${b.name}`);
      const r = await runOverheads({ out: o.out, quick: o.quick === true, agents: agents as (typeof OVERHEAD_AGENTS)[number][], log: (s) => console.error(s) });
      console.log(JSON.stringify({ out: o.out, backend: r.backend.name, wall_seconds: Math.round(r.wall_seconds), rows: r.rows.map((x) => ({ encoder: x.label, agent: x.agent, inference_ratio: +x.inference.ratio.toFixed(2), update_ratio: +x.update.ratio.toFixed(2) })) }, null, 2));
      console.error(`wrote ${o.out}/overheads.json, overheads.md, figures/overheads.png`);
    },
  } satisfies Command,
});

function usage(): string {
  const lines = ["usage: flash <command> [options]", "", "commands:"];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push("", "flash <command> --help shows a command's options");
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`flash: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`usage: flash ${name} [options]\n\n${cmd.summary}\n\noptions:\n${describeOptions(cmd.options)}`);
    return 0;
  }
  try {
    const { options, positionals } = parseArgs(rest, cmd.options);
    await cmd.run(options, positionals);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`flash ${name}: ${err.message}\n\noptions:\n${describeOptions(cmd.options)}`);
      return 2;
    }
    if (err instanceof FlashError || err instanceof ConfigError) {
      console.error(`flash ${name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
