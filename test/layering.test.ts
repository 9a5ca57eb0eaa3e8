/**
 * The folder layering of ARCHITECTURE.md ("Layers"), asserted on the import statements of every source
 * file (static, re-exports, dynamic `import()`, and type-only imports alike):
 *
 *   base modules, leaves that every folder may import, import nothing of the project:
 *     errors.ts (the error root) and flash/rng.ts (the one seeded random source; no ML,
 *     only seedrandom, so the simulators and trace generators use it too);
 *   flash/ imports no other project folder;
 *   sim/ and traces/ import nothing above them (no ML, no environments, no harness);
 *   envs/ sits on sim/, traces/ and flash/; agents/ on envs/ and flash/;
 *   experiments/ on all of those; bench/ sits above experiments/ (never the reverse);
 *   the `flash` command (experiments/cli.ts) is the entry point above them all (it runs
 *   the benchmarks too), and nothing imports it;
 *   and no import cycle, between folders or between files.
 */
import t from "tap";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FOLDERS = ["sim", "traces", "envs", "agents", "flash", "experiments", "bench"] as const;
const ROOT_FILES = ["errors.ts"];
/** Leaves every folder may import; they import nothing of the project. */
const BASE_MODULES = ["errors.ts", "flash/rng.ts"];
/** The command-line entry point: may import every folder, imported by none. */
const ENTRY_POINTS = ["experiments/cli.ts"];

/** What each layer may import besides itself and the base modules ("cli": the entry point). */
const ALLOWED: Record<string, readonly string[]> = {
  base: [],
  sim: [],
  traces: [],
  flash: [],
  envs: ["sim", "traces", "flash"],
  agents: ["flash", "envs"],
  experiments: ["sim", "traces", "flash", "envs", "agents"],
  bench: ["sim", "traces", "flash", "envs", "agents", "experiments"],
  cli: ["sim", "traces", "flash", "envs", "agents", "experiments", "bench"],
};

/** File cycles tolerated for now (none: the results schema lives in experiments/runner/results.ts). */
const KNOWN_FILE_CYCLES: string[][] = [];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...sources(rel));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The project files `file` imports (relative specifiers, .js resolved to .ts). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith(".")) continue;
    const target = path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, ".ts");
    if (target.endsWith(".ts")) out.push(target.split(path.sep).join("/"));
  }
  return out;
}

/** The layer of a file: base, cli, or its top folder. */
const folderOf = (file: string): string => (BASE_MODULES.includes(file) ? "base" : ENTRY_POINTS.includes(file) ? "cli" : file.split("/")[0]);

