/**
 * Checkpoints: a directory holding
 *   - `manifest.json`: format name and version, kind (what wrote it), task, every
 *     dimension, the configuration, the versions that wrote it, and the weight specs
 *     in TensorFlow.js's own format (`tf.io.WeightsManifestEntry`);
 *   - `weights.bin`: the tensors' bytes as `tf.io.encodeWeights` lays them out.
 *
 * Nothing executable is ever loaded: the manifest is JSON, the weights are raw
 * little-endian numbers. Writing is atomic: everything goes to a temporary sibling
 * directory that is renamed into place, so a crash leaves either the old checkpoint
 * or the new one. Loading checks the format version, kind, task and every dimension,
 * and the weights' length and SHA-256, and refuses a mismatch with a message that
 * says what differs.
 */
import * as tf from "@tensorflow/tfjs";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { CheckpointError } from "./errors.js";

export const CHECKPOINT_FORMAT = "flash-adapt-checkpoint";
export const CHECKPOINT_FORMAT_VERSION = 1;
const MANIFEST = "manifest.json";
const WEIGHTS = "weights.bin";
const ALLOWED_DTYPES = new Set(["float32", "int32"]);

/** What a caller saves. */
export interface CheckpointContent {
  /** What wrote it, e.g. "flash-meta-learner", "ddpg". Loading demands the same kind. */
  kind: string;
  /** The task (or environment id) it belongs to. */
  task: string;
  /** Every dimension that must match on load, e.g. {stateDim: 10, actionDim: 3}. */
  dims: Record<string, number>;
  /** Any JSON-serialisable configuration (sizes, hyper-parameters). */
  config: object;
  /** Named tensors; names must be unique. */
  tensors: Record<string, tf.Tensor>;
}

/** The JSON manifest as stored. */
export interface CheckpointManifest {
  format: string;
  formatVersion: number;
  kind: string;
  task: string;
  dims: Record<string, number>;
  config: Record<string, unknown>;
  createdBy: { tfjs: string; node: string };
  weightsFile: string;
  weightsBytes: number;
  weightsSha256: string;
  weightSpecs: tf.io.WeightsManifestEntry[];
}

/** What a loader expects; omitted fields are not checked. */
export interface CheckpointExpectation {
  kind: string;
  task?: string;
  dims?: Record<string, number>;
}

function sha256(buf: Uint8Array): string {
  return createHash("sha256").update(buf).digest("hex");
}

