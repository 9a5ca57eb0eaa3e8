import t from "tap";
import { APP_SCHEMA, validateApplication, type Application } from "../../../sim/k8s/app.js";
import { Cluster, STAT, NSTAT } from "../../../sim/k8s/cluster.js";
import { SimConfigError } from "../../../sim/k8s/errors.js";
import { compileApplication, serviceSeconds } from "../../../sim/k8s/profile.js";
import { erlangC, waitQuantile } from "../../../sim/k8s/queue.js";

// A hand-written application the generator never produced: parallel matrix work + I/O.
const app: Application = validateApplication({
  schema: APP_SCHEMA,
  name: "unseen-app",
  segments: [
    { kind: "matrixMultiplication", size: 256 },
    { kind: "objectStorageRead", size: 1024 },
  ],
  runtimeMemoryMB: 128,
  sloMs: 400,
  load: 1,
});

function steady(cpuLimit: number, opts: { replicas?: number; rate?: number; memoryLimitMB?: number; seed?: number } = {}) {
  const c = new Cluster({ seed: opts.seed ?? 1 });
  const d = c.addDeployment(app, { replicas: opts.replicas ?? 4, cpuLimit, memoryLimitMB: opts.memoryLimitMB ?? 512 }, { startReady: true });
  c.setRate(d, opts.rate ?? 20);
  let p99 = 0;
  for (let i = 0; i < 120; i++) {
    c.tick();
    if (i >= 60) p99 += c.stats[d * NSTAT + STAT.p99Seconds] / 60;
  }
  return { c, d, p99, m: c.metrics(d) };
}

t.test("Erlang C matches textbook values", async (t) => {
  // M/M/1: P(wait) = rho.
  t.ok(Math.abs(erlangC(1, 0.7) - 0.7) < 1e-12);
  // c = 2, a = 1: C = 1/3.
  t.ok(Math.abs(erlangC(2, 1) - 1 / 3) < 1e-12);
  t.equal(erlangC(3, 3), 1, "saturated");
  t.equal(waitQuantile(2, 3, 1, 0.99), Infinity);
  // M/M/1 lambda .5 mu 1: P(W>t) = .5 e^{-.5 t} = .01 -> t = 2 ln 50.
  t.ok(Math.abs(waitQuantile(1, 0.5, 1, 0.99) - 2 * Math.log(50)) < 1e-9);
});

t.test("more CPU lowers latency until the segments' parallelism saturates", async (t) => {
  const prof = compileApplication(app);
  const s = [0.25, 0.5, 1, 2, 4, 8].map((c) => serviceSeconds(prof, c));
  for (let i = 1; i < 4; i++) t.ok(s[i] < s[i - 1], `service time falls from ${s[i - 1]} to ${s[i]}`);
  // Matrix multiply uses at most 4 cores: beyond that nothing changes.
  t.equal(s[4], s[5]);
  const lat = [0.5, 1, 1.5, 2, 3].map((c) => steady(c).p99);
  for (let i = 1; i < lat.length; i++) t.ok(lat[i] < lat[i - 1], `p99 ${lat[i - 1].toFixed(3)} -> ${lat[i].toFixed(3)} s`);
  // Under-provisioned: capacity 4 / 0.29 s < 20 req/s: requests time out and are dropped.
  const starved = steady(0.25);
  t.ok(starved.m.dropped > 0, "overload drops requests");
  t.equal(starved.m.p99Seconds, 30, "p99 capped at the request timeout");
});

t.test("memory pressure near the limit slows requests", async (t) => {
  const peak = compileApplication(app).peakMemoryMB;
  const roomy = steady(1, { memoryLimitMB: peak * 2 }).m.serviceSeconds;
  const tight = steady(1, { memoryLimitMB: peak * 1.05 }).m.serviceSeconds;
  t.ok(tight > roomy * 1.5, `service ${roomy} -> ${tight} near the limit`);
});

