import t from "tap";
import { ConfigError } from "../../../errors.js";
import { validateFlashSettings } from "../../../experiments/tasks/config-checks.js";
import { auxLossOption, encoderOptions } from "../../../experiments/tasks/rl-flash-kit.js";
import { createClassicFamilyTask } from "../../../experiments/tasks/classic-family.js";

const base = { hidden: 16, layers: 1, fcHidden: 16, embeddingDim: 8, contextSize: 4, maxSteps: 10, contextSubsample: 1 };

t.test("flash block: the context, encoder and auxiliary-loss options are optional and checked", async (t) => {
  t.same(validateFlashSettings(base, "cfg.flash"), base, "a block written before the options: unchanged, no option added");
  const all = { ...base, encoder: "tcn", patch: 4, selection: "random", auxLoss: "dynamics", auxWeight: 0.5 };
  t.same(validateFlashSettings(all, "cfg.flash"), all);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ encoder: "lstm" }, /cfg\.flash\.encoder: expected one of "bigru", "tcn", got "lstm"/],
    [{ selection: "best" }, /cfg\.flash\.selection: expected one of "paper", "earliest", "latest", "random", got "best"/],
    [{ auxLoss: "reward" }, /cfg\.flash\.auxLoss: expected one of "none", "dynamics", got "reward"/],
    [{ auxWeight: 0 }, /cfg\.flash\.auxWeight: expected a number > 0, got 0/],
    [{ patch: 1.5 }, /cfg\.flash\.patch: expected an integer >= 1, got 1.5/],
    [{ maxSteps: 0 }, /cfg\.flash\.maxSteps: expected an integer >= 1, got 0/],
    [{ contextSize: "all" }, /cfg\.flash\.contextSize: expected an integer >= 1, got "all"/],
    [{ context: 4 }, /cfg\.flash\.context: unknown field/],
  ];
  for (const [change, message] of bad)
    t.throws(() => validateFlashSettings({ ...base, ...change }, "cfg.flash"), { name: "ConfigError", message }, JSON.stringify(change));
  t.throws(() => validateFlashSettings({ ...base, encoder: 3 }, "cfg.flash"), ConfigError);
});

t.test("the kit's model options follow the block: encoder type and sizes, auxiliary loss", async (t) => {
  t.same(encoderOptions(base), { hidden: 16, layers: 1, fcHidden: 16, embeddingDim: 8 }, "default: the BiGRU");
  t.same(encoderOptions({ ...base, encoder: "tcn", layers: 3, patch: 4 }), { type: "tcn", channels: 16, layers: 3, patch: 4, fcHidden: 16, embeddingDim: 8 });
  t.equal(auxLossOption(base), undefined);
  t.equal(auxLossOption({ ...base, auxLoss: "none" }), undefined);
  t.same(auxLossOption({ ...base, auxLoss: "dynamics" }), { kind: "dynamics", weight: 1 });
  t.same(auxLossOption({ ...base, auxLoss: "dynamics", auxWeight: 0.1 }), { kind: "dynamics", weight: 0.1 });
});

t.test("a task's config validation reports a bad option with the field's path", async (t) => {
  const task = createClassicFamilyTask();
  const cfg = task.profile("golden", 0);
  t.throws(() => task.validateConfig({ ...cfg, flash: { ...cfg.flash, selection: "newest" } }, "taskConfig"), {
    name: "ConfigError",
    message: /taskConfig\.flash\.selection: expected one of/,
  });
  t.same(task.validateConfig({ ...cfg, flash: { ...cfg.flash, selection: "latest", auxLoss: "dynamics" } }, "taskConfig").flash.selection, "latest");
});
