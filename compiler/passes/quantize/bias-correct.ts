// Bias correction after weight quantization (Nagel et al. 2019): with μ the mean of a layer's input on
// the calibration data, the output mean moves by (W − Ŵ)·μ; adding that to the bias moves it back.
// Conv: μ per input channel (exact away from the padded border), grouped and depthwise too; Gemm /
// MatMul: μ per input feature, the bias being Gemm's C or the [N] constant of a sole following Add.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32, type Tensor } from '../../../runtime/ir/tensor.ts';
import type { Sample } from '../../data/calibration.ts';

/** Mean of each node's data input per channel (Conv, NCHW axis 1) or per feature (last axis). */
export async function inputMeans(
  model: Model,
  nodes: Node[],
  samples: Sample[],
): Promise<Map<Node, Float64Array>> {
  const { createSession } = await import('../../../runtime/exec/index.ts');
  const names = [...new Set(nodes.map((n) => n.inputs[0]!))];
  const observe = names.filter((v) => !model.graph.isInput(v));
  const sums = new Map<string, { s: Float64Array; n: number }>();
  const session = await createSession(model, { observe });
  try {
    for (const feeds of samples) {
      const res = await session.run(feeds, { observe });
      for (const n of nodes) {
        const v = n.inputs[0]!;
        const t: Tensor | undefined = res[v] ?? feeds[v];
        if (!t) throw new Error(`bias correction: the executor did not return ${v}`);
        const conv = n.opType === 'Conv';
        const C = conv ? t.dims[1]! : t.dims[t.dims.length - 1]!;
        const inner = conv ? t.dims.slice(2).reduce((a, b) => a * b, 1) : 1;
        let acc = sums.get(`${v}|${conv}`);
        if (!acc) sums.set(`${v}|${conv}`, (acc = { s: new Float64Array(C), n: 0 }));
        if (acc.s.length !== C) continue;
        const d = t.data as Float32Array;
        for (let i = 0; i < d.length; i++) acc.s[Math.floor(i / inner) % C]! += d[i]!;
        acc.n += d.length / C;
      }
    }
  } finally {
    session.dispose();
  }
  const out = new Map<Node, Float64Array>();
  for (const n of nodes) {
    const acc = sums.get(`${n.inputs[0]}|${n.opType === 'Conv'}`);
    if (acc?.n)
      out.set(
        n,
        acc.s.map((x) => x / acc.n),
      );
  }
  return out;
}

/** Δb = (W − Ŵ)·μ per output (weights in the node's stored layout). */
export function biasDelta(
  n: Node,
  dims: readonly number[],
  w: Float32Array,
  what: Float32Array,
  mean: Float64Array,
): Float64Array | undefined {
  if (n.opType === 'Conv') {
    const M = dims[0]!;
    const cg = dims[1]!;
    const win = dims.slice(2).reduce((a, b) => a * b, 1);
    const group = typeof n.attrs.group === 'number' ? n.attrs.group : 1;
    if (mean.length !== cg * group) return undefined;
    const mg = M / group;
    const delta = new Float64Array(M);
    for (let o = 0; o < M; o++) {
      const base = Math.floor(o / mg) * cg;
      let s = 0;
      for (let c = 0; c < cg; c++) {
        const mu = mean[base + c]!;
        const off = (o * cg + c) * win;
        for (let k = 0; k < win; k++) s += (w[off + k]! - what[off + k]!) * mu;
      }
      delta[o] = s;
    }
    return delta;
  }
  if (dims.length !== 2) return undefined;
  const kxn = n.opType === 'MatMul' || n.attrs.transB !== 1;
  const [k, m] = kxn ? [dims[0]!, dims[1]!] : [dims[1]!, dims[0]!];
  if (mean.length !== k) return undefined;
  const delta = new Float64Array(m);
  for (let i = 0; i < k; i++) {
    const mu = mean[i]!;
    for (let o = 0; o < m; o++) {
      const at = kxn ? i * m + o : o * k + i;
      delta[o]! += (w[at]! - what[at]!) * mu;
    }
  }
  return delta;
}

/** Adds Δb to the layer's bias (creating a Conv/Gemm bias when absent); false when it has no place for one. */
export function addToBias(model: Model, n: Node, delta: Float64Array): boolean {
  const g = model.graph;
  let target: { node: Node; index: number } | undefined;
  if (n.opType === 'Conv' || n.opType === 'Gemm') target = { node: n, index: 2 };
  else {
    const users = g.consumers(n.outputs[0]!);
    const add = users.length === 1 && users[0]!.opType === 'Add' ? users[0]! : undefined;
    const index = add ? add.inputs.findIndex((v) => g.constant(v)?.dims.length === 1) : -1;
    if (add && index >= 0) target = { node: add, index };
  }
  if (!target) return false;
  const name = target.node.inputs[target.index] ?? '';
  const b = name ? g.constant(name) : undefined;
  if (b && (b.dtype !== 'float32' || b.data.length !== delta.length)) return false;
  if (n.opType === 'Gemm' && b && b.dims.length !== 1) return false;
  const next = float32([delta.length], b ? (b.data as Float32Array) : new Float32Array(delta.length));
  const d = next.data as Float32Array;
  for (let o = 0; o < d.length; o++) d[o]! += delta[o]!;
  const fresh = g.uniqueName(`${n.name || n.outputs[0]}.bc`);
  g.addInitializer(fresh, next);
  target.node.setInput(target.index, fresh);
  return true;
}
