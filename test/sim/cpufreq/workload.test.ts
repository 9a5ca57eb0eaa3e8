import t from "tap";
import { processorByName, turboLimitGHz } from "../../../sim/cpufreq/processor.js";
import { CpuServer } from "../../../sim/cpufreq/server.js";
import { busyCoreIps, compileWorkload, coreSecondsPerRequest, memoryBoundFraction, REF_GHZ } from "../../../sim/cpufreq/workload.js";
import { APP_SCHEMA, type Application } from "../../../sim/k8s/app.js";
import { generateApplications } from "../../../sim/k8s/generate.js";

const app = (segments: Application["segments"]): Application => ({ schema: APP_SCHEMA, name: "a", segments, runtimeMemoryMB: 128, sloMs: 500, load: 1 });

t.test("IPS: compute-bound code gains nearly f_max / f_min, memory-bound code under 1.3x", async (t) => {
  for (const name of ["xeon-e5-2683v3", "xeon-e5-2695v4", "epyc-7302p"]) {
    const p = processorByName(name);
    const ratio = p.maxGHz / p.minGHz;
    const cpu = compileWorkload(app([{ kind: "floatOperations", size: 50 }]), p);
    const gainCpu = busyCoreIps(cpu, p.maxGHz) / busyCoreIps(cpu, p.minGHz);
    t.ok(gainCpu > 0.9 * ratio && gainCpu <= ratio, `${name}: compute-bound ${gainCpu.toFixed(3)}x of ${ratio.toFixed(3)}x`);
    const mem = compileWorkload(app([{ kind: "objectStorageRead", size: 4096 }]), p);
    const gainMem = busyCoreIps(mem, p.maxGHz) / busyCoreIps(mem, p.minGHz);
    t.ok(gainMem > 1 && gainMem < 1.3, `${name}: memory-bound ${gainMem.toFixed(3)}x`);
  }
});

t.test("T(f) = T_mem L / L0 + T_cpu f0 / (f ipc): memory stalls scale with DRAM latency, compute with the clock and IPC", async (t) => {
  const intel = processorByName("xeon-e5-2683v3");
  const bdw = processorByName("xeon-e5-2695v4");
  const amd = processorByName("epyc-7302p");
  const a = app([{ kind: "databaseRead", size: 10000 }]);
  const wi = compileWorkload(a, intel);
  // databaseRead at its reference size: 1 + 20 ms CPU, 70% memory stalls at 90 ns; Haswell-EP is the IPC reference.
  t.ok(Math.abs(wi.memCoreS - 0.021 * 0.7) < 1e-12);
  t.ok(Math.abs(wi.cpuCoreS - 0.021 * 0.3) < 1e-12);
  t.ok(Math.abs(coreSecondsPerRequest(wi, 1.25) - (0.021 * 0.7 + 0.021 * 0.3 * (REF_GHZ / 1.25))) < 1e-12);
  const wa = compileWorkload(a, amd);
  t.ok(Math.abs(wa.memCoreS - (wi.memCoreS * 122) / 90) < 1e-12, "122 ns vs 90 ns");
  t.ok(Math.abs(wa.cpuCoreS - wi.cpuCoreS / 1.1) < 1e-12, "Zen 2 retires the compute in 1 / 1.1 of Haswell's cycles");
  t.ok(Math.abs(compileWorkload(a, bdw).cpuCoreS - wi.cpuCoreS / 1.04) < 1e-12, "Broadwell: 1 / 1.04");
  t.equal(wa.instructionsPerRequest, wi.instructionsPerRequest, "the same code: the same instructions on every processor");
  t.ok(memoryBoundFraction(wi, 3) > memoryBoundFraction(wi, 1.2), "memory-bound share grows with f");
  t.ok(memoryBoundFraction(wa, 2.5) > memoryBoundFraction(wi, 2.5), "and is larger on the EPYC at one clock (slower DRAM, faster core)");
  // A compute-bound request at one clock is faster on the EPYC; a memory-bound one slower.
  const cpu = app([{ kind: "floatOperations", size: 50 }]);
  t.ok(coreSecondsPerRequest(compileWorkload(cpu, amd), 2.5) < coreSecondsPerRequest(compileWorkload(cpu, intel), 2.5));
  const mem = app([{ kind: "objectStorageRead", size: 4096 }]);
  t.ok(coreSecondsPerRequest(compileWorkload(mem, amd), 2.5) > coreSecondsPerRequest(compileWorkload(mem, intel), 2.5));
});

