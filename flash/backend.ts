/**
 * TensorFlow.js backend selection, in one place.
 *
 * Order of preference (ARCHITECTURE.md "Numerics"): `@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node`, then WebAssembly, then the pure-JS CPU backend. The native
 * packages download libtensorflow at install time and cannot install on machines
 * without internet access, so they are optional: we only try to import them.
 *
 * Override with `selectBackend("wasm")`, the CLI flag `--backend`, or the
 * environment variable `FLASH_BACKEND` (one of `tensorflow-gpu`, `tensorflow`, `wasm`, `cpu`).
 */
import * as tf from "@tensorflow/tfjs";
import { FlashAdaptError, StateError, UnknownNameError } from "../errors.js";
import { installWasmSlice } from "./wasm-slice.js";

/** Backends we know how to load, best first. */
export const BACKEND_PREFERENCE = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_PREFERENCE)[number];

/** What was selected, for `flash info` and every result file. */
export interface BackendInfo {
  /** Our name for the backend that is active. */
  name: BackendName;
  /** The name TensorFlow.js reports (`tf.getBackend()`). */
  tfName: string;
  /** TensorFlow.js version. */
  tfVersion: string;
  /** Backends that were tried and failed, with the reason, in order. */
  unavailable: { name: BackendName; reason: string }[];
}

let selected: BackendInfo | undefined;

function isBackendName(s: string): s is BackendName {
  return (BACKEND_PREFERENCE as readonly string[]).includes(s);
}

async function tryLoad(name: BackendName): Promise<void> {
  switch (name) {
    case "tensorflow-gpu":
      // Registers the "tensorflow" backend with CUDA kernels into the shared engine.
      await import("@tensorflow/tfjs-node-gpu" as string);
      break;
    case "tensorflow":
      await import("@tensorflow/tfjs-node" as string);
      break;
    case "wasm":
      await import("@tensorflow/tfjs-backend-wasm");
      installWasmSlice();
      break;
    case "cpu":
      break; // bundled with @tensorflow/tfjs
  }
  const tfName = name === "tensorflow-gpu" ? "tensorflow" : name;
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new FlashAdaptError("backend", `tf.setBackend("${tfName}") returned false`);
  await tf.ready();
}

/**
 * Select and initialise the backend. Idempotent: the first call decides, later calls
 * return the same info unless they name another backend explicitly.
 *
 * @param preferred a backend name; defaults to `$FLASH_BACKEND`, else the best available.
 */
export async function selectBackend(preferred?: string): Promise<BackendInfo> {
  const wanted = preferred ?? process.env.FLASH_BACKEND ?? undefined;
  if (selected && (wanted === undefined || wanted === selected.name)) return selected;
  if (wanted !== undefined && !isBackendName(wanted)) {
    throw new UnknownNameError("backend", wanted, BACKEND_PREFERENCE);
  }
  const candidates: BackendName[] = wanted ? [wanted] : [...BACKEND_PREFERENCE];
  const unavailable: BackendInfo["unavailable"] = [];
  for (const name of candidates) {
    try {
      await tryLoad(name);
      selected = { name, tfName: tf.getBackend(), tfVersion: tf.version.tfjs, unavailable };
      return selected;
    } catch (err) {
      unavailable.push({ name, reason: err instanceof Error ? err.message.split("\n")[0] : String(err) });
    }
  }
  const why = unavailable.map((u) => `${u.name}: ${u.reason}`).join("; ");
  throw new FlashAdaptError("backend", `no TensorFlow.js backend could be loaded (${why})`);
}

/** The selected backend's info; throws if `selectBackend` has not run yet. */
export function backendInfo(): BackendInfo {
  if (!selected) throw new StateError("no backend selected yet: call `await selectBackend()` first");
  return selected;
}