t.test("a working set above the limit means OOM kills and restart back-off", async (t) => {
  const peak = compileApplication(app).peakMemoryMB;
  const c = new Cluster({ seed: 3 });
  const d = c.addDeployment(app, { replicas: 3, cpuLimit: 1, memoryLimitMB: peak * 0.8 }, { startReady: true });
  c.setRate(d, 5);
  let kills = 0;
  let readyTicks = 0;
  for (let i = 0; i < 120; i++) {
    c.tick();
    kills += c.metrics(d).oomKills;
    readyTicks += c.metrics(d).ready;
  }
  t.ok(kills >= 3, `${kills} OOM kills`);
  // 10 s, 20 s, 40 s back-off + 5 s start each time: pods are rarely ready.
  t.ok(readyTicks < 0.2 * 3 * 120, `ready pod-ticks ${readyTicks}`);
  // Raising the limit stops the kills once pods come back.
  c.update(d, { memoryLimitMB: peak * 2 });
  for (let i = 0; i < 400; i++) c.tick();
  t.equal(c.metrics(d).oomKills, 0);
  t.equal(c.metrics(d).ready, 3);
});

t.test("pods that no node can fit stay pending", async (t) => {
  const c = new Cluster({ seed: 1 });
  // 4-core pods: allocatable is 3.9 cores per node after the system reservation.
  const d = c.addDeployment(app, { replicas: 2, cpuLimit: 4, memoryLimitMB: 512 });
  c.setRate(d, 1);
  for (let i = 0; i < 30; i++) c.tick();
  t.equal(c.metrics(d).pending, 2);
  t.equal(c.metrics(d).ready, 0);
  t.equal(c.metrics(d).p99Seconds, 30, "no ready pod: requests wait to the timeout");
  // 3 cores: one pod per node, so 5 fit and the 6th stays pending.
  c.update(d, { cpuLimit: 3, replicas: 6 });
  for (let i = 0; i < 10; i++) c.tick();
  t.equal(c.metrics(d).ready, 5);
  t.equal(c.metrics(d).pending, 1);
  // Scaling down removes the pending pod first.
  c.update(d, { replicas: 5 });
  c.tick();
  t.equal(c.metrics(d).pending, 0);
  t.equal(c.metrics(d).ready, 5);
});

t.test("new replicas take the start delay before serving", async (t) => {
  const c = new Cluster({ seed: 1, podStartSeconds: 5 });
  const d = c.addDeployment(app, { replicas: 1, cpuLimit: 1, memoryLimitMB: 512 }, { startReady: true });
  c.update(d, { replicas: 3 });
  c.tick();
  t.equal(c.metrics(d).ready, 1);
  t.equal(c.metrics(d).starting, 2);
  for (let i = 0; i < 5; i++) c.tick();
  t.equal(c.metrics(d).ready, 3);
});

t.test("utilisation: busier replicas use more CPU; more replicas spread it", async (t) => {
  const a = steady(1, { rate: 10 }).m;
  const b = steady(1, { rate: 20 }).m;
  const c = steady(1, { rate: 20, replicas: 8 }).m;
  t.ok(b.cpuUtil > a.cpuUtil * 1.7 && b.cpuUtil < a.cpuUtil * 2.3, `${a.cpuUtil} vs ${b.cpuUtil}`);
  t.ok(c.cpuUtil < b.cpuUtil * 0.6);
  t.ok(a.memUtil > 0 && a.memUtil <= 1);
});

t.test("deterministic under a seed, different across seeds", async (t) => {
  const run = (seed: number) => {
    const c = new Cluster({ seed });
    const d = c.addDeployment(app, { replicas: 3, cpuLimit: 1, memoryLimitMB: 512 }, { startReady: true });
    const out: number[] = [];
    for (let i = 0; i < 200; i++) {
      c.setRate(d, 15 + 10 * Math.sin(i / 20));
      c.tick();
      out.push(c.stats[d * NSTAT + STAT.p99Seconds], c.stats[d * NSTAT + STAT.served]);
    }
    return out;
  };
  t.same(run(7), run(7));
  t.notSame(run(7), run(8));
});

t.test("bad configuration is refused with the field named", async (t) => {
  const c = new Cluster();
  t.throws(() => c.addDeployment(app, { replicas: 1, cpuLimit: 0, memoryLimitMB: 512 }), /cpuLimit \(cores\): expected a finite number > 0, got 0/);
  t.throws(() => c.addDeployment(app, { replicas: 1, cpuLimit: 1, memoryLimitMB: -5 }), SimConfigError);
  t.throws(() => c.addDeployment(app, { replicas: 1.5, cpuLimit: 1, memoryLimitMB: 5 }), /replicas: expected an integer/);
  t.throws(() => new Cluster({ nodes: [{ cpuCores: -1, memoryMB: 10 }] }), /nodes\[0\]\.cpuCores/);
  const d = c.addDeployment(app, { replicas: 1, cpuLimit: 1, memoryLimitMB: 512 });
  t.throws(() => c.setRate(d, NaN), /setRate/);
  t.throws(() => c.update(9, { replicas: 1 }), /deployment/);
});