t.test("server: above base the cores run within the turbo limit for the busy cores; the counter shows what ran", async (t) => {
  const p = processorByName("xeon-e5-2683v3");
  const w = compileWorkload(app([{ kind: "floatOperations", size: 50 }]), p);
  const capAt = (f: number) => p.cores / coreSecondsPerRequest(w, f);
  const run = (load: number) => {
    const s = new CpuServer({ processor: p, workload: w, rates: new Float64Array(20).fill(load * capAt(2.5)), seed: 1, counterNoise: 0 });
    s.setFrequency(3.0);
    let x = s.step();
    for (let i = 0; i < 10; i++) x = s.step();
    return x;
  };
  const heavy = run(1.2);
  t.equal(heavy.requestedGHz, 3.0);
  t.equal(heavy.frequencyGHz, 2.5, "every core busy: the all-core turbo");
  t.equal(heavy.measuredFrequencyGHz, 2.5, "APERF/MPERF reports the frequency that ran");
  t.ok(Math.abs(heavy.served - capAt(2.5)) < 1e-6, "capacity at the frequency that ran");
  const light = run(0.05);
  t.ok(light.frequencyGHz > 2.5 && light.frequencyGHz <= 3.0, `a light load (${light.utilisation.toFixed(2)}) runs ${light.frequencyGHz} GHz`);
  const mid = run(0.5);
  t.equal(mid.frequencyGHz, turboLimitGHz(p, Math.ceil(mid.utilisation * p.cores - 1e-9)), "the limit of the busy cores at the frequency that ran");
});

t.test("server: deterministic per seed, conserves requests, saturates at cores / T(f)", async (t) => {
  const p = processorByName("xeon-e5-2695v4");
  const w = compileWorkload(generateApplications(3, 1)[0], p);
  const cap = (f: number) => p.cores / coreSecondsPerRequest(w, f);
  const rates = Float64Array.from({ length: 50 }, (_, i) => (i < 25 ? 0.3 : 1.5) * cap(p.minGHz));
  const run = (seed: number) => {
    const s = new CpuServer({ processor: p, workload: w, rates, seed });
    s.reset(0);
    s.setFrequency(p.minGHz);
    return Array.from({ length: 50 }, () => ({ ...s.step() }));
  };
  const a = run(1);
  t.same(a, run(1), "same seed, same steps");
  t.not(JSON.stringify(a), JSON.stringify(run(2)), "another seed, other noise");
  let arrived = 0;
  let served = 0;
  for (const x of a) {
    arrived += x.arrivals;
    served += x.served;
    t.ok(x.utilisation <= 1 + 1e-12 && x.sloPreservation <= 1 && x.sloPreservation > 0);
  }
  t.ok(Math.abs(arrived - served - a[49].backlog) < 1e-6, "arrivals = served + backlog");
  t.ok(a[40].utilisation > 0.999, "overloaded at f_min: all cores busy");
  t.ok(a[49].backlog > a[30].backlog, "the queue grows past capacity");
  t.ok(a[49].sloPreservation < a[10].sloPreservation, "queueing breaks the SLO");
  t.ok(Math.abs(a[40].served - cap(p.minGHz)) < 1e-6, "throughput = cores / T(f)");
  const s = new CpuServer({ processor: p, workload: w, rates, seed: 1 });
  t.throws(() => s.setFrequency(3.2), { name: "CpufreqConfigError", message: /expected a frequency in \[1\.2, 3\.1\] GHz/ });
  t.throws(() => new CpuServer({ processor: p, workload: w, rates: Float64Array.of(1, -1) }), /rates\[1\]: expected a finite rate >= 0/);
});
