/**
 * `flash bench`: every benchmark of the project in one JSON document with the backend
 * and the machine, plus a table on the terminal. Each benchmark lives in its own module;
 * this file only runs them and collects the figures. The FLASH and agent benchmarks are
 * here in bench/; each case study's simulator benchmark is named by its descriptor
 * (`bench` in experiments/tasks/<task>-case.ts) and lives beside the task.
 */
import os from "node:os";
import { writeFileSync } from "node:fs";
import { backendInfo } from "../flash/backend.js";
import { CASE_STUDIES } from "../experiments/tasks/index.js";
import { benchFigure as fmt } from "../experiments/tasks/case-study.js";
import { benchAgents } from "./agents.js";
import { benchEmbed } from "./embed.js";
import { benchFlashOverhead } from "./flash-overhead.js";
import { benchInsert } from "./insert.js";
import { benchPretrainSpeed } from "./pretrain-speed.js";
import { benchServe } from "./serve.js";

export interface BenchReport {
  backend: ReturnType<typeof backendInfo>;
  machine: { cpus: number; cpuModel: string; memGiB: number; node: string; platform: string };
  started: string;
  wallSeconds: number;
  results: Record<string, unknown>;
}

function machine(): BenchReport["machine"] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
}

/** FLASH's and the agents' benchmarks by name, in the order they run (`flash bench --only NAME,...`). */
const FLASH_BENCHMARKS = ["embed", "serve", "insert", "agents", "overhead", "pretrain"] as const;

/** Every benchmark's name: FLASH's, then each case study's simulator benchmark under the study's name. */
export const BENCHMARKS: readonly string[] = [...FLASH_BENCHMARKS, ...CASE_STUDIES.filter((c) => c.bench).map((c) => c.name)];

/** Run the benchmarks (`only`: these of BENCHMARKS); `quick` uses fewer repeats and skips the slowest configurations. */
export async function runBenchmarks(opts: { quick?: boolean; out?: string; only?: readonly string[]; log?: (s: string) => void } = {}): Promise<BenchReport> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + "\n"));
  const t0 = performance.now();
  const started = new Date().toISOString();
  const results: Record<string, unknown> = {};
  const want = (name: string) => !opts.only || opts.only.includes(name);

  if (want("embed")) {
    log("bench: getEmbedding, cold cache (M=32 trajectories x 100 steps, state 10, action 3)...");
    const embedRows = await benchEmbed(opts.quick ? { repeats: 3, hiddens: [256, 64] } : {});
    results.embed = embedRows;
    const paper = embedRows.find((r) => r.encoder === "bigru" && r.hidden === 256 && r.formulation === "batched");
    if (paper) {
      results.embed_ms_p50 = paper.embed_ms_p50;
      results.embed_ms_p99 = paper.embed_ms_p99;
    }
    for (const r of embedRows) {
      const size =
        r.encoder === "tcn"
          ? `tcn   channels ${String(r.hidden).padStart(3)}${r.patch && r.patch > 1 ? ` patch ${r.patch}` : ""}`
          : `bigru hidden ${String(r.hidden).padStart(3)}`;
      log(`  ${size.padEnd(28)} ${r.formulation.padEnd(7)} p50 ${fmt(r.embed_ms_p50)} ms  p99 ${fmt(r.embed_ms_p99)} ms  (${r.params} params)`);
    }
  }

  if (want("serve")) {
    log("bench: cached embedding and serving overhead...");
    const serve = await benchServe(opts.quick ? { rounds: 8, calls: 100 } : {});
    Object.assign(results, serve);
    log(
      `  embed_cached_ms_p50 ${fmt(serve.embed_cached_ms_p50)}  serve_overhead_ratio ${fmt(serve.serve_overhead_ratio)} ` +
        `(folded; concatenated: ${fmt(serve.serve_overhead_ratio_concat)})`,
    );
  }

  if (want("insert")) {
    log("bench: inserting trajectories into the SQLite buffer...");
    const ins = await benchInsert(opts.quick ? { trajectories: 500 } : {});
    Object.assign(results, ins);
    log(`  insert_transitions_per_s ${fmt(ins.insert_transitions_per_s)}`);
  }

  if (want("agents")) {
    log("bench: agent training updates (SB3 default networks and batches)...");
    const agents = await benchAgents({ quick: opts.quick });
    Object.assign(results, agents);
    for (const [k, v] of Object.entries(agents)) log(`  ${k} ${fmt(v)}`);
  }

  if (want("overhead")) {
    log("bench: DDPG update overhead with a trainable FLASH meta learner (FIRM config, batch 64)...");
    const overhead = await benchFlashOverhead({ quick: opts.quick, log: (s) => log(`  ${s}`) });
    const { rows: overheadRows, ...overheadHeadline } = overhead;
    results.update_overhead = overheadRows;
    Object.assign(results, overheadHeadline);
    log(
      `  update_overhead_ratio ${fmt(overhead.update_overhead_ratio)} (${overhead.headline_encoder} ${overhead.headline_hidden}, ` +
        `${overhead.headline_layers} layer(s), ${overhead.headline_max_steps} steps, ${overhead.headline_subsample} trajectories per pair per batch); ` +
        `paper encoder ${fmt(overhead.update_overhead_ratio_paper_encoder)}`,
    );
  }

  if (want("pretrain")) {
    log("bench: FLASH pretraining episode vs TL (autoscaling quick sizes; the paper's encoder) and a FLASH update's profile...");
    const ps = await benchPretrainSpeed({ quick: opts.quick, log: (x) => log(`  ${x}`) });
    Object.assign(results, ps);
    const p = ps.pretrain_profile;
    log(
      `  update: TL ${fmt(p.tl_update_ms)} ms (${fmt(p.tl_kernels_per_update)} kernels), FLASH ${fmt(p.flash_update_ms)} ms (${fmt(p.flash_kernels_per_update)} kernels)`,
    );
    for (const r of p.parts)
      log(
        `    ${r.part.padEnd(30)} ${fmt(r.calls_per_update)} x ${fmt(r.ms_per_call)} ms = ${fmt(r.ms_per_update)} ms (${fmt(r.kernels_per_call)} kernels per call)`,
      );
    log(`    ${"other".padEnd(30)} ${fmt(p.other_ms_per_update)} ms`);
    for (const e of ps.pretrain_episodes)
      log(
        `  ${e.encoder}: TL ${fmt(e.tl_s_per_episode)} s, FLASH ${fmt(e.flash_s_per_episode)} s per episode, ratio ${fmt(e.ratio)} ` +
          `(CPU: ${fmt(e.tl_cpu_s_per_episode)} s, ${fmt(e.flash_cpu_s_per_episode)} s, ratio ${fmt(e.cpu_ratio)})`,
      );
    log(`  flash_pretrain_episode_ratio ${fmt(ps.flash_pretrain_episode_ratio)}; paper encoder ${fmt(ps.flash_pretrain_episode_ratio_paper_encoder)}`);
  }

  // Each case study's own simulator benchmark, from its descriptor (experiments/tasks/case-study.ts).
  for (const study of CASE_STUDIES) {
    if (!study.bench || !want(study.name)) continue;
    log(`bench: ${study.bench.title}...`);
    const r = await study.bench.run({ quick: opts.quick === true });
    Object.assign(results, r.results);
    for (const l of r.lines) log(`  ${l}`);
  }

  const report: BenchReport = { backend: backendInfo(), machine: machine(), started, wallSeconds: (performance.now() - t0) / 1000, results };
  if (opts.out) writeFileSync(opts.out, JSON.stringify(report, null, 2) + "\n");
  return report;
}
