import t from "tap";
import { processorByName } from "../../../sim/cpufreq/processor.js";
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

t.test("T(f) = T_mem + T_cpu f0 / f, memory stalls scaled by the processor's DRAM latency", async (t) => {
  const intel = processorByName("xeon-e5-2683v3");
  const amd = processorByName("epyc-7302p");
  const a = app([{ kind: "databaseRead", size: 10000 }]);
  const wi = compileWorkload(a, intel);
  // databaseRead at its reference size: 1 + 20 ms CPU, 70% memory stalls at 90 ns.
  t.ok(Math.abs(wi.memCoreS - 0.021 * 0.7) < 1e-12);
  t.ok(Math.abs(wi.cpuCoreS - 0.021 * 0.3) < 1e-12);
  t.ok(Math.abs(coreSecondsPerRequest(wi, 1.25) - (0.021 * 0.7 + 0.021 * 0.3 * (REF_GHZ / 1.25))) < 1e-12);
  const wa = compileWorkload(a, amd);
  t.ok(Math.abs(wa.memCoreS - (wi.memCoreS * 110) / 90) < 1e-12, "110 ns vs 90 ns");
  t.ok(memoryBoundFraction(wi, 3) > memoryBoundFraction(wi, 1.2), "memory-bound share grows with f");
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
