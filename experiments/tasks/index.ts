/**
 * The task registry: `flash reproduce <task>` and the pool workers find a task here by
 * name. An RL task on the shared protocols registers an `rl` loader; a task with its own
 * reproduction (the supervised rcs task) registers `reproduce` instead.
 */
import type { RlTask } from "./types.js";
import { UnknownNameError, UsageError } from "../../errors.js";

export interface ReproduceOptions {
  profile: string;
  /** --seeds when given (RL: replicates; rcs: iterations), else null: the profile's default. */
  seeds: number | null;
  seed: number;
  out: string;
  workers: number | null;
  backend: string | null;
  /** --data: the task's data folder, when it reads one. */
  data: string | null;
  /** --pool: generated applications per pretraining pool (rcs), else null: the profile's default. */
  pool?: number | null;
  /** --splits: the subset of a task's splits to run (rcs), else null: all. */
  splits?: string[] | null;
}

export interface TaskEntry {
  summary: string;
  /** An RL task run by the shared protocols (experiments/protocols/rl-reproduce.ts). */
  rl?: () => Promise<RlTask>;
  /** A task with its own reproduction command. */
  reproduce?: (opts: ReproduceOptions) => Promise<void>;
}

const registry = new Map<string, TaskEntry>([
  [
    "pendulum-family",
    {
      summary: "Pendulum physics pairs; DDPG, FLASH-conditioned DDPG, transfer learning (the harness's proof)",
      rl: async () => (await import("./classic-family.js")).createClassicFamilyTask() as unknown as RlTask,
    },
  ],
  [
    "autoscaling",
    {
      summary: "Kubernetes autoscaling (FLASH 5.2): apps x load traces on a simulated 5-node cluster; FIRM's DDPG, FLASH-FIRM, transfer learning, HPA/VPA",
      rl: async () => (await import("./autoscaling.js")).createAutoscalingTask() as unknown as RlTask,
    },
  ],
  [
    "cpufreq",
    {
      summary:
        "CPU frequency scaling (FLASH 5.3): apps x processors on a DVFS server simulator; SmartOverclock's DQN, FLASH, transfer learning, Linux governors",
      rl: async () => (await import("./cpufreq.js")).createCpufreqTask() as unknown as RlTask,
    },
  ],
  [
    "congestion",
    {
      summary:
        "congestion control (FLASH A.5): 625 link cells and Pantheon traces on a packet-level simulator; Aurora's PPO, FLASH-Aurora, transfer " +
        "learning, oracle/AIMD/BBR",
      rl: async () => (await import("./congestion.js")).createCongestionTask() as unknown as RlTask,
    },
  ],
  [
    "rcs",
    {
      summary:
        "resource configuration search (FLASH 5.1, Table 2): Sizeless vs FLASH-Sizeless on real serverless and multi-cloud data and on generated " +
        "application pools fitted to them (needs --data DIR)",
      reproduce: async (o) => {
        if (!o.data)
          throw new UsageError("reproduce rcs needs --data DIR: the folder holding serverless-functions/ and multi-cloud/ (e.g. ../shared/datasets)");
        if (o.profile !== "quick" && o.profile !== "full")
          throw new UsageError(`reproduce rcs: --profile must be quick or full, got ${JSON.stringify(o.profile)}`);
        const { reproduceRcs } = await import("../rcs/index.js");
        await reproduceRcs({
          data: o.data,
          profile: o.profile,
          out: o.out,
          seed: o.seed,
          backend: o.backend ?? undefined,
          iterations: o.seeds ?? undefined,
          pool: o.pool ?? undefined,
          splits: o.splits ?? undefined,
        });
      },
    },
  ],
]);

/** Register (or replace) a task. */
export function registerTask(name: string, entry: TaskEntry): void {
  if (!entry.rl && !entry.reproduce) throw new UsageError(`registerTask(${name}): give an rl loader or a reproduce function`);
  registry.set(name, entry);
}

export function taskNames(): string[] {
  return [...registry.keys()];
}

export function taskEntry(name: string): TaskEntry {
  const e = registry.get(name);
  if (!e) throw new UnknownNameError("task", name, taskNames());
  return e;
}

/** The RL task `name`; an error if it is unknown or not an RL task. */
export async function rlTask(name: string): Promise<RlTask> {
  const e = taskEntry(name);
  if (!e.rl) throw new UsageError(`task "${name}" has its own reproduction, not the RL protocols`);
  return e.rl();
}
