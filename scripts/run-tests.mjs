#!/usr/bin/env node
// Runs the tap suite and ends with the plain summary line CI reads:
// "tests: N passed, M failed" (assertions), exiting with tap's own status.
import { spawn } from "node:child_process";

const child = spawn(process.execPath, ["node_modules/tap/dist/esm/run.mjs", ...process.argv.slice(2)], {
  stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, FORCE_COLOR: "0" },
});
let tail = "";
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});
child.on("close", (code, signal) => {
  // tap's base reporter prints "Asserts:  12 pass  1 fail  13 of 13 complete" last.
  const clean = tail.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  const m = [...clean.matchAll(/Asserts:\s+(\d+) pass\s+(\d+) fail/g)].pop();
  const status = code ?? (signal ? 1 : 0);
  if (m) console.log(`\ntests: ${m[1]} passed, ${Number(m[2]) + (status !== 0 && m[2] === "0" ? 1 : 0)} failed`);
  else console.log(`\ntests: 0 passed, 1 failed`);
  process.exit(status);
});