t.test("a tick with an OOM kill shows the killed pod at its limit in memPeakUtil; the held-pod mean does not reach 1", async (t) => {
  const prof = compileApplication(app);
  // Between the runtime memory and the peak working set: busy pods are killed, idle ones fit.
  t.ok(prof.idleMemoryMB < prof.peakMemoryMB * 0.97);
  const c = new Cluster({ seed: 3 });
  const d = c.addDeployment(app, { replicas: 6, cpuLimit: 1, memoryLimitMB: prof.peakMemoryMB * 0.97 }, { startReady: true });
  c.setRate(d, 5);
  let killTicks = 0;
  let meanBelow1 = 0;
  for (let i = 0; i < 300; i++) {
    c.tick();
    const m = c.metrics(d);
    if (m.oomKills > 0) {
      killTicks++;
      t.equal(m.memPeakUtil, 1, `tick ${i}: ${m.oomKills} kill(s) -> memPeakUtil 1`);
      // The killed pod is in back-off from the tick of its kill.
      t.ok(m.backoff >= m.oomKills, `tick ${i}: backoff ${m.backoff} >= kills ${m.oomKills}`);
      if (m.memUtil < 1) meanBelow1++;
    } else {
      t.ok(m.memPeakUtil < 1, `tick ${i}: no kill -> memPeakUtil ${m.memPeakUtil} < 1`);
    }
    t.ok(m.memPeakUtil >= m.memUtil - 1e-12, `tick ${i}: the fullest pod ${m.memPeakUtil} >= the mean ${m.memUtil}`);
  }
  t.ok(killTicks >= 6, `${killTicks} ticks with kills`);
  t.ok(meanBelow1 > 0, `${meanBelow1} kill ticks where the held-pod mean is below 1 (what the observation used to show)`);
});

t.test("utilisation per tick is what cluster.ts documents (used / held; the fullest pod)", async (t) => {
  const prof = compileApplication(app);
  const memLimit = 1024;
  const c = new Cluster({ seed: 4, podStartSeconds: 5 });
  const d = c.addDeployment(app, { replicas: 2, cpuLimit: 1, memoryLimitMB: memLimit }, { startReady: true });
  c.setRate(d, 3);
  for (let i = 0; i < 10; i++) c.tick();
  c.update(d, { replicas: 5 }); // 3 pods starting at idle memory beside 2 ready ones
  let checked = 0;
  for (let i = 0; i < 8; i++) {
    c.tick();
    const m = c.metrics(d);
    const held = m.ready + m.starting + m.backoff;
    t.equal(m.oomKills, 0);
    const cpu = (m.served * prof.cpuSecondsPerRequest) / 1 / (held * 1);
    t.ok(Math.abs(m.cpuUtil - Math.min(1, cpu)) < 1e-12, `cpuUtil ${m.cpuUtil} = served x cpu s / (held x limit) ${cpu}`);
    const busy = Math.min(1, (m.served * m.serviceSeconds) / m.ready);
    const readyUse = prof.idleMemoryMB + busy * (prof.peakMemoryMB - prof.idleMemoryMB);
    const mean = (m.ready * readyUse + (m.starting + m.backoff) * prof.idleMemoryMB) / (held * memLimit);
    t.ok(Math.abs(m.memUtil - mean) < 1e-12, `memUtil ${m.memUtil} = used / held ${mean}`);
    t.ok(Math.abs(m.memPeakUtil - readyUse / memLimit) < 1e-12, `memPeakUtil ${m.memPeakUtil} = a ready pod's use / limit ${readyUse / memLimit}`);
    if (m.starting > 0) {
      t.ok(m.memPeakUtil > m.memUtil, "pods at idle memory pull the mean below the fullest pod");
      checked++;
    }
  }
  t.ok(checked >= 3, `${checked} ticks with starting pods`);
});
