/** The update-overhead benchmark measures through the overheads protocol: one row per configuration. */
import t from "tap";
import { selectBackend } from "../../flash/backend.js";
import { benchFlashOverhead, type FlashOverheadConfig } from "../../bench/flash-overhead.js";

await selectBackend();

t.test("benchFlashOverhead: a row per configuration from the protocol, the headline among them", async (t) => {
  const configs: FlashOverheadConfig[] = [
    { hidden: 4, layers: 1, contextSize: 2, subsample: 1, maxSteps: 5 },
    { encoder: "tcn", hidden: 4, layers: 2, contextSize: 2, subsample: 2, maxSteps: 5, patch: 2 },
  ];
  const r = await benchFlashOverhead({ quick: true, configs });
  t.equal(r.rows.length, 2);
  for (const [i, row] of r.rows.entries()) {
    t.match(row, configs[i], "the row carries its configuration");
    t.ok(row.encoder_params > 0);
    t.ok(row.updates >= 2, `${row.updates} FLASH updates timed (2 rounds)`);
    t.ok(row.flash_update_ms > 0 && row.base_update_ms > 0);
  }
  t.ok(
    r.rows.some((row) => row.update_overhead_ratio === r.update_overhead_ratio),
    "the headline is one of the rows",
  );
  t.equal(r.update_overhead_ratio_tcn, r.rows[1].update_overhead_ratio, "the first TCN row");
  t.ok(Number.isNaN(r.update_overhead_ratio_paper_encoder), "no row with the paper's encoder");
});
