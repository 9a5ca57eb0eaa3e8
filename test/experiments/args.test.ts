import t from "tap";
import { parseArgs, UsageError } from "../../experiments/args.js";

const specs = {
  out: { type: "string" as const, description: "output" },
  quick: { type: "boolean" as const, description: "quick" },
  seeds: { type: "string" as const, description: "seeds", default: "3" },
};

t.test("parses values, flags, defaults and positionals", async (t) => {
  const { options, positionals } = parseArgs(["pendulum", "--out", "x.json", "--quick"], specs);
  t.same(positionals, ["pendulum"]);
  t.equal(options.out, "x.json");
  t.equal(options.quick, true);
  t.equal(options.seeds, "3");
  t.equal(parseArgs(["--seeds=5"], specs).options.seeds, "5");
});

t.test("unknown options, missing values and valued flags are usage errors", async (t) => {
  t.throws(() => parseArgs(["--sedes", "5"], specs), { name: "UsageError", message: /unknown option --sedes; known options: --out, --quick, --seeds/ });
  t.throws(() => parseArgs(["--out"], specs), UsageError);
  t.throws(() => parseArgs(["--out", "--quick"], specs), /needs a value/);
  t.throws(() => parseArgs(["--quick=yes"], specs), /takes no value/);
});