const files = [...ROOT_FILES, ...FOLDERS.flatMap((f) => sources(f))].map((f) => f.split(path.sep).join("/"));
const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Strongly connected components with more than one file (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

t.test("the parser sees the imports (a sanity check on known edges)", async (t) => {
  t.ok(files.length > 100, `${files.length} source files`);
  t.ok(graph.get("flash/errors.ts")?.includes("errors.ts"), "flash/errors.ts imports the error root");
  t.ok(graph.get("experiments/cli.ts")?.includes("experiments/protocols/overheads.ts"), "dynamic import() is seen");
  t.ok(graph.get("bench/flash-overhead.ts")?.includes("experiments/protocols/overheads.ts"), "bench imports the protocol");
  for (const [f, deps] of graph) for (const d of deps) if (!graph.has(d)) t.fail(`${f} imports ${d}, which is not a source file`);
});

t.test("every folder imports only the folders below it", async (t) => {
  const bad: string[] = [];
  for (const [f, deps] of graph) {
    const from = folderOf(f);
    for (const d of deps) {
      const to = folderOf(d);
      const ok = from === "base" ? false : to === from || to === "base" || ALLOWED[from].includes(to);
      if (!ok) bad.push(`${f} -> ${d}`);
    }
  }
  t.same(bad, [], "imports against the layering");
  t.same(
    BASE_MODULES.filter((f) => !graph.has(f)),
    [],
    "the base modules exist",
  );
});

t.test("no import from experiments/ into bench/ (a case study's benchmark lives beside its task; bench/ reads the descriptors)", async (t) => {
  const up = [...graph].flatMap(([f, deps]) => (folderOf(f) === "experiments" ? deps.filter((d) => folderOf(d) === "bench").map((d) => `${f} -> ${d}`) : []));
  t.same(up, [], "experiments/ files importing bench/");
  t.ok(graph.get("bench/run.ts")?.includes("experiments/tasks/index.ts"), "bench/run.ts reads the case studies");
});

t.test("no import cycle between folders", async (t) => {
  const folders = new Map<string, string[]>();
  for (const [f, deps] of graph) {
    const from = folderOf(f);
    const set = new Set(folders.get(from) ?? []);
    for (const d of deps) if (folderOf(d) !== from) set.add(folderOf(d));
    folders.set(from, [...set]);
  }
  t.same(cycles(folders), []);
});

t.test("no import cycle between files (but the listed known one)", async (t) => {
  const found = cycles(graph);
  const known = (c: string[]) => KNOWN_FILE_CYCLES.some((k) => k.length === c.length && k.every((f) => c.includes(f)));
  t.same(
    found.filter((c) => !known(c)),
    [],
    "new cycles",
  );
  for (const k of KNOWN_FILE_CYCLES) {
    if (!found.some((c) => known(c) && c.length === k.length)) t.fail(`known cycle ${k.join(" <-> ")} is gone: remove it from KNOWN_FILE_CYCLES`);
  }
});

/**
 * Inside experiments/, from the bottom: the leaves (options, statistics, timing, dataset
 * names); the runner's infrastructure (units, executors, pool, queue, config and results
 * schemas); the report; the case studies (tasks/); the protocols; what runs on them (the
 * rcs reproduction, the study commands); and the drivers on top (the `flash` command, its
 * harness commands, `runRl`, the worker command, the golden runs). A file imports its own
 * rank or lower ones. ARCHITECTURE.md, "Layers", describes the same.
 */
/** The drivers that live in runner/ beside its infrastructure: what `flash` dispatches to (runs, rooms, plans). */
const DRIVERS = [
  "experiments/cli.ts",
  "experiments/runner/commands.ts",
  "experiments/runner/run-rl.ts",
  "experiments/runner/run-room.ts",
  "experiments/runner/plan-run.ts",
  "experiments/runner/plan.ts",
  "experiments/runner/calibrate.ts",
  "experiments/runner/queue/command.ts",
];

const EXPERIMENT_RANKS: [rank: number, name: string, match: (f: string) => boolean][] = [
  [6, "drivers", (f) => DRIVERS.includes(f) || f.startsWith("experiments/golden/")],
  [0, "leaves", (f) => /^experiments\/[^/]+\.ts$/.test(f)],
  [1, "runner", (f) => f.startsWith("experiments/runner/")],
  [2, "report", (f) => f.startsWith("experiments/report/")],
  [3, "tasks", (f) => f.startsWith("experiments/tasks/")],
  [4, "protocols", (f) => f.startsWith("experiments/protocols/")],
  [5, "applications", (f) => f.startsWith("experiments/rcs/") || f.startsWith("experiments/studies/")],
];

/**
 * Upward imports allowed by design: a case study's descriptor loads its own reproduction
 * lazily (rcs has its own protocol); the RL kit stops a reference at the plateau the
 * protocol defines (one definition, protocols/plateau.ts, read by the kit while training).
 */
const EXPERIMENT_EXCEPTIONS = [
  /^experiments\/tasks\/rcs-case\.ts -> experiments\/rcs\//,
  /^experiments\/tasks\/rl-flash-kit\.ts -> experiments\/protocols\/plateau\.ts$/,
];

function experimentRank(f: string): [number, string] {
  const hit = EXPERIMENT_RANKS.find(([, , match]) => match(f));
  if (!hit) throw new Error(`${f}: no rank inside experiments/ (add it to EXPERIMENT_RANKS)`);
  return [hit[0], hit[1]];
}

t.test("inside experiments/: the runner below the protocols, the drivers above them", async (t) => {
  const bad: string[] = [];
  for (const [f, deps] of graph) {
    if (!f.startsWith("experiments/")) continue;
    const [from, fromName] = experimentRank(f);
    for (const d of deps) {
      if (!d.startsWith("experiments/")) continue;
      const [to, toName] = experimentRank(d);
      const edge = `${f} -> ${d}`;
      if (to > from && !EXPERIMENT_EXCEPTIONS.some((re) => re.test(edge))) bad.push(`${edge} (${fromName} imports ${toName})`);
    }
  }
  t.same(bad, [], "imports up the experiments/ ranks");
  t.equal(experimentRank("experiments/runner/pool.ts")[1], "runner");
  t.equal(experimentRank("experiments/runner/run-rl.ts")[1], "drivers");
  for (const re of EXPERIMENT_EXCEPTIONS)
    t.ok(
      [...graph].some(([f, deps]) => deps.some((d) => re.test(`${f} -> ${d}`))),
      `the exception ${re} is still used (remove it from EXPERIMENT_EXCEPTIONS when it goes)`,
    );
  for (const f of DRIVERS) t.ok(graph.has(f), `driver ${f} exists`);
});