async function writeFileSynced(file: string, data: Uint8Array | string): Promise<void> {
  const fh = await fs.open(file, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Save atomically to `dir` (replacing an existing checkpoint there). */
export async function saveCheckpoint(dir: string, content: CheckpointContent): Promise<CheckpointManifest> {
  for (const [name, v] of Object.entries(content.dims)) {
    if (!Number.isFinite(v)) throw new CheckpointError(`cannot save checkpoint: dims.${name} must be a finite number, got ${v}`);
  }
  const named = Object.entries(content.tensors).map(([name, tensor]) => ({ name, tensor }));
  for (const { name, tensor } of named) {
    if (!ALLOWED_DTYPES.has(tensor.dtype)) {
      throw new CheckpointError(`cannot save checkpoint: tensor "${name}" has dtype ${tensor.dtype}; expected float32 or int32`);
    }
  }
  const { data, specs } = await tf.io.encodeWeights(named);
  const bytes = new Uint8Array(data);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    kind: content.kind,
    task: content.task,
    dims: { ...content.dims },
    config: JSON.parse(JSON.stringify(content.config)) as Record<string, unknown>,
    createdBy: { tfjs: tf.version.tfjs, node: process.version },
    weightsFile: WEIGHTS,
    weightsBytes: bytes.byteLength,
    weightsSha256: sha256(bytes),
    weightSpecs: specs,
  };
  const target = path.resolve(dir);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await fs.mkdir(tmp);
  try {
    await writeFileSynced(path.join(tmp, WEIGHTS), bytes);
    await writeFileSynced(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    if (existsSync(target)) {
      // Keep the old checkpoint until the new one is in place.
      const old = `${target}.old-${process.pid}-${randomBytes(4).toString("hex")}`;
      await fs.rename(target, old);
      await fs.rename(tmp, target);
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, target);
    }
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return manifest;
}

function describeDims(d: Record<string, number>): string {
  return JSON.stringify(d);
}

/** Read and validate only the manifest (cheap; no tensors created). */
export async function readManifest(dir: string, expected?: CheckpointExpectation): Promise<CheckpointManifest> {
  const file = path.join(dir, MANIFEST);
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    throw new CheckpointError(`no checkpoint at ${dir}: expected a directory containing ${MANIFEST}`);
  }
  let m: CheckpointManifest;
  try {
    m = JSON.parse(text) as CheckpointManifest;
  } catch (err) {
    throw new CheckpointError(`${file} is not valid JSON (${(err as Error).message}); the checkpoint is corrupt`);
  }
  if (m === null || typeof m !== "object" || m.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${file}: expected format "${CHECKPOINT_FORMAT}", got ${JSON.stringify(m?.format)}`);
  }
  if (m.formatVersion !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(`${file}: format version ${m.formatVersion} is not supported; this build reads version ${CHECKPOINT_FORMAT_VERSION}`);
  }
  if (!Array.isArray(m.weightSpecs) || typeof m.weightsBytes !== "number" || typeof m.weightsSha256 !== "string") {
    throw new CheckpointError(`${file}: weightSpecs, weightsBytes or weightsSha256 missing; the checkpoint is corrupt`);
  }
  if (expected) {
    if (m.kind !== expected.kind) {
      throw new CheckpointError(`checkpoint ${dir} holds a "${m.kind}", expected a "${expected.kind}"`);
    }
    if (expected.task !== undefined && m.task !== expected.task) {
      throw new CheckpointError(`checkpoint ${dir} is for task "${m.task}", expected task "${expected.task}"`);
    }
    if (expected.dims) {
      const diffs: string[] = [];
      for (const [k, v] of Object.entries(expected.dims)) {
        if (m.dims?.[k] !== v) diffs.push(`${k}: checkpoint has ${m.dims?.[k] ?? "nothing"}, expected ${v}`);
      }
      if (diffs.length) {
        throw new CheckpointError(`checkpoint ${dir} has other dimensions (${diffs.join("; ")}); stored dims ${describeDims(m.dims)}`);
      }
    }
  }
  return m;
}

/** Load and validate a checkpoint; the caller owns (and must dispose) the tensors. */
export async function loadCheckpoint(
  dir: string,
  expected: CheckpointExpectation,
): Promise<{ manifest: CheckpointManifest; tensors: Record<string, tf.Tensor> }> {
  const manifest = await readManifest(dir, expected);
  if (path.basename(manifest.weightsFile) !== manifest.weightsFile) {
    throw new CheckpointError(`checkpoint ${dir}: weightsFile "${manifest.weightsFile}" must be a plain file name`);
  }
  const file = path.join(dir, manifest.weightsFile);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    throw new CheckpointError(`checkpoint ${dir}: weights file ${manifest.weightsFile} is missing`);
  }
  if (bytes.byteLength !== manifest.weightsBytes) {
    throw new CheckpointError(
      `checkpoint ${dir}: ${manifest.weightsFile} has ${bytes.byteLength} bytes, the manifest says ${manifest.weightsBytes} (truncated or altered)`,
    );
  }
  if (sha256(bytes) !== manifest.weightsSha256) {
    throw new CheckpointError(`checkpoint ${dir}: ${manifest.weightsFile} does not match its SHA-256 in the manifest (altered or corrupt)`);
  }
  let expectedBytes = 0;
  for (const s of manifest.weightSpecs) {
    if (!ALLOWED_DTYPES.has(s.dtype) || !Array.isArray(s.shape) || s.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new CheckpointError(`checkpoint ${dir}: weight "${s.name}" has an invalid spec ${JSON.stringify(s)}`);
    }
    expectedBytes += 4 * s.shape.reduce((a, b) => a * b, 1);
  }
  if (expectedBytes !== bytes.byteLength) {
    throw new CheckpointError(`checkpoint ${dir}: weight specs describe ${expectedBytes} bytes, the file has ${bytes.byteLength}`);
  }
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const tensors = tf.io.decodeWeights(ab, manifest.weightSpecs) as Record<string, tf.Tensor>;
  return { manifest, tensors };
}
