import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { CpufreqConfigError, ProcessorFileError } from "../../../sim/cpufreq/errors.js";
import {
  builtinProcessorNames,
  checkFrequency,
  effectiveGHz,
  loadProcessor,
  loadProcessors,
  nearestLevel,
  powerW,
  processorByName,
  turboLimitGHz,
  validateProcessor,
  voltageAt,
} from "../../../sim/cpufreq/processor.js";
import { SchemaError, SimConfigError } from "../../../sim/k8s/errors.js";

const spec = () => JSON.parse(JSON.stringify(processorByName("xeon-e5-2683v3"))) as Record<string, unknown>;
const clean = (o: Record<string, unknown>) => {
  delete o.levels;
  delete o.staticPowerW;
  delete o.capacitance;
  delete o.turboLimits;
  return o;
};

t.test("the built-in processors are files with the paper's frequencies", async (t) => {
  t.same(builtinProcessorNames().sort(), ["epyc-7302p", "xeon-e5-2683v3", "xeon-e5-2695v4"]);
  const a = processorByName("xeon-e5-2683v3");
  t.same([a.cores, a.minGHz, a.baseGHz, a.maxGHz], [14, 1.2, 2.0, 3.0]);
  t.equal(a.levels.length, 19, "1.2..3.0 GHz in 100 MHz P-states");
  t.equal(a.levels[0], 1.2);
  t.equal(a.levels[18], 3.0);
  const b = processorByName("xeon-e5-2695v4");
  t.same([b.cores, b.minGHz, b.baseGHz, b.maxGHz], [18, 1.2, 2.1, 3.1]);
  const c = processorByName("epyc-7302p");
  t.same([c.cores, c.minGHz, c.baseGHz, c.maxGHz, c.levels.length], [16, 1.5, 3.0, 3.3, 19]);
  for (const p of [a, b, c]) t.ok(p.sources.length >= 2, `${p.name} cites its sources`);
  // Each number the files claim has its source line (or says it is an assumption).
  for (const p of [a, b, c])
    for (const field of ["All-core", "IPC", "Memory latency", "Voltages"])
      t.ok(
        p.sources.some((s) => s.toLowerCase().startsWith(field.toLowerCase())),
        `${p.name}: a source line for ${field}`,
      );
  t.same(
    [a, b, c].map((p) => [p.allCoreTurboGHz, p.ipcRelative, p.memoryLatencyNs]),
    [
      [2.5, 1.0, 90],
      [2.6, 1.04, 88],
      [3.3, 1.1, 122],
    ],
  );
});

t.test("power: all cores busy at the all-core turbo draw TDP, idle about a third, rising with f", async (t) => {
  for (const name of builtinProcessorNames()) {
    const p = processorByName(name);
    t.ok(Math.abs(powerW(p, p.allCoreTurboGHz, 1) - p.tdpW) < 1e-9, `${name}: all cores at ${p.allCoreTurboGHz} GHz draw TDP ${p.tdpW} W`);
    const busy = powerW(p, p.baseGHz, 1);
    t.ok(busy <= p.tdpW + 1e-9, `${name}: all cores at base ${busy.toFixed(1)} W within TDP`);
    t.ok(Math.abs(powerW(p, p.minGHz, 0) - p.tdpW / 3) <= 0.05 * p.tdpW, `${name}: idle ~ TDP / 3`);
    t.ok(powerW(p, p.maxGHz, 1) >= busy && busy > powerW(p, p.minGHz, 1), `${name}: power rises with f`);
    // Dynamic power ~ V^2 f: from min to max it grows by (Vmax/Vmin)^2 * fmax/fmin.
    const dyn = (f: number) => powerW(p, f, 1) - powerW(p, f, 0);
    const want = (voltageAt(p, p.maxGHz) / voltageAt(p, p.minGHz)) ** 2 * (p.maxGHz / p.minGHz);
    t.ok(Math.abs(dyn(p.maxGHz) / dyn(p.minGHz) - want) < 1e-9, `${name}: C V^2 f`);
  }
});

