/** What the rcs tests share: the fixture folder, a model small enough to train in a second, a segment model with known numbers. */
import path from "node:path";
import type { RcsModelConfig } from "../../experiments/rcs/index.js";
import { assumedCost, SEGMENT_MODEL_FORMAT, type SegmentModel } from "../../envs/rcs/index.js";
import { SEGMENT_KINDS } from "../../sim/k8s/segments.js";
import { COUNTERS } from "../../sim/serverless/execution.js";

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

/**
 * A segment model whose every number is known (no noise, constant runtime working sets,
 * a Lambda-like CPU share below 1,024 MB, paging on the fit's grid), for the tests that
 * check the fit recovers what generated the data. Segment costs are sim/k8s's assumptions
 * scaled by a factor per kind (so the fit cannot pass by returning its prior), with the
 * CPU work single-threaded (wall = user + system) and a few counters.
 */
export function knownSegmentModel(): SegmentModel {
  const zero = new Array<number>(101).fill(0);
  const segments = Object.fromEntries(
    SEGMENT_KINDS.map((k, i) => {
      const a = assumedCost(k);
      const f = 0.5 + (i % 5) * 0.6;
      const user = a.cpuUserMs * f;
      const sys = a.cpuSysMs * f;
      const counters = COUNTERS.map((_, c) => (c === i % COUNTERS.length ? 10 + i : 0));
      return [k, { cpuUserMs: user, cpuSysMs: sys, cpuWallMs: user + sys, ioMs: a.ioMs * f, memMb: a.memMb * f, counters, source: "fitted" as const, apps: 1 }];
    }),
  ) as SegmentModel["segments"];
  const base = (memMb: number, counters: number[]) => ({ cpuUserMs: 0, cpuSysMs: 0, cpuWallMs: 0, ioMs: 0, memMb, counters });
  const gauges = (maxRssPerMb: number, rssPerMb: number) => [
    { intercept: 0, slope: maxRssPerMb },
    { intercept: 0, slope: rssPerMb },
    { intercept: 1e6, slope: 5e5 },
    { intercept: 5e5, slope: 4e5 },
    { intercept: 8192, slope: 0 },
  ];
  return {
    format: SEGMENT_MODEL_FORMAT,
    platform: {
      fullCoreMb: 1024,
      sizesMb: [128, 256, 512, 1024, 2048, 3008, 4096, 16384],
      cpuSpeed: [1, 1, 1, 1, 1, 1, 1, 1],
      swap: { threshold: 0.8, scale: 10, power: 2, sysPerPagingMs: 0.01, vcsPerPagingMs: 0.5 },
    },
    segments,
    runtimes: {
      nodejs: { apps: 1, base: base(30, [0, 0, 9, 1, 0, 0, 0, 0]), baseMemMbQuantiles: zero.map(() => 30), gaugeMaps: gauges(1024, 2 ** 20), sysPerUser: 0.1 },
      python: {
        apps: 1,
        base: base(60, [500, 0, 10, 12, 3000, 30, 2000, 30]),
        baseMemMbQuantiles: zero.map(() => 60),
        gaugeMaps: gauges(1024, 1024),
        sysPerUser: 0.1,
      },
    },
    runtimeShare: { nodejs: 0.5, python: 0.5 },
    noise: {
      levelLogSd: 0,
      shapeLogResidual: zero,
      pagingLogResidual: zero,
      residualVectors: [[0, 0, 0, 0, 0, 0, 0, 0]],
      cvDuration: zero,
      cvUser: zero,
      cvMaxRss: zero,
      invocations: 3,
    },
    fittedOn: { root: "<known>", apps: [], workloads: 0 },
  };
}
