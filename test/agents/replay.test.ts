import t from "tap";
import { Rng } from "../../flash/rng.js";
import { ReplayBuffer } from "../../agents/replay.js";

/** Transition i: obs [i, -i], nextObs [i + 0.5, 0], action [i / 1e4], reward 10 i, done on multiples of 7, ctx i mod 3. */
function addN(buf: ReplayBuffer, from: number, to: number): void {
  for (let i = from; i < to; i++) buf.add([i, -i], [i + 0.5, 0], [i / 1e4], 10 * i, i % 7 === 0, i % 3);
}

/** Every sampled row is one stored transition, whole (no field from another row); returns the ids seen. */
function sampledIds(t: Pick<typeof import("tap").default, "fail">, buf: ReplayBuffer, n: number, seed = 1): Set<number> {
  const b = buf.sample(n, new Rng(seed));
  const ids = new Set<number>();
  for (let k = 0; k < n; k++) {
    const i = b.obs[2 * k];
    const whole =
      b.obs[2 * k + 1] === -i &&
      b.nextObs[2 * k] === i + 0.5 &&
      Math.abs(b.actions[k] - i / 1e4) < 1e-6 &&
      b.rewards[k] === 10 * i &&
      b.dones[k] === (i % 7 === 0 ? 1 : 0) &&
      b.ctx[k] === i % 3;
    if (!whole) {
      t.fail(`sampled row ${k} mixes transitions: obs ${b.obs[2 * k]}, reward ${b.rewards[k]}, ctx ${b.ctx[k]}`);
      break;
    }
    ids.add(i);
  }
  return ids;
}

t.test("growth: storage doubles past its first 4096 rows and keeps every row intact", async (t) => {
  const buf = new ReplayBuffer(20_000, 2, 1);
  addN(buf, 0, 10_000); // grows 4096 -> 8192 -> 16384
  t.equal(buf.size, 10_000);
  const ids = sampledIds(t, buf, 150_000);
  t.equal(ids.size, 10_000, "every stored transition can be drawn (150 000 draws of 10 000)");
  t.equal(Math.min(...ids), 0);
  t.equal(Math.max(...ids), 9_999);
});

t.test("wrap-around: a full buffer overwrites its oldest rows first", async (t) => {
  const buf = new ReplayBuffer(5, 2, 1);
  addN(buf, 0, 8);
  t.equal(buf.size, 5, "size stays at capacity");
  t.same(
    [...sampledIds(t, buf, 500)].sort((a, b) => a - b),
    [3, 4, 5, 6, 7],
    "the five newest",
  );
  addN(buf, 8, 10);
  t.same(
    [...sampledIds(t, buf, 500)].sort((a, b) => a - b),
    [5, 6, 7, 8, 9],
  );
});

t.test("wrap-around after growth: a capacity that is not a power of two", async (t) => {
  const buf = new ReplayBuffer(5_000, 2, 1);
  addN(buf, 0, 5_003); // grows 4096 -> 5000, then rows 0, 1, 2 are overwritten by 5000, 5001, 5002
  t.equal(buf.size, 5_000);
  const ids = sampledIds(t, buf, 80_000);
  t.equal(ids.size, 5_000);
  t.equal(Math.min(...ids), 3);
  t.equal(Math.max(...ids), 5_002);
});

t.test("sampling: uniform with replacement, seeded", async (t) => {
  const buf = new ReplayBuffer(100, 2, 1);
  addN(buf, 0, 4);
  const counts = [0, 0, 0, 0];
  const b = buf.sample(8_000, new Rng(3));
  for (let k = 0; k < b.size; k++) counts[b.obs[2 * k]]++;
  for (const c of counts) t.ok(Math.abs(c - 2_000) < 200, `count ${c} of 8000 near 2000`);
  const again = Array.from(buf.sample(50, new Rng(3)).obs);
  t.same(Array.from(buf.sample(50, new Rng(3)).obs), again, "same seed, same draws");
});

t.test("errors: empty buffer, wrong widths, non-finite values; nothing is stored", async (t) => {
  const buf = new ReplayBuffer(10, 2, 1);
  t.throws(() => buf.sample(1, new Rng(0)), /empty/);
  t.throws(() => buf.add([0], [0, 0], [0], 0, false), /replay obs: expected 2 numbers, got 1/);
  t.throws(() => buf.add([0, 0], [0, 0], [0, 1], 0, false), /replay action: expected 1 numbers, got 2/);
  t.throws(() => buf.add([0, NaN], [0, 0], [0], 0, false), /finite/);
  t.throws(() => buf.add([0, 0], [0, 0], [0], Infinity, false), /finite/);
  t.equal(buf.size, 0);
  t.throws(() => new ReplayBuffer(0, 2, 1), /buffer_size/);
});