t.test("turbo: the limit falls from f_max (one busy core) to the all-core turbo (all busy); within TDP everywhere", async (t) => {
  const v3 = processorByName("xeon-e5-2683v3");
  t.equal(turboLimitGHz(v3, 1), 3.0);
  t.equal(turboLimitGHz(v3, 14), 2.5);
  t.equal(turboLimitGHz(v3, 0), 3.0, "no busy core counts as one");
  t.equal(turboLimitGHz(v3, 99), 2.5);
  // Linear: 7 busy cores -> 3.0 - 0.5 * 6 / 13 = 2.769 -> the P-state below, 2.7.
  t.equal(turboLimitGHz(v3, 7), 2.7);
  t.equal(effectiveGHz(v3, 1.7, 14), 1.7, "at or below base: granted");
  t.equal(effectiveGHz(v3, 3.0, 14), 2.5, "above base with every core busy: the all-core turbo");
  t.equal(effectiveGHz(v3, 2.4, 14), 2.4, "under the limit: granted");
  for (const name of builtinProcessorNames()) {
    const p = processorByName(name);
    let last = Infinity;
    for (let n = 1; n <= p.cores; n++) {
      const f = turboLimitGHz(p, n);
      t.ok(f <= last && f >= p.allCoreTurboGHz - 1e-9 && f <= p.maxGHz, `${name}: non-increasing in busy cores, within [all-core, max]`);
      last = f;
      const watts = powerW(p, f, n / p.cores);
      if (watts > p.tdpW + 1e-9) t.fail(`${name}: ${n} busy cores at ${f} GHz draw ${watts.toFixed(1)} W > TDP`);
    }
  }
  t.equal(turboLimitGHz(processorByName("epyc-7302p"), 16), 3.3, "the EPYC boosts every core to 3.3 GHz");
});

t.test("frequencies: out of range is a named error, nearest P-state otherwise", async (t) => {
  const p = processorByName("epyc-7302p");
  t.equal(nearestLevel(p, 2.26), 2.3);
  t.equal(checkFrequency(p, 3.3), 3.3);
  t.throws(() => checkFrequency(p, 3.4), CpufreqConfigError);
  t.throws(() => checkFrequency(p, 1.0), /frequency: expected a frequency in \[1\.5, 3\.3\] GHz \(epyc-7302p\), got 1$/);
  t.ok(new CpufreqConfigError("x", "y", 1) instanceof SimConfigError, "extends the simulator's error");
  t.throws(() => processorByName("pentium-4"), { name: "CpufreqConfigError", message: /processor: expected one of .*xeon-e5-2683v3.*, got "pentium-4"/ });
});

t.test("bad processor files: named errors saying what was expected", async (t) => {
  const bad = (patch: Record<string, unknown>, re: RegExp) => t.throws(() => validateProcessor({ ...clean(spec()), ...patch }, "my.json"), re);
  bad({ maxGHz: 1.0 }, /my\.json: field "maxGHz": expected a maximum frequency >= minGHz \(1\.2\), got 1/);
  bad({ maxGHz: 1.2, baseGHz: 1.2 }, /field "maxGHz": expected a range holding at least 2 frequency levels/);
  bad({ memoryLatencyNs: -5 }, /field "memoryLatencyNs": expected a finite number > 0/);
  bad({ tdpW: -120 }, /field "tdpW": expected a finite number > 0/);
  bad({ voltageAtMinV: 0 }, /field "voltageAtMinV"/);
  bad({ stepGHz: 0.7 }, /field "stepGHz": expected a step that divides/);
  bad({ baseGHz: 3.5 }, /field "baseGHz": expected a base frequency in \[minGHz, maxGHz\]/);
  bad({ cores: 2.5 }, /field "cores": expected an integer/);
  bad({ turbo: true }, /field "turbo": expected one of the fields/);
  bad({ allCoreTurboGHz: 1.9 }, /field "allCoreTurboGHz": expected an all-core turbo frequency in \[baseGHz, maxGHz\] = \[2, 3\], got 1\.9/);
  bad({ ipcRelative: 0 }, /field "ipcRelative": expected a finite number > 0/);
  bad(
    { schema: "flash-adapt/cpufreq-processor@1" },
    /field "schema": expected "flash-adapt\/cpufreq-processor@2" \(an @1 file lacks allCoreTurboGHz and ipcRelative/,
  );
  const missing = clean(spec());
  delete missing.ipcRelative;
  t.throws(() => validateProcessor(missing, "my.json"), /my\.json: field "ipcRelative": expected a finite number > 0/);
  t.throws(() => validateProcessor([], "x.json"), ProcessorFileError);
  t.ok(new ProcessorFileError("f", "g", "h", 1) instanceof SchemaError);
  const dir = mkdtempSync(path.join(os.tmpdir(), "cpufreq-proc-"));
  writeFileSync(path.join(dir, "broken.json"), "{ not json");
  t.throws(() => loadProcessor(path.join(dir, "broken.json")), /broken\.json: field "\(root\)": expected valid JSON/);
  t.throws(() => loadProcessor(path.join(dir, "missing.json")), /missing\.json: field "\(file\)": expected a readable JSON file/);
  const mine = { ...clean(spec()), name: "my-cpu", maxGHz: 2.5 };
  writeFileSync(path.join(dir, "broken.json"), JSON.stringify(mine));
  const procs = loadProcessors(dir);
  t.equal(procs.get("my-cpu")?.levels.length, 14, "a user processor file: 1.2..2.5 GHz");
});
