// A layer's weight seen as per-group matrices [out × in] whose columns follow the calibration
// Hessians (Conv: column = kernelPos·cinG + ci, input channels fastest, i.e. im2col vectors per group,
// kernel position major; Gemm/MatMul: the K axis). Pruning edits weights through it, clustering
// reads and labels them through it.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Node } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';

export interface WeightView {
  /** The float32 weight values (edited in place by the prune routines). */
  data: Float32Array;
  dims: readonly number[];
  groups: number;
  /** Outputs per group. */
  rows: number;
  /** Inputs per group (Conv: cinG·kh·kw). */
  cols: number;
  /** Conv: input channels per group and kernel positions; Gemm/MatMul: cols and 1. */
  cinG: number;
  kernel: number;
  /** Flat index into data of (group, row, column). */
  idx: (g: number, r: number, c: number) => number;
}

/** Conv weight [cout, cin/g, kh, kw] with `group` groups. */
export function convView(w: Tensor, group: number): WeightView {
  const [cout, cinG, ...k] = w.dims as number[];
  const kernel = k.reduce((a, b) => a * b, 1);
  const rows = cout! / group;
  return {
    data: w.data as Float32Array,
    dims: w.dims,
    groups: group,
    rows,
    cols: cinG! * kernel,
    cinG: cinG!,
    kernel,
    idx: (g, r, c) => (g * rows + r) * cinG! * kernel + (c % cinG!) * kernel + Math.floor(c / cinG!),
  };
}

/** Gemm/MatMul weight: [K, N] (out = N), or [N, K] when transposed (Gemm transB = 1). */
export function matrixView(w: Tensor, transposed: boolean): WeightView {
  const [a, b] = w.dims as number[];
  const K = transposed ? b! : a!;
  const N = transposed ? a! : b!;
  return {
    data: w.data as Float32Array,
    dims: w.dims,
    groups: 1,
    rows: N,
    cols: K,
    cinG: K,
    kernel: 1,
    idx: transposed ? (_g, r, c) => r * K + c : (_g, r, c) => c * N + r,
  };
}

/** The view of a node's constant weight (input 1): 2-D Conv, Gemm or 2-D MatMul; undefined otherwise. */
export function weightView(g: Graph, n: Node): WeightView | undefined {
  const w = g.constant(n.inputs[1] ?? '');
  if (!w) return undefined;
  if (n.opType === 'Conv' && w.dims.length === 4)
    return convView(w, (n.attrs.group as number | undefined) ?? 1);
  if ((n.opType === 'Gemm' || n.opType === 'MatMul') && w.dims.length === 2)
    return matrixView(w, n.opType === 'Gemm' && n.attrs.transB === 1);
  return undefined;
}

/** One group's matrix as a row-major Float64Array [rows × cols]. */
export function readGroup(v: WeightView, g: number): Float64Array {
  const out = new Float64Array(v.rows * v.cols);
  for (let r = 0; r < v.rows; r++)
    for (let c = 0; c < v.cols; c++) out[r * v.cols + c] = v.data[v.idx(g, r, c)]!;
  return out;
}

export function writeGroup(v: WeightView, g: number, m: Float64Array): void {
  for (let r = 0; r < v.rows; r++)
    for (let c = 0; c < v.cols; c++) v.data[v.idx(g, r, c)] = m[r * v.cols + c]!;
}
