/**
 * One bidirectional GRU layer's recurrence, forward and backward, over the wasm heap: per
 * step one matMul kernel per direction, TF.js's sigmoid and tanh kernels, and SIMD
 * element-wise loops (wasm-simd.ts) that repeat gru-fused.ts's element-wise TF.js ops one
 * for one, in the same order (so the results are bit-identical; bigru-kernel.ts runs it).
 *
 * Layout as gru-fused.ts: step s holds both directions as [2B, ...] rows, the forward
 * direction at time s over the backward one at time T - 1 - s. A layer's arrays live in one
 * heap "arena" for the call; what the backward pass needs is copied out to JavaScript at
 * the end of the forward pass (a pass with no backward leaves nothing on the heap).
 */
import type * as tf from "@tensorflow/tfjs";
import type { Kernel, KernelFn } from "./wasm-simd.js";
import type { HeapTensor, WasmKernels } from "./wasm-kernels.js";

/** Per step s, the mask of the [2B] rows (forward time s, backward time T-1-s), or null when every row is real. */
export type StepMasks = (Float32Array | null)[];

/** Per-step row masks from a batch's step mask [B, T] (see `StepMasks`). */
export function stepMasks(stepMask: Float32Array, B: number, T: number): StepMasks {
  const full = Array.from({ length: T }, (_, t) => {
    for (let b = 0; b < B; b++) if (stepMask[b * T + t] !== 1) return false;
    return true;
  });
  return full.map((ok, s) => {
    if (ok && full[T - 1 - s]) return null;
    const m = new Float32Array(2 * B);
    for (let b = 0; b < B; b++) {
      m[b] = stepMask[b * T + s];
      m[B + b] = stepMask[b * T + (T - 1 - s)];
    }
    return m;
  });
}

/** Sizes: T steps, B sequences (2B rows per step), H hidden units. */
export interface RecurrenceDims {
  T: number;
  B: number;
  H: number;
}

/** A layer's recurrent kernels and biases and its input bias (engine tensors, read in place). */
export interface RecurrenceWeights {
  bIn: tf.TensorInfo;
  wFw: tf.TensorInfo;
  wBw: tf.TensorInfo;
  bFw: tf.TensorInfo;
  bBw: tf.TensorInfo;
}

/** What the forward pass keeps for the backward pass, every step contiguous: step s at s x (its size). */
export interface RecurrenceState {
  /** [T + 1, 2B, H]: the state before step 0 (zero), then after every step. */
  hs: Float32Array;
  /** [T, 2B, 2H]: the sigmoid gates r then z. */
  rz: Float32Array;
  /** [T, 2B, H]: the candidate n and h W_hn + b_hn. */
  n: Float32Array;
  ghN: Float32Array;
}

type Loop = "copy" | "add" | "addSum" | "addMul" | "state" | "stateMasked" | "cellBack" | "cellBackMasked";

/**
 * The element-wise loops, as gru-fused.ts computes them. Operands in order; each matrix
 * has its own row stride per call. Backward operands: 0-6 the outputs dgx (r, z, n),
 * dgh (r, z, n), direct; 7 dh, 8 r, 9 z, 10 n, 11 h W_hn + b_hn, 12 the previous state,
 * 13 the mask (masked variant).
 */
const cellBack = (masked: boolean): Kernel & { name: Loop } => ({
  name: masked ? "cellBackMasked" : "cellBack",
  operands: ["m", "m", "m", "m", "m", "m", "m", "m", "m", "m", "m", "m", "m", ...(masked ? (["s"] as const) : [])],
  temps: [
    ["dhNew", masked ? ["*", 7, 13] : 7],
    ["dhNewZ", ["*", "dhNew", 9]],
    ["dn", ["-", "dhNew", "dhNewZ"]], // dhNew (1 - z)
    ["dz", ["*", "dhNew", ["-", 12, 10]]],
    ["daN", ["-", "dn", ["*", ["*", "dn", 10], 10]]], // dn (1 - n^2)
    ["daR", ["*", ["*", "daN", 11], ["-", 8, ["*", 8, 8]]]], // sigmoid' = s (1 - s)
    ["daZ", ["*", "dz", ["-", 9, ["*", 9, 9]]]],
  ],
  stores: [
    [0, "daR"],
    [1, "daZ"],
    [2, "daN"],
    [3, "daR"],
    [4, "daZ"],
    [5, ["*", "daN", 8]],
    // A masked step passes dh straight to the previous state: dh (1 - m) + dhNew z.
    [6, masked ? ["+", ["-", 7, "dhNew"], "dhNewZ"] : "dhNewZ"],
  ],
});

