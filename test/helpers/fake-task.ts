/** What the fake RL tasks of the runner tests share. */
import type { RlBudgets } from "../../experiments/tasks/types.js";

/** Budgets of a fake task whose units return made-up curves: 12-episode references and adaptations, window 10. */
export const FAKE_BUDGETS: RlBudgets = {
  referenceEpisodes: 12,
  pretrainEpisodes: 4,
  adaptEpisodes: 12,
  embedEpisodes: 1,
  evalEpisodes: 1,
  abTargets: 1,
  window: 10,
  tolerance: 0.05,
};
