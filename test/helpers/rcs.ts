/** What the rcs experiment tests share: the fixture folder and a model small enough to train in a second. */
import path from "node:path";
import type { RcsModelConfig } from "../../experiments/rcs/index.js";

export const RCS_FIXTURES = path.resolve("test/fixtures/rcs");

export const TINY_RCS_MODEL: RcsModelConfig = {
  mlp: { hidden: [16, 16], epochs: 2, batchSize: 32 },
  baseSetsPerWorkload: 3,
  targetsPerBaseSet: 4,
  trainShots: [1, 2, 3],
  finetuneEpochs: 2,
  encoder: { hidden: 8, layers: 1, fcHidden: 8, embeddingDim: 4 },
  seed: 0,
};
