#!/usr/bin/env node
// Functions (declarations, methods, arrows, function expressions) longer than N lines
// (default 100) in the tracked .ts/.mjs files, longest first: the code-health rule "no
// function over ~100 lines". Usage: node scripts/long-functions.mjs [N]
import ts from "typescript";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const limit = Number(process.argv[2] ?? 100);
const files = execFileSync("git", ["ls-files", "*.ts", "*.mjs"], { encoding: "utf8" }).trim().split("\n");
const rows = [];
for (const file of files) {
  const src = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const line = (pos) => src.getLineAndCharacterOfPosition(pos).line + 1;
  const nameOf = (n) =>
    n.name?.getText(src) ?? (ts.isVariableDeclaration(n.parent) || ts.isPropertyAssignment(n.parent) ? n.parent.name.getText(src) : "<anonymous>");
  const visit = (n) => {
    if (ts.isFunctionLike(n) && n.body) {
      const lines = line(n.getEnd()) - line(n.getStart(src)) + 1;
      if (lines > limit) rows.push({ lines, at: `${file}:${line(n.getStart(src))}`, name: nameOf(n) });
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
}
rows.sort((a, b) => b.lines - a.lines);
for (const r of rows) console.log(`${r.lines}\t${r.at}\t${r.name}`);
