/**
 * Element-wise float32 loops over the WebAssembly heap, compiled at run time into a tiny
 * WebAssembly module with 128-bit SIMD (4 lanes) that shares tfjs-backend-wasm's memory.
 *
 * Why: a small recurrent encoder's step is a few hundred element-wise operations between
 * two matrix products; in JavaScript (with `Math.fround` after each) they cost more than
 * the products themselves. Here each loop is one call that runs 4 lanes at a time.
 *
 * Exactness: f32x4.add / sub / mul and f32.add / sub / mul are IEEE float32 operations, the
 * very results `Math.fround(a op b)` and TF.js's element-wise kernels give; an expression is
 * evaluated exactly as written (no reassociation, no fused multiply-add).
 *
 * A kernel is declared as expressions over its operands (`Kernel`): matrices [rows, cols]
 * read or written at (row * stride + col), the stride given per call (0: a row vector
 * repeated on every row), and per-row scalars (one value per row, e.g. a mask). Named
 * temporaries share a subexpression. Calls take byte addresses of the heap.
 */

/** An expression: an operand (its index in `Kernel.operands`), a temporary (its name), or an operation. */
export type Expr = number | string | ["+" | "-" | "*", Expr, Expr];

export interface Kernel {
  name: string;
  /** "m": a matrix (address and stride in elements per call); "s": a per-row scalar (address per call). */
  operands: ("m" | "s")[];
  /** Temporaries, in order: each may use the operands and earlier temporaries. */
  temps?: [string, Expr][];
  /** What to store: [output operand (a matrix), expression]. */
  stores: [number, Expr][];
}

/** A compiled kernel: (rows, cols, then per operand its byte address and, for matrices, its stride in elements). */
export type KernelFn = (rows: number, cols: number, ...operandArgs: number[]) => void;

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const simd = (op: number) => [0xfd, ...uleb(op)];
const mem = [2, 0]; // alignment 2^2 bytes, offset 0

/** The function body of one kernel (see the module comment for its loops). */
function kernelBody(k: Kernel): number[] {
  const nOps = k.operands.length;
  // Parameters: rows 0, cols 1, then per operand: address (and stride for matrices).
  const param: { addr: number; stride?: number }[] = [];
  let p = 2;
  for (const kind of k.operands) param.push(kind === "m" ? { addr: p++, stride: p++ } : { addr: p++ });
  // Locals after the parameters: r, c, a base address per operand, a splatted and a scalar value per row scalar, temporaries.
  let l = p;
  const r = l++;
  const c = l++;
  const base = k.operands.map(() => l++);
  const i32Locals = 2 + nOps;
  const scalarV = k.operands.map((kind) => (kind === "s" ? l++ : -1));
  const scalarF: number[] = [];
  const temps = k.temps ?? [];
  const tempV = new Map(temps.map(([t]) => [t, l++]));
  const nScalars = scalarV.filter((x) => x >= 0).length;
  for (const kind of k.operands) scalarF.push(kind === "s" ? l++ : -1);
  const tempF = new Map(temps.map(([t]) => [t, l++]));
  const locals = [
    [...uleb(i32Locals), I32],
    [...uleb(nScalars + temps.length), V128],
    [...uleb(nScalars + temps.length), F32],
  ].filter((x) => x[0] !== 0);
  const get = (i: number) => [0x20, ...uleb(i)];
  const set = (i: number) => [0x21, ...uleb(i)];
  const addr = (i: number) => [...get(base[i]), ...get(c), 0x41, 2, 0x74, 0x6a]; // base + 4 c
  const expr = (e: Expr, lanes: boolean): number[] => {
    if (typeof e === "string") return get((lanes ? tempV : tempF).get(e) as number);
    if (typeof e === "number") {
      if (k.operands[e] === "s") return get(lanes ? scalarV[e] : scalarF[e]);
      return [...addr(e), ...(lanes ? [...simd(0), ...mem] : [0x2a, ...mem])];
    }
    const [op, a, b] = e;
    const code = lanes ? { "+": simd(228), "-": simd(229), "*": simd(230) }[op] : [{ "+": 0x92, "-": 0x93, "*": 0x94 }[op]];
    return [...expr(a, lanes), ...expr(b, lanes), ...code];
  };
  const body = (lanes: boolean) => [
    ...temps.flatMap(([t, e]) => [...expr(e, lanes), ...set((lanes ? tempV : tempF).get(t) as number)]),
    ...k.stores.flatMap(([o, e]) => [...addr(o), ...expr(e, lanes), ...(lanes ? [...simd(11), ...mem] : [0x38, ...mem])]),
  ];
  // prettier-ignore
  const code = [
    0x02, 0x40, 0x03, 0x40, // block, loop over rows
    ...get(r), ...get(0), 0x4f, 0x0d, 1, // r >= rows: done
    ...k.operands.flatMap((kind, i) =>
      kind === "m"
        ? [...get(param[i].addr), ...get(r), ...get(param[i].stride as number), 0x6c, 0x41, 2, 0x74, 0x6a, ...set(base[i])]
        : [
            ...get(param[i].addr), ...get(r), 0x41, 2, 0x74, 0x6a, ...set(base[i]),
            ...get(base[i]), 0x2a, ...mem, ...set(scalarF[i]),
            ...get(scalarF[i]), ...simd(19), ...set(scalarV[i]), // f32x4.splat
          ],
    ),
    0x41, 0, ...set(c),
    0x02, 0x40, 0x03, 0x40, // 4 lanes at a time while c + 4 <= cols
    ...get(c), 0x41, 4, 0x6a, ...get(1), 0x4b, 0x0d, 1,
    ...body(true),
    ...get(c), 0x41, 4, 0x6a, ...set(c), 0x0c, 0, 0x0b, 0x0b,
    0x02, 0x40, 0x03, 0x40, // the rest one at a time
    ...get(c), ...get(1), 0x4f, 0x0d, 1,
    ...body(false),
    ...get(c), 0x41, 1, 0x6a, ...set(c), 0x0c, 0, 0x0b, 0x0b,
    ...get(r), 0x41, 1, 0x6a, ...set(r), 0x0c, 0, 0x0b, 0x0b,
    0x0b,
  ];
  const fn = [...vec(locals), ...code];
  return [...uleb(fn.length), ...fn];
}

/** The binary module of `kernels`, importing its memory as env.memory. */
function moduleBytes(kernels: readonly Kernel[]): Uint8Array<ArrayBuffer> {
  const nParams = (k: Kernel) => 2 + k.operands.reduce((n, kind) => n + (kind === "m" ? 2 : 1), 0);
  const types = kernels.map((k) => [0x60, ...vec(Array.from({ length: nParams(k) }, () => [I32])), 0]);
  // prettier-ignore
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec(types)),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0]])),
    ...section(3, vec(kernels.map((_, i) => uleb(i)))),
    ...section(7, vec(kernels.map((k, i) => [...name(k.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(kernels.map(kernelBody))),
  ]);
}

/** Compile `kernels` against `memory`; undefined where WebAssembly SIMD is unavailable. */
export function compileKernels<N extends string>(memory: WebAssembly.Memory, kernels: readonly (Kernel & { name: N })[]): Record<N, KernelFn> | undefined {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(kernels)), { env: { memory } });
    return Object.fromEntries(kernels.map((k) => [k.name, instance.exports[k.name] as KernelFn])) as Record<N, KernelFn>;
  } catch {
    return undefined;
  }
}
