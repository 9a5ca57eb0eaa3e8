/**
 * `flash room <task>`: the room benchmark alone (protocols/room.ts), and with
 * `--references` the reference rule on the new and updated pairs (protocols/reference.ts),
 * without pretraining, adaptation or A/B tests. It plans the same `room/<pair>` units as
 * `flash reproduce` (and, with `--references`, the same `ref/<pair>/r<k>` units: same
 * ids, inputs and seeds, so the same numbers), runs them on the worker pool (resuming
 * what finished in OUT), and writes OUT/room.json and OUT/room.md.
 *
 *     import { runRoom } from "flash-adapt/experiments/runner/run-room.js";
 *     const r = await runRoom({ task: "cpufreq", profile: "quick", out: "runs/room-cpufreq" });
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { selectBackend } from "../../flash/backend.js";
import { applyReferenceRule, referenceRuleJson, ruledReferenceJson } from "../protocols/reference.js";
import { curveOf, pairReferences, planRl, RL_EXECUTOR } from "../protocols/rl-reproduce.js";
import { replicateConfigs } from "../protocols/replicates.js";
import { summariseRoom } from "../protocols/room.js";
import { referenceReach, referenceTable, roomMarkdown } from "../report/room-report.js";
import { rlTask } from "../tasks/index.js";
import type { FolderOption } from "../tasks/types.js";
import { UsageError } from "../../errors.js";
import { runUnits, type UnitRecord } from "./pool.js";
import { provenance } from "./provenance.js";
import { provenanceJson, type ReferenceJson, type ReferenceRuleJson, type ResultsProvenance, type RoomJson } from "./results.js";
import { checkTaskOptions } from "./run-rl.js";
import { planUnits } from "./units.js";

export const ROOM_FORMAT = "flash-adapt-room@1";

export interface RoomRunOptions {
  task: string;
  profile: string;
  /** The run seed (pairs and unit seeds derive from it; default 0). */
  seed?: number;
  out: string;
  /** Also train the RL references (replicates 0..seeds-1) and apply the reference rule. */
  references?: boolean;
  seeds?: number;
  workers?: number | null;
  backend?: string | null;
  taskOptions?: Partial<Record<FolderOption, string>>;
  log?: (line: string) => void;
}

/** OUT/room.json. */
export interface RoomResults {
  format: typeof ROOM_FORMAT;
  task: string;
  profile: string;
  seed: number;
  /** Reference replicates trained (0 without --references). */
  seeds: number;
  describe: string;
  backend: string;
  provenance: ResultsProvenance;
  wall: { seconds: number; unit_seconds_sum: number; by_kind: Record<string, number>; workers: number; ran_units: number; resumed_units: number };
  room: RoomJson | null;
  /** With --references: the new and updated pairs' references after the rule (else null). */
  references: ReferenceJson[] | null;
  reference_rule: ReferenceRuleJson | null;
}

export async function runRoom(o: RoomRunOptions): Promise<RoomResults> {
  const t0 = performance.now();
  const task = await rlTask(o.task);
  if (!task.fixedActionGrid) throw new UsageError(`task ${o.task} has no fixed-action grid (RlTask.fixedActionGrid): no room to measure`);
  const seed = o.seed ?? 0;
  const seeds = o.references ? (o.seeds ?? 2) : 0;
  const cfg = task.validateConfig(structuredClone(task.profile(o.profile, seed, checkTaskOptions(task, o.task, o.taskOptions))), "taskConfig") as Record<
    string,
    unknown
  >;
  // The reproduction's own units (same ids, inputs and seeds): the room units of every pair of its replicates (refined like
  // the reproduction's where a pair has a reference, whether or not --references trains it), and with --references its reference units.
  const replicates = Math.max(1, seeds);
  const reproduction = planRl(task, o.task, cfg, replicates, undefined, seed);
  const refs = o.references ? reproduction.filter((u) => u.kind === "reference") : [];
  const plan = planUnits([...reproduction.filter((u) => u.kind === "room"), ...refs], seed, RL_EXECUTOR);
  const backend = await selectBackend(o.backend ?? undefined);
  mkdirSync(o.out, { recursive: true });
  const res = await runUnits(plan, {
    outDir: o.out,
    executor: RL_EXECUTOR,
    workers: o.workers ?? undefined,
    backend: backend.name,
    log: o.log,
    label: `${o.task} ${o.profile} room`,
  });
  const records = new Map(plan.map((u) => [u.id, res.records.get(u.id) as UnitRecord]));
  const byKind: Record<string, number> = {};
  for (const r of records.values()) byKind[r.kind] = (byKind[r.kind] ?? 0) + r.seconds;
  let references: ReferenceJson[] | null = null;
  let rule: ReferenceRuleJson | null = null;
  if (o.references) {
    const { ruled } = applyReferenceRule(task, cfg, records, pairReferences(records, task.budgets(cfg).window, curveOf(task)));
    references = [...ruled.values()].map(ruledReferenceJson);
    const none = { flash: null, original: null, tl: null, tl_paper: null, excluded: 0 };
    rule = referenceRuleJson(task, cfg, records, ruled, 0, { reward_drop: none, adaptation_speedup_vs_tl: null });
  }
  const out: RoomResults = {
    format: ROOM_FORMAT,
    task: o.task,
    profile: o.profile,
    seed,
    seeds,
    describe: task.describe(cfg),
    backend: backend.name,
    provenance: provenanceJson(provenance(backend)),
    wall: {
      seconds: (performance.now() - t0) / 1000,
      unit_seconds_sum: Object.values(byKind).reduce((a, x) => a + x, 0),
      by_kind: byKind,
      workers: res.workers,
      ran_units: res.ran,
      resumed_units: res.resumed,
    },
    room: summariseRoom(task, replicateConfigs(task, cfg, seed, replicates), records),
    references,
    reference_rule: rule,
  };
  writeFileSync(path.join(o.out, "room.json"), JSON.stringify(out, null, 2) + "\n");
  writeFileSync(path.join(o.out, "room.md"), roomResultsMarkdown(out));
  return out;
}

/** OUT/room.md. */
export function roomResultsMarkdown(r: RoomResults): string {
  const L = [
    `# ${r.task}: room (${r.profile} profile)`,
    "",
    `${r.describe}.`,
    "",
    `Backend **${r.backend}**, run seed ${r.seed}, ${r.wall.workers} worker(s), wall ${r.wall.seconds.toFixed(0)} s (units ${r.wall.unit_seconds_sum.toFixed(0)} s: ` +
      `${Object.entries(r.wall.by_kind)
        .map(([k, s]) => `${k} ${s.toFixed(0)} s`)
        .join(", ")}; ${r.wall.ran_units} run, ${r.wall.resumed_units} resumed), git ${r.provenance.git.commit?.slice(0, 10) ?? "?"}` +
      `${r.provenance.git.dirty ? " (uncommitted changes)" : ""}.`,
    "",
  ];
  if (r.room) L.push(...roomMarkdown(r.room));
  else L.push("Fewer than two pairs searched: no room measured.", "");
  if (r.references && r.reference_rule) {
    const rule = r.reference_rule;
    L.push(
      "## The RL references against the best policy that needs no learning",
      "",
      `RL references trained as \`flash reproduce\` trains them (${r.seeds} replicate(s), the same units and seeds).`,
      "",
      `${referenceReach(rule)}.`,
      "",
      ...referenceTable(r.references, (id) => id),
      "",
    );
  }
  return L.join("\n");
}
