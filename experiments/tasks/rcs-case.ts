/**
 * The rcs case study's descriptor (case-study.ts): FLASH paper 5.1, supervised, with its
 * own reproduction (experiments/rcs/) on the repository's serverless-functions and
 * multi-cloud datasets by default (`--data` names others; experiments/rcs/data.ts).
 */
import { UsageError } from "../../errors.js";
import type { CaseStudy } from "./case-study.js";

export const rcsCaseStudy: CaseStudy = {
  name: "rcs",
  summary:
    "resource configuration search (FLASH 5.1, Table 2): Sizeless vs FLASH-Sizeless on the real serverless-functions and multi-cloud data " +
    "and on generated application pools fitted to them (--data names others; --pool N, --splits)",
  reproduce: async (o) => {
    if (o.profile !== "quick" && o.profile !== "full") throw new UsageError(`reproduce rcs: --profile must be quick or full, got ${JSON.stringify(o.profile)}`);
    const { reproduceRcs } = await import("../rcs/index.js");
    await reproduceRcs({
      data: o.data,
      profile: o.profile,
      out: o.out,
      seed: o.seed,
      backend: o.backend ?? undefined,
      iterations: o.seeds ?? undefined,
      pool: o.pool ?? undefined,
      splits: o.splits ?? undefined,
    });
  },
};
