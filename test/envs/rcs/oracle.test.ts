import t from "tap";
import { configurationKeys, configurationScale, durationProfile, workloadOracle, type RcsPoint, type RcsWorkload } from "../../../envs/rcs/index.js";

const point = (key: string, duration: number): RcsPoint => ({ key, env: "serverless", config: [Math.log2(Number(key))], duration, metrics: [], runs: 1 });
const workload = (id: string, pts: [string, number][]): RcsWorkload => ({
  id,
  app: id.split("#")[0],
  variant: "0",
  source: "synthetic",
  runtime: "nodejs",
  points: pts.map(([k, d]) => point(k, d)),
});

t.test("configurationKeys: memory sizes in numeric order, once each", async (t) => {
  const ws = [
    workload("a", [
      ["1024", 1],
      ["128", 8],
    ]),
    workload("b", [
      ["256", 4],
      ["1024", 2],
    ]),
  ];
  t.same(configurationKeys(ws), ["128", "256", "1024"]);
});

t.test("durationProfile: log2 durations relative to their mean, 0 where not measured", async (t) => {
  const keys = ["128", "256", "512", "1024"];
  // log2: 3, 2, -, 0 -> mean 5/3
  const p = durationProfile(
    workload("a", [
      ["128", 8],
      ["256", 4],
      ["1024", 1],
    ]),
    keys,
  );
  const m = 5 / 3;
  t.same(
    p.map((v) => Number(v.toFixed(9))),
    [3 - m, 2 - m, 0, -m].map((v) => Number(v.toFixed(9))),
  );
  t.equal(
    durationProfile(
      workload("b", [
        ["128", 80],
        ["256", 40],
        ["1024", 10],
      ]),
      keys,
    )
      .map((v) => v.toFixed(9))
      .join(),
    p.map((v) => v.toFixed(9)).join(),
    "scale-free: 10x slower everywhere, same profile",
  );
});

t.test("workloadOracle: a workload listed twice keeps its first (complete) entry", async (t) => {
  const full = workload("a#0", [
    ["128", 8],
    ["256", 4],
    ["512", 2],
  ]);
  const filtered = { ...full, points: full.points.slice(2) };
  const o = workloadOracle([full, filtered, workload("b#0", [["128", 1]])]);
  t.same(o.keys, ["128", "256", "512"]);
  t.same(o.profiles.get("a#0"), [1, 0, -1]);
  t.same(o.profiles.get("b#0"), [0, 0, 0]);
  t.equal(o.workloads.get("a#0"), full);
  t.same(o.configScale, configurationScale([[7], [8], [9], [7]]), "the scale of every point of the complete workloads");
  t.same(
    configurationScale([
      [1, 5],
      [3, 5],
    ]),
    { mean: [2, 5], std: [1, 0] },
  );
});
