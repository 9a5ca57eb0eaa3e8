/** The pretraining benchmark: interleaved episodes of the task's own pretraining units, and a profile whose parts add up. */
import t from "tap";
import { selectBackend } from "../../flash/backend.js";
import { autoscalingProfile } from "../../experiments/tasks/autoscaling.js";
import { benchConfig, pretrainProfile, timeEpisodes } from "../../bench/pretrain-speed.js";

await selectBackend();
// The golden profile: 20-step episodes, 2 pool pairs, tiny networks and encoder.
const tiny = autoscalingProfile("golden", 0, { traces: null, apps: null });

t.test("benchConfig: the quick sizes, or the paper's encoder on the same context", async (t) => {
  const q = benchConfig();
  t.match(q.flash, { hidden: 16, layers: 1, maxSteps: 10, contextSubsample: 1 });
  t.same(q.agent.netArch, [64, 64]);
  const p = benchConfig(true);
  t.match(p.flash, { hidden: 256, layers: 2, fcHidden: 64, embeddingDim: 32, maxSteps: 10, contextSubsample: 1 });
});

t.test("timeEpisodes: per-round seconds per episode of both sides, medians and their ratio", async (t) => {
  const e = await timeEpisodes(tiny, { warmEpisodes: 2, rounds: 2, episodesPerRound: 1 });
  t.equal(e.tl_rounds_s.length, 2);
  t.equal(e.flash_rounds_s.length, 2);
  t.ok(e.tl_s_per_episode > 0 && e.flash_s_per_episode > 0);
  t.equal(e.ratio, e.flash_s_per_episode / e.tl_s_per_episode);
  t.ok(e.tl_cpu_s_per_episode > 0 && e.flash_cpu_s_per_episode > 0);
  t.equal(e.cpu_ratio, e.flash_cpu_s_per_episode / e.tl_cpu_s_per_episode);
  t.equal(e.encoder, "BiGRU 1x8");
});

t.test("pretrainProfile: both updates, the parts with calls counted on real updates, and the remainder", async (t) => {
  const p = await pretrainProfile({ rounds: 2, calls: 2, cfg: tiny });
  t.equal(p.pairs, 2);
  t.ok(p.tl_update_ms > 0 && p.flash_update_ms > 0);
  t.ok(p.flash_kernels_per_update > p.tl_kernels_per_update, "FLASH's update runs more kernels than the vanilla one");
  t.same(
    p.parts.map((x) => x.part),
    ["context batch", "encoder forward", "encoder backward", "optimiser (encoder variables)", "host read-back"],
  );
  const part = (name: string) => p.parts.find((x) => x.part === name)!;
  t.ok(part("context batch").calls_per_update >= 1, "the conditioner builds a context batch in every update");
  t.ok(part("encoder forward").calls_per_update >= 1, "and runs the encoder");
  for (const x of p.parts) t.equal(x.ms_per_update, x.calls_per_update * x.ms_per_call);
  const sum = p.parts.reduce((a, x) => a + x.ms_per_update, 0);
  t.ok(Math.abs(p.tl_update_ms + sum + p.other_ms_per_update - p.flash_update_ms) < 1e-9, "TL + parts + other = the FLASH update");
});
