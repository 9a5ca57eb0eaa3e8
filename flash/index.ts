/** flash-adapt's task-agnostic core: the public API. */
export { RLModel, SLModel, FlashModel } from "./models.js";
export type { RLOptions, SLOptions, CommonOptions, EncoderOptions, Rows } from "./models.js";
export { SqliteBuffer } from "./buffer/sqlite.js";
export type { BufferBackend } from "./buffer/backend.js";
export { BiGruEncoder } from "./gru.js";
export type { BiGruConfig } from "./gru.js";
export { TcnEncoder, TCN_DEFAULTS } from "./tcn.js";
export type { TcnConfig, TcnPooling } from "./tcn.js";
export type { SequenceEncoder, ContextBatch, EncoderConfig } from "./encoder.js";
export { buildContextBatch } from "./context.js";
export { similarity, similarityMatrix, nearestPairs } from "./similarity.js";
export { saveCheckpoint, loadCheckpoint, readManifest } from "./checkpoint.js";
export type { CheckpointContent, CheckpointManifest, CheckpointExpectation } from "./checkpoint.js";
export { selectBackend, backendInfo, BACKEND_PREFERENCE } from "./backend.js";
export type { BackendInfo, BackendName } from "./backend.js";
export { Rng } from "./rng.js";
export * from "./errors.js";
export type { PairId, TaskKind, TaskSpec, SequenceRecord, NewSequence } from "./types.js";