const LOOPS: (Kernel & { name: Loop })[] = [
  { name: "copy", operands: ["m", "m"], stores: [[0, 1]] },
  { name: "add", operands: ["m", "m", "m"], stores: [[0, ["+", 1, 2]]] },
  // The gates' input: x W_in + b_in + (h W_rec + b_rec).
  { name: "addSum", operands: ["m", "m", "m", "m"], stores: [[0, ["+", 1, ["+", 2, 3]]]] },
  // The candidate's input: x W_n + b_n + r (h W_hn + b_hn).
  { name: "addMul", operands: ["m", "m", "m", "m"], stores: [[0, ["+", 1, ["*", 2, 3]]]] },
  // The new state n + z (h - n) of (n, z, h); masked: h + m (that - h).
  { name: "state", operands: ["m", "m", "m", "m"], stores: [[0, ["+", 1, ["*", 2, ["-", 3, 1]]]]] },
  {
    name: "stateMasked",
    operands: ["m", "m", "m", "m", "s"],
    temps: [["hNew", ["+", 1, ["*", 2, ["-", 3, 1]]]]],
    stores: [[0, ["+", 3, ["*", 4, ["-", "hNew", 3]]]]],
  },
  cellBack(false),
  cellBack(true),
];

/** The loops compiled for `k`'s heap, or undefined without WebAssembly SIMD (callers then use TF.js ops). */
export function recurrenceLoops(k: WasmKernels): Record<Loop, KernelFn> | undefined {
  return k.loops(LOOPS);
}

/** Regions of one heap tensor, handed out in float32 units; `at` gives byte addresses. */
class Arena {
  readonly t: HeapTensor;
  private next = 0;
  constructor(
    private readonly k: WasmKernels,
    size: number,
  ) {
    this.t = k.scratch(size);
  }
  /** A region of `n` floats: its byte address. */
  take(n: number): number {
    const at = this.k.address(this.t) + 4 * this.next;
    this.next += n;
    return at;
  }
}

/** The byte address `i` floats after `at`. */
const plus = (at: number, i: number) => at + 4 * i;

/**
 * The recurrence forward over x W_in (natural [T, B, 6H] at byte address `proj`, without
 * its bias): the state after every step, natural [T, B, 2H] as the layer's output is built
 * by the caller from `hs`.
 */
export function recurrenceForward(
  k: WasmKernels,
  loops: Record<Loop, KernelFn>,
  d: RecurrenceDims,
  proj: number,
  w: RecurrenceWeights,
  masks: StepMasks,
): RecurrenceState {
  const { T, B, H } = d;
  const [H2, H3, H6, S] = [2 * H, 3 * H, 6 * H, 2 * B];
  const arena = new Arena(k, T * S * H3 + (T + 1) * S * H + T * S * H2 + 2 * T * S * H + T * S);
  const xs = arena.take(T * S * H3);
  const hs = arena.take((T + 1) * S * H);
  const rz = arena.take(T * S * H2);
  const n = arena.take(T * S * H);
  const ghN = arena.take(T * S * H);
  const maskAt = arena.take(T * S);
  const sc = { hF: k.scratch(B * H), hB: k.scratch(B * H), gF: k.scratch(B * H3), gB: k.scratch(B * H3) };
  const gates = { rzIn: k.scratch(S * H2), rzOut: k.scratch(S * H2), nIn: k.scratch(S * H), nOut: k.scratch(S * H) };
  const a = (t: HeapTensor) => k.address(t);
  const [bIn, bFw, bBw] = [k.address(w.bIn), k.address(w.bFw), k.address(w.bBw)];
  try {
    // x W_in + b_in in step layout: per step [2B, 3H], forward rows at time s over backward rows at time T-1-s.
    for (let t = 0; t < T; t++) {
      loops.add(B, H3, plus(xs, t * S * H3), H3, plus(proj, t * B * H6), H6, bIn, 0);
      loops.add(B, H3, plus(xs, ((T - 1 - t) * S + B) * H3), H3, plus(proj, t * B * H6 + H3), H6, plus(bIn, H3), 0);
    }
    k.heap().fill(0, hs >> 2, (hs >> 2) + S * H);
    masks.forEach((m, s) => m && k.heap().set(m, (maskAt >> 2) + s * S));
    const [wFw, wBw] = [k.idOf(w.wFw), k.idOf(w.wBw)];
    for (let s = 0; s < T; s++) {
      const [x, h, hNext] = [plus(xs, s * S * H3), plus(hs, s * S * H), plus(hs, (s + 1) * S * H)];
      const [rzS, nS, ghNS] = [plus(rz, s * S * H2), plus(n, s * S * H), plus(ghN, s * S * H)];
      k.copy(a(sc.hF), h, B * H);
      k.copy(a(sc.hB), plus(h, B * H), B * H);
      k.matMul(sc.hF.id, [B, H], wFw, [H, H3], false, false, sc.gF.id);
      k.matMul(sc.hB.id, [B, H], wBw, [H, H3], false, false, sc.gB.id);
      for (const [dir, g, bias] of [
        [0, a(sc.gF), bFw],
        [1, a(sc.gB), bBw],
      ]) {
        loops.addSum(B, H2, plus(a(gates.rzIn), dir * B * H2), H2, plus(x, dir * B * H3), H3, g, H3, bias, 0);
        loops.add(B, H, plus(ghNS, dir * B * H), H, plus(g, H2), H3, plus(bias, H2), 0);
      }
      k.sigmoid(gates.rzIn.id, gates.rzOut.id);
      k.copy(rzS, a(gates.rzOut), S * H2);
      loops.addMul(S, H, a(gates.nIn), H, plus(x, H2), H3, rzS, H2, ghNS, H);
      k.tanh(gates.nIn.id, gates.nOut.id);
      k.copy(nS, a(gates.nOut), S * H);
      if (masks[s]) loops.stateMasked(S, H, hNext, H, nS, H, plus(rzS, H), H2, h, H, plus(maskAt, s * S));
      else loops.state(S, H, hNext, H, nS, H, plus(rzS, H), H2, h, H);
    }
    const heap = k.heap();
    const out = (at: number, len: number) => heap.slice(at >> 2, (at >> 2) + len);
    return { hs: out(hs, (T + 1) * S * H), rz: out(rz, T * S * H2), n: out(n, T * S * H), ghN: out(ghN, T * S * H) };
  } finally {
    k.release(arena.t, ...Object.values(sc), ...Object.values(gates));
  }
}

