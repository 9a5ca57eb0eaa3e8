/**
 * Direct calls of tfjs-backend-wasm's compiled kernels on tensors of its heap, without the
 * TF.js engine in between.
 *
 * Why: through the engine every op costs tens of microseconds (kernel lookup, scopes, the
 * gradient tape, bookkeeping), which is all a small recurrent encoder's step costs: its
 * matrices are a few thousand multiply-adds. Called directly, the same kernel costs a few
 * microseconds. The numbers are the library's own: the same compiled function runs on
 * the same inputs, so a caller that issues the same calls as a TF.js formulation gets
 * bit-identical results (flash/bigru-kernel.ts; its tests compare them bit for bit).
 *
 * Rules the callers follow: take heap views (`view`) after every allocation (a growing heap
 * detaches older ones); never change the contents of a tensor after it was the second
 * operand of a non-transposed `matMul` (XNNPACK keeps that operand packed, keyed by the
 * tensor's id, until the tensor is freed); free every tensor `alloc` gave out (or hand it
 * to the engine with `toTensor`).
 */
import * as tf from "@tensorflow/tfjs";
import { compileKernels, type Kernel, type KernelFn } from "./wasm-simd.js";

/** A float32 tensor of the wasm heap, outside the engine's bookkeeping until `toTensor`. */
export interface HeapTensor {
  readonly info: tf.TensorInfo;
  /** The backend's numeric id of the data (what the compiled kernels take). */
  readonly id: number;
  readonly size: number;
  /** Its last heap view (`WasmKernels.view` renews it when the heap has grown). */
  cachedView?: Float32Array;
}

/** Bytes of released scratch tensors kept for reuse (`WasmKernels.scratch`); beyond it they are freed. */
const SCRATCH_POOL_BYTES = 32 * 2 ** 20;

/** The parts of tfjs-backend-wasm 4.x's BackendWasm used here. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } | undefined };
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...a: unknown[]) => void;
    _malloc(bytes: number): number;
    HEAPU8: Uint8Array;
    HEAPF32: Float32Array;
    asm?: { memory?: WebAssembly.Memory };
  };
}

type MatMulFn = (a: number, aShape: number, aRank: number, b: number, bShape: number, bRank: number, ta: number, tb: number, out: number) => void;

let enabled = true;

/**
 * Whether the direct-kernel paths run (default on, on the wasm backend). Off, their callers
 * use their TF.js formulations: the same numbers, for tests and A/B timings.
 */
export function useWasmKernels(on: boolean): void {
  enabled = on;
}

export class WasmKernels {
  private readonly mm: MatMulFn;
  private readonly sigmoidFn: (x: number, out: number) => void;
  private readonly tanhFn: (x: number, dtype: number, out: number) => void;
  private readonly transposeFn: (x: number, shape: number, rank: number, dtype: number, out: number, perm: number, permRank: number) => void;

  /** Shapes and permutations written once into the heap (never freed: a few bytes per distinct list), by their values. */
  private readonly shapes = new Map<string, number>();
  /** Released scratch tensors by size, for `scratch`; `pooledBytes` in all. */
  private readonly pool = new Map<number, HeapTensor[]>();
  private pooledBytes = 0;
  /** Element-wise loops compiled for this heap, by their declarations. */
  private readonly compiled = new Map<readonly Kernel[], Record<string, KernelFn> | undefined>();
  /** Constant ones columns [K, 1] by K (never changed, so XNNPACK's packing of them stays valid). */
  private readonly onesByK = new Map<number, HeapTensor>();

  private constructor(private readonly backend: WasmBackendLike) {
    const w = backend.wasm;
    // Numeric arguments only: emscripten's cwrap then returns the compiled function itself (no per-call conversion).
    this.mm = w.cwrap("BatchMatMul", null, new Array<string>(9).fill("number")) as unknown as MatMulFn;
    this.sigmoidFn = w.cwrap("Sigmoid", null, ["number", "number"]) as (x: number, out: number) => void;
    this.tanhFn = w.cwrap("Tanh", null, ["number", "number", "number"]) as (x: number, dtype: number, out: number) => void;
    this.transposeFn = w.cwrap("Transpose", null, new Array<string>(7).fill("number")) as WasmKernels["transposeFn"];
  }

  private static cached: { backend: unknown; kernels: WasmKernels } | undefined;

  /** The kernels of the active backend when it is wasm with what we need, else undefined (use TF.js ops). */
  static get(): WasmKernels | undefined {
    if (!enabled || tf.getBackend() !== "wasm") return undefined;
    const b = tf.backend() as unknown as Partial<WasmBackendLike>;
    if (WasmKernels.cached?.backend === b) return WasmKernels.cached.kernels;
    const ok =
      typeof b.makeOutput === "function" &&
      typeof b.typedArrayFromHeap === "function" &&
      typeof b.disposeData === "function" &&
      typeof b.wasm?.cwrap === "function" &&
      b.dataIdMap !== undefined;
    if (!ok) return undefined;
    const kernels = new WasmKernels(b as WasmBackendLike);
    WasmKernels.cached = { backend: b, kernels };
    return kernels;
  }

  /** A new float32 heap tensor of `shape` (contents undefined). */
  alloc(shape: number[]): HeapTensor {
    const info = this.backend.makeOutput(shape, "float32");
    return { info, id: this.idOf(info), size: tf.util.sizeFromShape(shape) };
  }

  /**
   * A heap tensor of `size` values for scratch use, reused from earlier `release`s: never a
   * second operand of a non-transposed `matMul` (XNNPACK would keep its old contents packed).
   */
  scratch(size: number): HeapTensor {
    const t = this.pool.get(size)?.pop();
    if (!t) return this.alloc([size]);
    this.pooledBytes -= 4 * size;
    return t;
  }

