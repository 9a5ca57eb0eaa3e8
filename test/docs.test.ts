/**
 * The documents a newcomer reads hold what they claim about the repository: the README's
 * test line is the one CI runs, its length stays a five-minute read, every relative link
 * of the README, ARCHITECTURE.md and the measurement records reaches a file (and a heading,
 * when it names one), ARCHITECTURE.md names the executors and shows the registration line
 * as the registry spells it, and no file cites a document outside the repository.
 */
import t from "tap";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EXECUTOR_NAMES } from "../experiments/runner/executors.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const read = (rel: string): string => readFileSync(path.join(root, rel), "utf8");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a Markdown file's headings (outside fenced code), numbered as GitHub numbers repeats. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = headingSlug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative Markdown links `[text](target)` of a file, outside fenced code. */
function relativeLinks(text: string): string[] {
  const body = text.replace(/```[\s\S]*?```/g, "");
  return [...body.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/i.test(l));
}

/** Why each relative link of `file` does not resolve (none: all do). */
function brokenLinks(file: string): string[] {
  const bad: string[] = [];
  for (const link of relativeLinks(read(file))) {
    const [target, anchor] = link.split("#");
    const abs = target ? path.resolve(path.dirname(path.join(root, file)), target) : path.join(root, file);
    if (!existsSync(abs)) {
      bad.push(`${file}: ${link}: no such file`);
      continue;
    }
    if (anchor && abs.endsWith(".md") && !anchorsOf(readFileSync(abs, "utf8")).has(anchor)) bad.push(`${file}: ${link}: no heading with that anchor`);
  }
  return bad;
}

const RESULTS = readdirSync(path.join(root, "docs/results"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `docs/results/${f}`);

t.test("the anchor rule is GitHub's on headings this repository uses", async (t) => {
  t.equal(headingSlug("Verdicts per case study"), "verdicts-per-case-study");
  t.equal(headingSlug("FLASH core (`flash bench --out runs/bench.json`)"), "flash-core-flash-bench---out-runsbenchjson");
  t.equal(headingSlug("From a fresh clone with no ../shared beside it"), "from-a-fresh-clone-with-no-shared-beside-it");
  t.same([...anchorsOf("# A\n## B\n```\n# not a heading\n```\n## B\n")], ["a", "b", "b-1"]);
  t.same(relativeLinks("[x](a.md) [y](https://e.org) [z](b.md#c)\n```\n[w](d.md)\n```"), ["a.md", "b.md#c"]);
});

t.test("the README: CI runs its test line; a five-minute read", async (t) => {
  const readme = read("README.md");
  const ci = read(".ci/run");
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const commands = block.split("\n").map((l) => l.replace(/#.*$/, "").trim());
  t.ok(commands.includes("npm ci && npm test"), "the README's opening block has the test line");
  t.ok(commands.includes("npm ci && npm run demo"), "and the demo line");
  t.ok(
    ci.split("\n").some((l) => l.trim() === "npm ci && npm test"),
    ".ci/run runs that very line",
  );
  const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
  t.ok(pkg.scripts.demo && pkg.scripts.test, "package.json defines demo and test");
  const lines = readme.split("\n").length;
  t.ok(lines <= 260, `README.md has ${lines} lines (at most ~250)`);
  t.match(readme, /\| case study \| run \|/, "it has the verdict table");
});

t.test("every relative link in the README, ARCHITECTURE.md and the records resolves", async (t) => {
  const files = ["README.md", "ARCHITECTURE.md", "data/README.md", "docs/notes/README.md", ...RESULTS];
  t.same(files.flatMap(brokenLinks), []);
});

t.test("docs/results/README.md lists every record in the folder", async (t) => {
  const index = read("docs/results/README.md");
  const missing = RESULTS.filter((f) => !f.endsWith("/README.md") && !index.includes(`](${path.basename(f)})`));
  t.same(missing, [], "records without a line in the index");
});

t.test("ARCHITECTURE.md: the executors by name, the registration as the registry spells it", async (t) => {
  const arch = read("ARCHITECTURE.md");
  for (const name of EXECUTOR_NAMES) t.match(arch, `\`${name}\``, `names executor ${name}`);
  const registry = read("experiments/tasks/index.ts");
  const real = /export const CASE_STUDIES[^\n]*\[([^\]]*)\]/.exec(registry)?.[1];
  const shown = /export const CASE_STUDIES[^\n]*\[([^\]]*)\]/.exec(arch)?.[1];
  t.ok(real && shown, "both have the CASE_STUDIES line");
  t.equal(shown?.replace(/, myTaskCaseStudy$/, ""), real, "ARCHITECTURE.md's line is the registry's plus the new entry");
  for (const f of ["test/layering.test.ts", "experiments/runner/executors.ts", "experiments/tasks/case-study.ts", "experiments/runner/run-rl.ts"]) {
    t.ok(statSync(path.join(root, f)).isFile(), `${f}, which it describes, exists`);
  }
});

t.test("no file cites a document outside the repository", async (t) => {
  const outside = /DESIGN\.md|\.\.\/shared\/|\/work\/shared/;
  const skip = new Set(["node_modules", "dist", "runs", ".git", "docs/results"]);
  const bad: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(path.join(root, dir))) {
      const rel = dir ? `${dir}/${name}` : name;
      if (skip.has(rel)) continue;
      const abs = path.join(root, rel);
      if (statSync(abs).isDirectory()) walk(rel);
      else if (/\.(ts|mjs|js|md)$/.test(name) && rel !== "test/docs.test.ts" && outside.test(readFileSync(abs, "utf8"))) bad.push(rel);
    }
  };
  walk("");
  t.same(bad, [], "files naming DESIGN.md or ../shared (docs/results holds dated records of what was, and is not scanned)");
});