/**
 * The recurrence backward from dy (natural [T, B, 2H], d loss / d every state): per step,
 * the gradients of x W_in + b_in and of h W_rec + b_rec, [T, 2B, 3H] each in step layout.
 */
export function recurrenceBackward(
  k: WasmKernels,
  loops: Record<Loop, KernelFn>,
  d: RecurrenceDims,
  st: RecurrenceState,
  dy: Float32Array,
  w: { wTFw: HeapTensor; wTBw: HeapTensor },
  masks: StepMasks,
): { dgx: Float32Array; dgh: Float32Array } {
  const { T, B, H } = d;
  const [H2, H3, S] = [2 * H, 3 * H, 2 * B];
  const arena = new Arena(k, st.hs.length + st.rz.length + 2 * st.n.length + 2 * T * S * H + 2 * T * S * H3 + 3 * S * H + T * S);
  const [hs, rz, n, ghN] = [arena.take(st.hs.length), arena.take(st.rz.length), arena.take(st.n.length), arena.take(st.ghN.length)];
  const [dyN, dyS, dgx, dgh] = [arena.take(T * S * H), arena.take(T * S * H), arena.take(T * S * H3), arena.take(T * S * H3)];
  const [dh, dhPrev, direct, maskAt] = [arena.take(S * H), arena.take(S * H), arena.take(S * H), arena.take(T * S)];
  const sc = { dF: k.scratch(B * H3), dB: k.scratch(B * H3), tF: k.scratch(B * H), tB: k.scratch(B * H) };
  const a = (t: HeapTensor) => k.address(t);
  try {
    const heap = k.heap();
    for (const [at, v] of [
      [hs, st.hs],
      [rz, st.rz],
      [n, st.n],
      [ghN, st.ghN],
      [dyN, dy],
    ] as const)
      heap.set(v, at >> 2);
    masks.forEach((m, s) => m && heap.set(m, (maskAt >> 2) + s * S));
    // dy in step layout.
    for (let t = 0; t < T; t++) {
      loops.copy(B, H, plus(dyS, t * S * H), H, plus(dyN, t * B * H2), H2);
      loops.copy(B, H, plus(dyS, ((T - 1 - t) * S + B) * H), H, plus(dyN, t * B * H2 + H), H2);
    }
    for (let s = T - 1; s >= 0; s--) {
      // dh: the output's gradient at step s, plus what step s + 1 passed back.
      const dhS = s < T - 1 ? dh : plus(dyS, s * S * H);
      if (s < T - 1) loops.add(S, H, dh, H, plus(dyS, s * S * H), H, dhPrev, H);
      const [gx, gh, rzS] = [plus(dgx, s * S * H3), plus(dgh, s * S * H3), plus(rz, s * S * H2)];
      const args = [gx, H3, plus(gx, H), H3, plus(gx, H2), H3, gh, H3, plus(gh, H), H3, plus(gh, H2), H3, direct, H, dhS, H, rzS, H2, plus(rzS, H), H2];
      const tail = [plus(n, s * S * H), H, plus(ghN, s * S * H), H, plus(hs, s * S * H), H];
      if (masks[s]) loops.cellBackMasked(S, H, ...args, ...tail, plus(maskAt, s * S));
      else loops.cellBack(S, H, ...args, ...tail);
      // Through the recurrent products: dgh W_rec^T per direction.
      k.copy(a(sc.dF), gh, B * H3);
      k.copy(a(sc.dB), plus(gh, B * H3), B * H3);
      k.matMul(sc.dF.id, [B, H3], w.wTFw.id, [H3, H], false, false, sc.tF.id);
      k.matMul(sc.dB.id, [B, H3], w.wTBw.id, [H3, H], false, false, sc.tB.id);
      loops.add(B, H, dhPrev, H, direct, H, a(sc.tF), H);
      loops.add(B, H, plus(dhPrev, B * H), H, plus(direct, B * H), H, a(sc.tB), H);
    }
    const out = k.heap();
    return { dgx: out.slice(dgx >> 2, (dgx >> 2) + T * S * H3), dgh: out.slice(dgh >> 2, (dgh >> 2) + T * S * H3) };
  } finally {
    k.release(arena.t, ...Object.values(sc));
  }
}
