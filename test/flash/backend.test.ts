import t from "tap";
import * as tf from "@tensorflow/tfjs";
import { BACKEND_PREFERENCE, backendInfo, selectBackend } from "../../flash/backend.js";

t.test("picks the best loadable backend and records why better ones were skipped", async (t) => {
  const info = await selectBackend();
  t.ok(BACKEND_PREFERENCE.includes(info.name));
  t.equal(tf.getBackend(), info.tfName);
  t.equal(backendInfo(), info);
  const better = BACKEND_PREFERENCE.slice(0, BACKEND_PREFERENCE.indexOf(info.name));
  t.same(
    info.unavailable.map((u) => u.name),
    better,
    "every better backend is listed as unavailable, with a reason",
  );
  for (const u of info.unavailable) t.ok(u.reason.length > 0);
});

t.test("an explicit choice is honoured and an unknown one is refused", async (t) => {
  const cpu = await selectBackend("cpu");
  t.equal(cpu.name, "cpu");
  t.equal(tf.getBackend(), "cpu");
  await t.rejects(selectBackend("gpu-please"), { message: /unknown backend "gpu-please"; known backends: tensorflow-gpu, tensorflow, wasm, cpu/ });
  const wasm = await selectBackend("wasm");
  t.equal(tf.getBackend(), "wasm");
  t.equal(wasm.name, "wasm");
});
