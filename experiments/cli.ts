#!/usr/bin/env node
/**
 * The `flash` command. Each subcommand parses its own options (unknown options are
 * errors), selects the TensorFlow.js backend once, and reports it. Errors end the
 * command with one line on stderr and the exit code of `EXIT_CODES` (2: usage, 1: failure).
 */
import os from "node:os";
import { readFileSync } from "node:fs";
import { BACKEND_PREFERENCE, selectBackend } from "../flash/backend.js";
import { exitCodeFor, UnknownNameError, UsageError } from "../errors.js";
import { describeOptions, parseArgs, type Command, type OptionSpec } from "./args.js";
import { harnessCommands } from "./runner/commands.js";
import { rcsCommand } from "./rcs/index.js";
import { workerCommand } from "./runner/queue/command.js";
import { studyCommands } from "./studies/commands.js";

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
      only: {
        type: "string",
        description:
          "comma-separated subset of the benchmarks (embed,serve,insert,agents,overhead,pretrain, or a case study's simulator by its name: autoscaling,cpufreq,congestion)",
      },
      peer: { type: "string", description: "instead, the side-by-side benchmark against this framework (torch; = npm run bench:peer); --out PREFIX" },
      reference: { type: "boolean", description: "with --peer: also time the taped reference encoder" },
      overhead: { type: "boolean", description: "with --peer: also the paper encoder's update_overhead_ratio rows" },
    },
    async run(o) {
      if (o.peer !== undefined) return runPeer(o);
      await selectBackend(o.backend as string | undefined);
      const { BENCHMARKS, runBenchmarks } = await import("../bench/run.js");
      const only =
        o.only === undefined
          ? undefined
          : String(o.only)
              .split(",")
              .map((x) => x.trim())
              .filter(Boolean);
      for (const name of only ?? []) if (!BENCHMARKS.includes(name)) throw new UnknownNameError("benchmark", name, BENCHMARKS);
      const report = await runBenchmarks({ out: o.out as string | undefined, quick: o.quick === true, only });
      console.log(
        JSON.stringify({ backend: report.backend.name, ...report.results }, (_k, v) => (Array.isArray(v) && typeof v[0] === "object" ? undefined : v), 2),
      );
      if (o.out) console.error(`wrote ${o.out}`);
    },
  },
};

/** `flash bench --peer torch`: bench/peer.ts's run (ours, then PyTorch in the same invocation); exit 2 without PyTorch. */
async function runPeer(o: Record<string, unknown>): Promise<void> {
  const { findTorchPython, runPeerBench, TORCH_INSTALL_HINT } = await import("../bench/peer.js");
  if (o.peer !== "torch") throw new UnknownNameError("peer framework", String(o.peer), ["torch"]);
  if (!findTorchPython()) throw new UsageError(TORCH_INSTALL_HINT);
  await selectBackend(o.backend as string | undefined);
  const out = typeof o.out === "string" && o.out ? o.out.replace(/\.json$/, "") : "runs/bench-peer";
  const code = await runPeerBench({ out, quick: o.quick === true, reference: o.reference === true, overhead: o.overhead === true });
  if (code !== 0) process.exitCode = code;
}

Object.assign(commands, harnessCommands(backendOption), studyCommands(backendOption), {
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
      const agents = String(o.agents)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const { OVERHEAD_AGENTS, runOverheads } = await import("./protocols/overheads.js");
      for (const a of agents) if (!(OVERHEAD_AGENTS as readonly string[]).includes(a)) throw new UnknownNameError("agent", a, OVERHEAD_AGENTS, "--agents");
      const b = await selectBackend(o.backend as string | undefined);
      console.error(`backend: ${b.name}`);
      const r = await runOverheads({ out: o.out, quick: o.quick === true, agents: agents as (typeof OVERHEAD_AGENTS)[number][], log: (s) => console.error(s) });
      console.log(
        JSON.stringify(
          {
            out: o.out,
            backend: r.backend.name,
            wall_seconds: Math.round(r.wall_seconds),
            rows: r.rows.map((x) => ({
              encoder: x.label,
              agent: x.agent,
              inference_ratio: +x.inference.ratio.toFixed(2),
              update_ratio: +x.update.ratio.toFixed(2),
            })),
          },
          null,
          2,
        ),
      );
      console.error(`wrote ${o.out}/overheads.json, overheads.md, figures/overheads.png`);
    },
  } satisfies Command,
});

function usage(): string {
  const lines = ["usage: flash <command> [options] [--debug]", "", "commands:"];
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(width)}  ${c.summary}`);
  lines.push("", "flash <command> --help shows a command's options", "", EXIT_CODES);
  return lines.join("\n");
}

/**
 * How the command ends. An error prints one line on stderr, `flash: <message>`; with
 * `--debug` (anywhere on the line) or FLASH_DEBUG=1 it prints the stack (and causes) too.
 */
const EXIT_CODES = [
  "exit codes:",
  "  0  success",
  "  1  failure: malformed input data or config, a failed run, an unexpected error",
  "  2  usage error: unknown command, task, profile or option, a bad option value, a missing folder",
].join("\n");

/** The one line printed for `err`: its message's first line (a worker's message may carry its stack below). */
function errorLine(err: unknown, command: string | undefined): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split("\n")[0];
  const hint = err instanceof UsageError && command && commands[command] ? ` (flash ${command} --help lists the options)` : "";
  return `flash: ${first}${hint}`;
}

function debugText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined; e = e instanceof Error ? e.cause : undefined) parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  return parts.join("\ncaused by: ");
}

async function runCommand(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const cmd = commands[name];
  if (!cmd) throw new UnknownNameError("command", name, Object.keys(commands));
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`usage: flash ${name} [options]\n\n${cmd.summary}\n\noptions:\n${describeOptions(cmd.options)}\n\n${EXIT_CODES}`);
    return;
  }
  const { options, positionals } = parseArgs(rest, cmd.options);
  await cmd.run(options, positionals);
}

async function main(rawArgv: string[]): Promise<number> {
  const debug = rawArgv.includes("--debug") || process.env.FLASH_DEBUG === "1";
  const argv = rawArgv.filter((a) => a !== "--debug");
  const name = argv[0];
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  try {
    await runCommand(argv);
    return 0;
  } catch (err) {
    console.error(debug ? debugText(err) : errorLine(err, name));
    return exitCodeFor(err);
  }
}

process.exitCode = await main(process.argv.slice(2));