  /** Give scratch tensors back for reuse (freed once the pool holds SCRATCH_POOL_BYTES). */
  release(...ts: HeapTensor[]): void {
    for (const t of ts) {
      if (this.pooledBytes + 4 * t.size > SCRATCH_POOL_BYTES) {
        this.free(t);
        continue;
      }
      const list = this.pool.get(t.size) ?? [];
      list.push(t);
      this.pool.set(t.size, list);
      this.pooledBytes += 4 * t.size;
    }
  }

  /** A constant [K, 1] column of ones (kept; never write into it). */
  ones(K: number): HeapTensor {
    let t = this.onesByK.get(K);
    if (!t) this.onesByK.set(K, (t = this.from([K, 1], new Float32Array(K).fill(1))));
    return t;
  }

  /** A heap tensor holding a copy of `values`. */
  from(shape: number[], values: ArrayLike<number>): HeapTensor {
    const t = this.alloc(shape);
    this.view(t).set(values);
    return t;
  }

  /** The heap view of `t` (valid until the heap grows: take it again after any allocation or kernel call). */
  view(t: HeapTensor | tf.TensorInfo): Float32Array {
    if (!("info" in t)) return this.backend.typedArrayFromHeap(t);
    if (t.cachedView?.buffer !== this.backend.wasm.HEAPU8.buffer) t.cachedView = this.backend.typedArrayFromHeap(t.info);
    return t.cachedView;
  }

  /** The kernels' id of an engine tensor's data (a variable, say). */
  idOf(t: tf.TensorInfo): number {
    return this.dataOf(t).id;
  }

  /** The heap byte address of a tensor's data (element-wise loops, `copy`). */
  address(t: HeapTensor | tf.TensorInfo): number {
    return this.dataOf("info" in t ? t.info : t).memoryOffset;
  }

  private dataOf(t: tf.TensorInfo): { id: number; memoryOffset: number } {
    const d = this.backend.dataIdMap.get(t.dataId);
    if (!d) throw new Error("WasmKernels: the tensor has no data on the wasm backend");
    return d;
  }

  /** The whole heap as float32 (valid until the heap grows). */
  heap(): Float32Array {
    return this.backend.wasm.HEAPF32;
  }

  /** Copy `n` floats from byte address `src` to `dst` (memmove). */
  copy(dst: number, src: number, n: number): void {
    this.backend.wasm.HEAPF32.copyWithin(dst >> 2, src >> 2, (src >> 2) + n);
  }

  /** `kernels` compiled against the heap (once per list), or undefined without WebAssembly SIMD. */
  loops<N extends string>(kernels: readonly (Kernel & { name: N })[]): Record<N, KernelFn> | undefined {
    if (!this.compiled.has(kernels)) {
      const memory = this.backend.wasm.asm?.memory;
      this.compiled.set(kernels, memory instanceof WebAssembly.Memory ? compileKernels(memory, kernels) : undefined);
    }
    return this.compiled.get(kernels) as Record<N, KernelFn> | undefined;
  }

  free(...ts: (HeapTensor | undefined)[]): void {
    for (const t of ts) if (t) this.backend.disposeData(t.info.dataId, true);
  }

  /** Hand `t` to the engine as a tensor of `shape` (the engine owns and frees it). */
  toTensor(t: HeapTensor, shape: number[]): tf.Tensor {
    return tf.engine().makeTensorFromTensorInfo({ ...t.info, shape }, this.backend as unknown as tf.KernelBackend);
  }

  /**
   * out = a x b as TF.js's `tf.matMul(a, b, transposeA, transposeB)` of 2-D `a` [aRows, aCols]
   * and `b` [bRows, bCols] computes it (the kernel sees them as [1, rows, cols]).
   */
  matMul(
    a: number,
    aShape: readonly [number, number],
    b: number,
    bShape: readonly [number, number],
    transposeA: boolean,
    transposeB: boolean,
    out: number,
  ): void {
    this.mm(a, this.shape3(aShape), 3, b, this.shape3(bShape), 3, transposeA ? 1 : 0, transposeB ? 1 : 0, out);
  }

  /** out [cols, rows] = x [rows, cols] transposed (TF.js's Transpose kernel: a copy). */
  transpose(x: number, rows: number, cols: number, out: number): void {
    this.transposeFn(x, this.ints([rows, cols]), 2, 0 /* float32 */, out, this.ints([1, 0]), 2);
  }

  /** The heap address of the int32 shape [1, rows, cols]. */
  private shape3([rows, cols]: readonly [number, number]): number {
    return this.ints([1, rows, cols]);
  }

  /** The heap address of `values` as int32s, written once per distinct list. */
  private ints(values: readonly number[]): number {
    const key = values.join(",");
    let ptr = this.shapes.get(key);
    if (ptr === undefined) {
      ptr = this.backend.wasm._malloc(4 * values.length);
      new Int32Array(this.backend.wasm.HEAPU8.buffer, ptr, values.length).set(values);
      this.shapes.set(key, ptr);
    }
    return ptr;
  }

  /** out = sigmoid(x), element-wise over x's size (TF.js's Sigmoid kernel). */
  sigmoid(x: number, out: number): void {
    this.sigmoidFn(x, out);
  }

  /** out = tanh(x), element-wise over x's size (TF.js's Tanh kernel). */
  tanh(x: number, out: number): void {
    this.tanhFn(x, 0 /* float32 */, out);
  }
}
