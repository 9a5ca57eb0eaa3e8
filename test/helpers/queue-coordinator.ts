/**
 * A coordinator in its own process for the queue tests (it is killed there): runs the
 * runner test's diamond-and-chain plan on the testing executor through `--queue URL` into
 * OUT. argv: URL OUT SLEEP_MS [FAIL_UNIT]. Prints one JSON line: ran, resumed, results by id.
 */
import { planUnits, type Unit } from "../../experiments/runner/units.js";
import { runUnitsOnQueue } from "../../experiments/runner/queue/coordinator.js";

const [url, out, sleep, failUnit] = process.argv.slice(2);
const u = (id: string, deps: string[] = []): Unit => ({ id, kind: "x", deps, input: { sleepMs: Number(sleep), ...(id === failUnit ? { fail: true } : {}) } });
export const testUnits = (): Unit[] => [u("a"), u("b", ["a"]), u("c", ["a"]), u("d", ["b", "c"]), u("e/with/slash"), u("f", ["e/with/slash"])];
const plan = planUnits(testUnits(), 3, "testing@1");
const executor = "testing@1";
const r = await runUnitsOnQueue(plan, { outDir: out, executor, queue: url, heartbeatSeconds: 1, lockTtlMs: 3000, reconcileMs: 500, graceMs: 3000 });
console.log(JSON.stringify({ ran: r.ran, resumed: r.resumed, results: Object.fromEntries([...r.records].map(([k, v]) => [k, v.result])) }));
