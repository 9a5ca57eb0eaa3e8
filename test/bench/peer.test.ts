import t from "tap";
import { findTorchPython, PEER_ROWS, peerTable } from "../../bench/peer.js";

t.test("the peer table divides our time by PyTorch's, and their GFLOP/s by ours", async (t) => {
  const ours = { matmul_1024_gflops: 25, ddpg_update_ms: 6, dqn_update_ms: 1 };
  const torch = { torch_version: "1.13", matmul_1024_gflops: 100, ddpg_update_ms: 3, dqn_update_ms: 0.5 };
  const { markdown, ratios } = peerTable(ours, torch);
  t.equal(ratios.matmul_1024_gflops, 4);
  t.equal(ratios.ddpg_update_ms, 2);
  t.equal(ratios.dqn_update_ms, 2);
  t.notOk("bigru_forward_1pair_ms" in ratios, "a row one side lacks has no ratio");
  t.equal(markdown.trim().split("\n").length, 2 + PEER_ROWS.length, "header, rule and one line per row");
  t.match(markdown, /\| DDPG update, actor & critic 2 x 256, batch 64 \| 3\.00 \| 6\.00 \| 2\.0x \|/);
  t.match(markdown, /paper BiGRU, 32 seqs x 100 steps, forward \| - \| - \| - \|/);
});

t.test("PEER_PYTHON, when set, is the only python tried", async (t) => {
  const before = process.env.PEER_PYTHON;
  t.teardown(() => {
    if (before === undefined) delete process.env.PEER_PYTHON;
    else process.env.PEER_PYTHON = before;
  });
  process.env.PEER_PYTHON = "/nonexistent";
  t.equal(findTorchPython(), undefined);
});
