// Constant folding: a node whose inputs are all constants is evaluated once with the reference
// kernel and replaced by initializers holding its outputs (same value names). Exact: the
// reference kernels are the runtime's own; folding never grows the model by more than 4 KiB.

import '../../runtime/ops/reference/index.ts';
import type { Graph } from '../../runtime/ir/graph.ts';
import type { Node } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { getOp } from '../../runtime/ops/registry.ts';
import type { Pass } from '../engine/pass.ts';

/** Ops that must not be folded: random, or stateful. */
const NEVER = new Set([
  'Constant',
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
  'If',
  'Loop',
  'Scan',
  'DequantizeLinear', // quantized weights stay quantized
]);

const GROWTH_LIMIT = 4096;

function bytesOf(t: Tensor): number {
  const d = t.data;
  if (Array.isArray(d)) return d.reduce((s, x) => s + x.length, 0);
  return d.byteLength;
}

function foldable(g: Graph, n: Node): Tensor[] | undefined {
  if (NEVER.has(n.opType) || (n.domain !== '' && n.domain !== 'ai.onnx')) return undefined;
  if (n.subgraphs().length) return undefined;
  if (n.outputs.some((o) => o && g.isOutput(o))) return undefined;
  // weight-sharing indices (uint8/uint4/uint16 → Cast → Gather) stay compact
  if (n.opType === 'Cast' && /^uint(4|8|16)$/.test(g.constant(n.inputs[0] ?? '')?.dtype ?? ''))
    return undefined;
  const inputs: Tensor[] = [];
  for (const i of n.inputs) {
    if (!i) continue;
    const t = g.constant(i);
    if (!t) return undefined;
    inputs.push(t);
  }
  return inputs;
}

/** Fold every foldable node of `g` (in topological order, so chains fold in one pass). */
export async function foldConstants(g: Graph, opset: number): Promise<number> {
  let folded = 0;
  for (const n of g.topoOrder()) {
    if (!foldable(g, n)) continue;
    const def = getOp(n.opType, n.domain);
    if (!def) continue;
    const ins = n.inputs.map((i) => (i ? g.constant(i) : undefined));
    let outs: Tensor[];
    try {
      outs = await def.reference(ins, n.attrs, { opset });
    } catch {
      continue; // a node the kernel rejects is left for the runtime to report
    }
    const inBytes = ins.reduce((s, t) => s + (t ? bytesOf(t) : 0), 0);
    const outBytes = outs.reduce((s, t) => s + bytesOf(t), 0);
    if (outBytes > inBytes + GROWTH_LIMIT) continue;
    g.removeNode(n);
    n.outputs.forEach((o, k) => {
      if (o && outs[k]) g.addInitializer(o, outs[k]);
    });
    folded++;
  }
  return folded;
}

export const constantFoldPass: Pass = {
  name: 'constant-fold',
  run: async (model) => ({ changed: (await foldConstants(model.graph, model.opset('') ?? 1)) > 0 }),
};
