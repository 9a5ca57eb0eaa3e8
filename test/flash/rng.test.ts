import t from "tap";
import { Rng } from "../../flash/rng.js";

t.test("same seed gives the same stream; forks are independent of consumption order", async (t) => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 5 }, () => a.next());
  t.same(
    xs,
    Array.from({ length: 5 }, () => b.next()),
  );
  t.not(new Rng(43).next(), new Rng(42).next());
  const p = new Rng(7);
  const f1 = p.fork("agent").next();
  p.next();
  t.equal(p.fork("agent").next(), f1, "fork depends only on seed and label");
});

t.test("normal has the right moments", async (t) => {
  const r = new Rng(1);
  const n = 20000;
  let s = 0,
    s2 = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    s += z;
    s2 += z * z;
  }
  t.ok(Math.abs(s / n) < 0.03);
  t.ok(Math.abs(s2 / n - 1) < 0.05);
});

t.test("int rejects an empty range", async (t) => {
  t.throws(() => new Rng(1).int(3, 3), /hi > lo/);
});
