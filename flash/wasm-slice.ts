/**
 * A Slice kernel for the WebAssembly backend that copies only the slice.
 *
 * Why: tfjs-backend-wasm 4.x implements Slice in JavaScript and starts by reading the
 * WHOLE input out of the WebAssembly heap (`readSync` copies it), so taking one time step
 * of a [T, B, 3H] tensor costs as much as copying all T steps: unstacking the paper
 * encoder's input projection copied ~2 GB per layer. This kernel reads the input through
 * a view on the heap instead. A slice is a copy, so results are bit-identical.
 */
import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-backend-wasm's BackendWasm this kernel uses. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Copy the box `begin`..`begin + size` of `x` (shape `shape`) into `out`, one contiguous innermost run at a time. */
function copyBox(
  x: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> },
  shape: number[],
  begin: number[],
  size: number[],
  out: { set(a: ArrayLike<number>, o: number): void },
): void {
  const rank = shape.length;
  const strides = tf.util.computeStrides(shape);
  const run = size[rank - 1];
  const idx = new Array(rank - 1).fill(0);
  const outer = size.slice(0, rank - 1).reduce((a, b) => a * b, 1);
  for (let k = 0, o = 0; k < outer; k++, o += run) {
    let off = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) off += (begin[d] + idx[d]) * strides[d];
    out.set(x.subarray(off, off + run), o);
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
}

let installed = false;

/** Replace the wasm backend's Slice kernel (call after the backend is registered; idempotent). */
export function installWasmSlice(): void {
  if (installed) return;
  const original = tf.getKernel("Slice", "wasm");
  if (!original) return; // the wasm backend is not loaded: nothing to replace
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const attrs = args.attrs as unknown as { begin: number[]; size: number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs.begin, attrs.size);
    if (x.dtype === "string" || x.shape.length === 0 || size.some((s) => s === 0)) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(size, x.dtype);
    // Views taken after the allocation: growing the heap would detach earlier ones.
    const outVals = backend.typedArrayFromHeap(out);
    const xVals = backend.typedArrayFromHeap(x);
    if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
      const off = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
      outVals.set(xVals.subarray(off, off + tf.util.sizeFromShape(size)));
    } else {
      copyBox(xVals, x.shape, begin, size, outVals);
    }
    return out;
  };
  tf.unregisterKernel("Slice", "wasm");
  tf.registerKernel({ kernelName: "Slice", backendName: "wasm", kernelFunc });
  installed = true;
}
