/** The SIMD element-wise loops compute exactly the float32 expressions they declare (as Math.fround after every operation). */
import t from "tap";
import { compileKernels, type Expr, type Kernel } from "../../flash/wasm-simd.js";
import { Rng } from "../../flash/rng.js";

const f = Math.fround;

/** The expression of `k` at one element, in JavaScript with Math.fround after every operation. */
function evalExpr(e: Expr, operand: (i: number) => number, temps: Map<string, number>): number {
  if (typeof e === "number") return operand(e);
  if (typeof e === "string") return temps.get(e) as number;
  const [op, a, b] = e;
  const [x, y] = [evalExpr(a, operand, temps), evalExpr(b, operand, temps)];
  return f(op === "+" ? x + y : op === "-" ? x - y : x * y);
}

const kernels: Kernel[] = [
  { name: "addSum", operands: ["m", "m", "m", "m"], stores: [[0, ["+", 1, ["+", 2, 3]]]] },
  {
    name: "twoOut",
    operands: ["m", "m", "m", "m", "s"],
    temps: [
      ["d", ["-", 2, 3]],
      ["p", ["*", "d", 4]],
    ],
    stores: [
      [0, ["+", "p", 2]],
      [1, ["*", "d", "d"]],
    ],
  },
];

t.test("every kernel equals its expression in JavaScript, bit for bit, over strides, broadcast rows, row scalars and remainder columns", async (t) => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const loops = compileKernels(memory, kernels);
  t.ok(loops, "compiled (WebAssembly SIMD available)");
  if (!loops) return;
  const heap = new Float32Array(memory.buffer);
  const rng = new Rng(5);
  for (let i = 0; i < 20_000; i++) heap[i] = i % 97 === 0 ? -0 : rng.normal() * 10 ** rng.int(-3, 4);
  for (const cols of [1, 3, 4, 7, 16, 18]) {
    const rows = 5;
    for (const k of kernels) {
      // Operand i at float offset 2000 (i + 1) with stride cols + i (the third input: stride 0, one row repeated).
      const at = k.operands.map((_, i) => 2000 * (i + 1));
      const stride = k.operands.map((kind, i) => (kind === "s" ? 0 : i === 3 ? 0 : cols + i));
      const outs = new Set(k.stores.map(([o]) => o));
      const args = k.operands.flatMap((kind, i) => (kind === "m" ? [4 * at[i], stride[i]] : [4 * at[i]]));
      const before = heap.slice();
      loops[k.name](rows, cols, ...args);
      let wrong = 0;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const operand = (i: number) => (k.operands[i] === "s" ? before[at[i] + r] : before[at[i] + r * stride[i] + c]);
          const temps = new Map<string, number>();
          for (const [name, e] of k.temps ?? []) temps.set(name, evalExpr(e, operand, temps));
          for (const [o, e] of k.stores) {
            const want = evalExpr(e, operand, temps);
            const got = heap[at[o] + r * stride[o] + c];
            if (!Object.is(want, got) && !(Number.isNaN(want) && Number.isNaN(got))) wrong++;
          }
        }
      }
      t.equal(wrong, 0, `${k.name}, ${cols} columns`);
      // Nothing outside the outputs' elements changed.
      let stray = 0;
      const written = new Set<number>();
      for (const o of outs) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) written.add(at[o] + r * stride[o] + c);
      for (let i = 0; i < 20_000; i++) if (!written.has(i) && !Object.is(heap[i], before[i])) stray++;
      t.equal(stray, 0, `${k.name}, ${cols} columns: only the outputs written`);
      heap.set(before);
    }
  }
});
