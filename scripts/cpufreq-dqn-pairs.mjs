#!/usr/bin/env node
// What a finished cpufreq reproduction's reference DQNs do, pair by pair, on the
// evaluation windows: the levels they choose (histogram, % of steps), SLO preservation,
// power, GHz and return, beside the pair's best fixed level (best on these same windows)
// and schedutil, with the reference rule's reference_source from results.json.
// usage: node scripts/cpufreq-dqn-pairs.mjs DIST RUN_DIR   (DIST: the build the run used, e.g. ./dist)
const [distArg, runDir] = process.argv.slice(2);
const { readFileSync, existsSync } = await import("node:fs");
const path = await import("node:path");
const { pathToFileURL } = await import("node:url");
// Dynamic imports resolve against this file, so DIST is made an absolute URL first.
const dist = pathToFileURL(path.resolve(distArg)).href;
const { DQN } = await import(`${dist}/agents/dqn.js`);
const { Governor } = await import(`${dist}/agents/baselines/governors.js`);
const { workDirOf } = await import(`${dist}/experiments/runner/pool.js`);
const { dqnConfig, governorEpisode, validateCpufreqConfig } = await import(`${dist}/experiments/tasks/cpufreq.js`);
const { makeCpufreqEnv } = await import(`${dist}/experiments/tasks/cpufreq-pairs.js`);
const { EVAL_SEED, runEpisode } = await import(`${dist}/experiments/tasks/rl-flash-kit.js`);
const { selectBackend } = await import(`${dist}/flash/backend.js`);
await selectBackend("wasm");
const cfg = validateCpufreqConfig(JSON.parse(readFileSync(path.join(runDir, "config.json"), "utf8")).taskConfig, "cfg");
const res = JSON.parse(readFileSync(path.join(runDir, "results.json"), "utf8"));
const N = cfg.budgets.evalEpisodes;
function summarise(env, act) {
  const lv = new Array(8).fill(0);
  let sp = 0,
    pw = 0,
    ghz = 0,
    ret = 0,
    n = 0;
  for (let e = 0; e < N; e++) {
    const ep = runEpisode(
      env,
      EVAL_SEED + e,
      (o) => {
        const a = act(o);
        lv[a[0]]++;
        return a;
      },
      (r) => {
        sp += r.info.sp;
        pw += r.info.powerW;
        ghz += r.info.frequencyGHz;
        n++;
        ret += r.reward;
      },
    );
  }
  const tot = lv.reduce((a, b) => a + b, 0);
  const top = lv.indexOf(Math.max(...lv));
  return { ret: ret / N, sp: sp / n, pw: pw / n, ghz: ghz / n, top, topShare: lv[top] / tot, hist: lv.map((x) => Math.round((100 * x) / tot)) };
}
const pairs = [...cfg.testPairs.map((p) => [p, [0, 1]]), ...cfg.updatePairs.map((p) => [p, [0]])];
const fmt = (s) => `${s.ret.toFixed(1)} sp ${s.sp.toFixed(2)} ${s.pw.toFixed(0)}W ${s.ghz.toFixed(2)}GHz`;
for (const [p, reps] of pairs) {
  const env = makeCpufreqEnv(cfg, p, 0);
  const fixed = Array.from({ length: 8 }, (_, k) => summarise(env, () => [k]));
  const best = fixed.reduce((b, x, k) => (x.ret > fixed[b].ret ? k : b), 0);
  let g = { ret: 0, sp: 0, pw: 0, ghz: 0 };
  {
    const gov = new Governor("schedutil", env.processor);
    let sp = 0,
      pw = 0,
      ghz = 0,
      n = 0,
      ret = 0;
    for (let e = 0; e < N; e++)
      ret += governorEpisode(env, gov, EVAL_SEED + e, (r) => {
        sp += r.info.sp;
        pw += r.info.powerW;
        ghz += r.info.frequencyGHz;
        n++;
      });
    g = { ret: ret / N, sp: sp / n, pw: pw / n, ghz: ghz / n };
  }
  const ref = res.references?.find((r) => r.pair === p.id) ?? res.updates?.references?.find((r) => r.pair === p.id);
  console.log(
    `${p.id}${p.scenario ? " [" + p.scenario + "]" : ""}: best fixed L${best} ${fmt(fixed[best])} | schedutil ${fmt(g)} | source ${ref?.reference_source ?? "?"}`,
  );
  for (const k of reps) {
    const dir = workDirOf(runDir, `ref/${p.id}/r${k}`);
    if (!existsSync(path.join(dir, "agent"))) {
      console.log(`  r${k}: no agent`);
      continue;
    }
    const agent = new DQN(env, dqnConfig(cfg, 0), { seed: 0 });
    await agent.load(path.join(dir, "agent"), "cpufreq");
    const s = summarise(env, (o) => Array.from(agent.predict(o, { deterministic: true })));
    agent.dispose();
    console.log(`  DQN r${k}: ${fmt(s)} top L${s.top} ${(100 * s.topShare).toFixed(0)}% levels% ${s.hist.join("/")}`);
  }
}
