// Least-squares refit of a consumer Conv after some of its input channels are removed (ThiNet /
// He et al. 2017): with the augmented calibration Gram H of [x; 1], the kept columns and the bias
// solve min ‖ŵ·x̂ − w·x‖² per output: (H_KK + λI)·ŵ = H_K,all·w. The removed columns are left zero.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32 } from '../../../runtime/ir/tensor.ts';
import { choleskyDamped, choleskySolve } from '../../linalg/cholesky.ts';
import { setConstInput } from './shrink.ts';

/** Adds a zero bias input to a Conv without one. */
export function ensureBias(model: Model, node: Node): void {
  if (node.inputs[2]) return;
  const w = model.graph.constant(node.inputs[1]!)!;
  const name = model.graph.uniqueName(`${node.name || node.outputs[0]}.bias`);
  model.graph.addInitializer(name, float32([w.dims[0]!], new Float32Array(w.dims[0]!)));
  node.setInput(2, name);
}

/** Refits node's weight and bias in place (same shapes); `drop` are the input channels going away. */
export function refitConsumer(model: Model, node: Node, drop: ReadonlySet<number>, h: Float64Array): void {
  const g = model.graph;
  ensureBias(model, node);
  const w = g.constant(node.inputs[1]!)!;
  const b = g.constant(node.inputs[2]!)!;
  const [O, Cin] = w.dims as number[];
  const K = w.dims.slice(2).reduce((a, c) => a * c, 1);
  const cols = Cin! * K;
  const n = cols + 1;
  const keep: number[] = [];
  for (let c = 0; c < cols; c++) if (!drop.has(c % Cin!)) keep.push(c);
  keep.push(cols);
  const k = keep.length;
  const A = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) A[i * k + j] = h[keep[i]! * n + keep[j]!]!;
  const wd = w.data as Float32Array;
  const bd = b.data as Float32Array;
  // W_aug [n × O] (column o = output o's weights in view order, then its bias)
  const B = new Float64Array(k * O!);
  const wcol = new Float64Array(n);
  for (let o = 0; o < O!; o++) {
    for (let c = 0; c < cols; c++) wcol[c] = wd[o * cols + (c % Cin!) * K + Math.floor(c / Cin!)]!;
    wcol[cols] = bd[o]!;
    for (let i = 0; i < k; i++) {
      const row = keep[i]! * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += h[row + j]! * wcol[j]!;
      B[i * O! + o] = s;
    }
  }
  const { L } = choleskyDamped({ rows: k, cols: k, data: A }, { damp: 1e-4 });
  const Z = choleskySolve(L, { rows: k, cols: O!, data: B }).data;
  const nw = float32(w.dims, new Float32Array(wd.length));
  const nb = float32(b.dims, new Float32Array(bd.length));
  const nwd = nw.data as Float32Array;
  for (let i = 0; i < k - 1; i++) {
    const c = keep[i]!;
    for (let o = 0; o < O!; o++) nwd[o * cols + (c % Cin!) * K + Math.floor(c / Cin!)] = Z[i * O! + o]!;
  }
  for (let o = 0; o < O!; o++) (nb.data as Float32Array)[o] = Z[(k - 1) * O! + o]!;
  setConstInput(g, node, 1, nw);
  setConstInput(g, node, 2, nb);
}
