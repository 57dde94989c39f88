// A fused node on plain TypeScript: the producer's (or elementwise anchor's) reference kernel, then
// the epilogue — for the shapes a backend's own kernel turns down after it fused the node.

import type { Tensor } from '../../ir/tensor.ts';
import { getOp, type KernelContext } from '../../ops/registry.ts';
import type { GraphNode } from '../backend.ts';
import { applyEpilogue, nodeEpilogue } from './epilogue.ts';
import { fusedBaseOp } from './fusion.ts';

export function fusedReference(
  node: GraphNode,
): (inputs: (Tensor | undefined)[], ctx: KernelContext) => Promise<Tensor[]> {
  const op = fusedBaseOp(node.op);
  const def = getOp(op);
  const expand = getOp('Expand');
  if (!def || !expand) throw new Error(`fused ${op}: no reference kernel`);
  const ep = nodeEpilogue(node.attrs);
  return async (inputs, ctx) => {
    const [y] = await def.reference(inputs, node.attrs, { ...ctx, nOutputs: 1 });
    if (!y) throw new Error(`fused ${op}: no output`);
    const data = new Float32Array(y.data as Float32Array);
    const dims = y.dims;
    const plane = dims.length > 2 ? dims.slice(2).reduce((a, b) => a * b, 1) : 1;
    const channels = dims.length > 1 ? (dims[1] as number) : 1;
    const shape: Tensor = {
      dtype: 'int64',
      dims: [dims.length],
      data: BigInt64Array.from(dims, (d) => BigInt(d)),
    };
    const full: Float32Array[] = [];
    const readsInputs = ep.steps.some((s) => s.args.some((a) => 'input' in a));
    for (const t of readsInputs ? inputs : []) {
      if (!t) continue;
      const [e] = await expand.reference([t, shape], {}, ctx);
      full.push((e as Tensor).data as Float32Array);
    }
    applyEpilogue(data, ep, plane, channels, full);
    return [{ dtype: 'float32', dims: [...dims], data }];
  };
}
