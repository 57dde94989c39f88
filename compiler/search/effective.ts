// What a layer computes with after the lossy passes, in the original layer's terms: the float
// weight and bias its node reads (a DequantizeLinear of int4 codes, a codebook Gather, a pruned
// float tensor), evaluated from the constants with the runtime's reference kernels. A search feeds
// them into the reference model in place of the original tensors, so "that layer alone changed" is
// one run of one session.

import '../../runtime/ops/reference/index.ts';
import type { Graph } from '../../runtime/ir/graph.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Node } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { getOp } from '../../runtime/ops/registry.ts';

/** The value of `name` when it is computed from constants alone, else undefined. */
export async function constantValue(
  g: Graph,
  name: string,
  opset: number,
  memo = new Map<string, Tensor | undefined>(),
): Promise<Tensor | undefined> {
  if (memo.has(name)) return memo.get(name);
  let out = g.constant(name);
  const p = out ? undefined : g.producer(name);
  if (p && !p.subgraphs().length && p.inputs.some(Boolean)) {
    const def = getOp(p.opType, p.domain);
    const ins: (Tensor | undefined)[] = [];
    let ok = !!def;
    for (const i of p.inputs) {
      if (!ok) break;
      if (!i) {
        ins.push(undefined);
        continue;
      }
      const t = await constantValue(g, i, opset, memo);
      if (!t) ok = false;
      ins.push(t);
    }
    if (ok && def) {
      const outs = await def.reference(ins, p.attrs, { opset });
      out = outs[p.outputs.indexOf(name)];
    }
  }
  memo.set(name, out);
  return out;
}

const sameDims = (a: Tensor, b: Tensor) =>
  a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);

function differs(a: Tensor, b: Tensor): boolean {
  const x = a.data as ArrayLike<number>;
  const y = b.data as ArrayLike<number>;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return true;
  return false;
}

/**
 * The float constants `layer` reads in `reference` (by input name there) and their values in
 * `changed` where they differ; undefined when `changed` computes the layer differently (node gone,
 * another op, other shapes): then only a model of its own can measure it.
 */
export async function effectiveTensors(
  reference: Model,
  refNode: Node,
  changed: Model,
  node: Node | undefined,
): Promise<Map<string, Tensor> | undefined> {
  if (!node || node.opType !== refNode.opType) return undefined;
  const rg = reference.graph;
  const out = new Map<string, Tensor>();
  const memo = new Map<string, Tensor | undefined>();
  for (let i = 0; i < refNode.inputs.length; i++) {
    const name = refNode.inputs[i]!;
    const orig = name ? rg.constant(name) : undefined;
    if (!orig) {
      // a data input that now comes from elsewhere (a quantizer in front) is another computation
      if ((node.inputs[i] ?? '') !== name) return undefined;
      continue;
    }
    if (orig.dtype !== 'float32') continue;
    const v = node.inputs[i]
      ? await constantValue(changed.graph, node.inputs[i]!, changed.opset('') ?? 13, memo)
      : undefined;
    if (v?.dtype !== 'float32' || !sameDims(v, orig)) return undefined;
    if (differs(v, orig)) out.set(name, v);
  }
  // an input the pass added (a bias where there was none) needs a model of its own
  if (node.inputs.filter(Boolean).length > refNode.inputs.filter(Boolean).length) return undefined;
  return out;
}
