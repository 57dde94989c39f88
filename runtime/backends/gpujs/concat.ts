// Concat of float32 tensors as block copies (TypedArray.set per contiguous run): pure data
// movement, where a gpu.js kernel would only add copies into and out of wasm memory.
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import { getOp, type KernelContext } from '../../ops/registry.ts';
import type { NodeSpec, PreparedKernel } from '../backend.ts';

export function prepareConcat(node: NodeSpec, ctx: KernelContext): PreparedKernel {
  return async (inputs) => {
    const xs = inputs.filter((t): t is Tensor => t !== undefined);
    const first = xs[0];
    const rank = first?.dims.length ?? 0;
    const axis =
      Number(node.attrs.axis ?? 0) < 0 ? Number(node.attrs.axis) + rank : Number(node.attrs.axis ?? 0);
    const same =
      first !== undefined &&
      axis >= 0 &&
      axis < rank &&
      xs.every(
        (x) =>
          x.dtype === 'float32' &&
          x.dims.length === rank &&
          x.dims.every((d, i) => i === axis || d === first.dims[i]),
      );
    if (!same) {
      const ref = getOp('Concat')?.reference;
      if (!ref) throw new Error(`Concat ${node.name}: no reference kernel registered`);
      return ref(inputs, node.attrs, ctx);
    }
    const dims = [...first.dims];
    dims[axis] = xs.reduce((s, x) => s + (x.dims[axis] as number), 0);
    const out = new Float32Array(sizeOf(dims));
    const outer = sizeOf(dims.slice(0, axis));
    const tail = sizeOf(dims.slice(axis + 1));
    const row = (dims[axis] as number) * tail;
    let pos = 0;
    for (const x of xs) {
      const len = (x.dims[axis] as number) * tail;
      const d = x.data as Float32Array;
      for (let a = 0; a < outer; a++) out.set(d.subarray(a * len, (a + 1) * len), a * row + pos);
      pos += len;
    }
    return [{ dtype: 'float32', dims, data: out }];
  };
}
