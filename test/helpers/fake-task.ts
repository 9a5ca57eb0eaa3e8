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

/** Budgets of the report and sweep tests' fake tasks: 30-episode references and adaptations, 40 pretraining episodes. */
export const REPORT_BUDGETS: RlBudgets = { ...FAKE_BUDGETS, referenceEpisodes: 30, pretrainEpisodes: 40, adaptEpisodes: 30 };
