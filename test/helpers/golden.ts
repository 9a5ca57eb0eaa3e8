/**
 * A case study's golden seeded run as a tap test: compared with its checked-in numbers
 * on a backend they are recorded for, and a tap `skip` that says why on any other (never
 * a pass: a run nobody compared proves nothing).
 */
import t from "tap";
import { selectBackend } from "../../flash/backend.js";
import { FlashModel } from "../../flash/models.js";
import { checkGoldens, goldenRecorded } from "../../experiments/golden/golden.js";

export async function goldenTest(name: string): Promise<void> {
  const backend = await selectBackend();
  const skip = goldenRecorded(name, backend.name)
    ? false
    : `no golden numbers for ${name} recorded for backend ${backend.name} (run \`flash golden --update\` on it to record them)`;
  t.test(`${name}: the golden seeded run reproduces its checked-in numbers (backend ${backend.name})`, { skip }, async (t) => {
    const res = await checkGoldens({ backend: backend.name, only: name });
    t.teardown(() => FlashModel.unregister(name));
    t.equal(res.length, 1, "one golden run");
    t.equal(res[0].status, "passed", res[0].failures.slice(0, 10).join("\n"));
  });
}
