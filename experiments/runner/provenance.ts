/**
 * What every result file records about where and how it was produced: the git commit
 * (and whether the checkout had uncommitted changes), the TensorFlow.js backend, the
 * machine and Node.js version.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type { BackendInfo } from "../../flash/backend.js";

export interface Provenance {
  git: { commit: string | null; dirty: boolean | null };
  backend: { name: string; tfVersion: string } | null;
  node: string;
  machine: { cpus: number; cpuModel: string | undefined; memGiB: number; platform: string };
}

/** The commit of the checkout this code runs from (null outside a git checkout). */
export function gitCommit(): { commit: string | null; dirty: boolean | null } {
  const cwd = fileURLToPath(new URL(".", import.meta.url));
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    let dirty: boolean | null = null;
    try {
      dirty =
        execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().length >
        0;
    } catch {
      dirty = null;
    }
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

export function provenance(backend: BackendInfo | undefined): Provenance {
  return {
    git: gitCommit(),
    backend: backend ? { name: backend.name, tfVersion: backend.tfVersion } : null,
    node: process.version,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()}-${os.arch()}` },
  };
}
