/**
 * One parametrised suite over the agents (as SB3 runs one test over every algorithm):
 * a time-limit truncation bootstraps from the final observation, a termination does not.
 *   - off-policy (DDPG, DQN): the replay buffer's done flag is 1 exactly on terminations;
 *   - on-policy (PPO): a truncated step's stored reward is r + gamma * V(final observation),
 *     a terminated step's is r.
 */
import t from "tap";
import { selectBackend } from "../../flash/backend.js";
import { Rng } from "../../flash/rng.js";
import type { Env } from "../../envs/env.js";
import { DDPG, FIRM_DDPG_DEFAULTS } from "../../agents/ddpg.js";
import { DQN, ZOO_DQN_CARTPOLE } from "../../agents/dqn.js";
import { PPO } from "../../agents/ppo.js";
import { RolloutBuffer } from "../../agents/rollout.js";
import { train } from "../../agents/train.js";
import { Countdown, type EpisodeEnd } from "../helpers/toy-envs.js";

await selectBackend();

interface OffPolicyCase {
  name: string;
  action: "box" | "discrete";
  make(env: Env): DDPG | DQN;
}

const OFF_POLICY: OffPolicyCase[] = [
  { name: "DDPG", action: "box", make: (env) => new DDPG(env, { ...FIRM_DDPG_DEFAULTS, netArch: [16], learningStarts: 10, batchSize: 8 }, { seed: 0 }) },
  {
    name: "DQN",
    action: "discrete",
    make: (env) => new DQN(env, { ...ZOO_DQN_CARTPOLE.config, netArch: [16], learningStarts: 10, batchSize: 8 }, { seed: 0 }),
  },
];

const ENDS: EpisodeEnd[] = ["terminated", "truncated"];

for (const c of OFF_POLICY) {
  for (const end of ENDS) {
    t.test(`${c.name}: an episode ${end} by the env is stored with done = ${end === "terminated" ? 1 : 0}`, async (t) => {
      const env = new Countdown(5, end, c.action);
      const agent = c.make(env);
      train(agent, env, { totalTimesteps: 40, seed: 0 });
      t.equal(agent.replay.size, 40);
      const b = agent.replay.sample(400, new Rng(1));
      let ends = 0;
      for (let k = 0; k < b.size; k++) {
        const last = b.nextObs[k] === 1; // Countdown's final observation
        if (last) ends++;
        if (b.dones[k] !== (last && end === "terminated" ? 1 : 0)) {
          t.fail(`transition to ${b.nextObs[k]} stored with done ${b.dones[k]}`);
          break;
        }
      }
      t.ok(ends > 40, `${ends} of 400 sampled transitions end an episode (1 in 5 expected)`);
      agent.dispose();
    });
  }
}

for (const end of ENDS) {
  t.test(`PPO: a step ${end} stores ${end === "terminated" ? "r" : "r + gamma * V(final observation)"}`, async (t) => {
    const gamma = 0.5;
    const agent = new PPO(new Countdown(2, end, "discrete"), { nSteps: 4, batchSize: 4, nEpochs: 1, gamma }, { seed: 0 });
    agent.startRollouts(1);
    // The rollout runs on the initial weights (the update follows it), so V is read now.
    const vFinal = agent.values(Float32Array.of(1), Int32Array.of(0))[0];
    t.ok(Math.abs(vFinal) > 1e-4, `V(final observation) = ${vFinal} is not zero, so the check below can tell`);
    train(agent, new Countdown(2, end, "discrete"), { totalTimesteps: 4, seed: 0 });
    const rewards = Array.from((agent as unknown as { buffer: RolloutBuffer }).buffer.rewards);
    const final = end === "terminated" ? 1 : 1 + gamma * vFinal;
    // Steps 1 and 3 (0-based) end an episode; steps 0 and 2 are mid-episode.
    t.equal(rewards[0], 1, "mid-episode reward untouched");
    t.equal(rewards[2], 1, "mid-episode reward untouched");
    t.ok(Math.abs(rewards[1] - final) < 1e-6, `episode end: stored ${rewards[1]}, expected ${final}`);
    t.ok(Math.abs(rewards[3] - final) < 1e-6, `episode end: stored ${rewards[3]}, expected ${final}`);
    agent.dispose();
  });
}
