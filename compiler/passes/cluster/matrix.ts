// A layer's weight as `groups` matrices of rows (outputs) × cols (inputs) in the column order of the
// calibration Hessians: Conv [cout, cinG, kh, kw] → per group coutG × (kh·kw·cinG, kernel position
// major); Gemm/MatMul → N × K. `index(g, r, c)` is the element's offset in the weight tensor.

import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Node } from '../../../runtime/ir/node.ts';

export interface WeightMatrix {
  dims: readonly number[];
  groups: number;
  rows: number;
  cols: number;
  index: (g: number, r: number, c: number) => number;
}

/** The matrix view of a Conv (2-D), Gemm or 2-D MatMul weight; undefined for anything else. */
export function weightMatrix(g: Graph, n: Node): WeightMatrix | undefined {
  const w = g.constant(n.inputs[1] ?? '');
  if (!w) return undefined;
  const dims = w.dims;
  if (n.opType === 'Conv' && dims.length === 4) {
    const [cout, cinG, kh, kw] = dims as [number, number, number, number];
    const groups = (n.attrs.group as number | undefined) ?? 1;
    const rows = cout / groups;
    return {
      dims,
      groups,
      rows,
      cols: cinG * kh * kw,
      index: (gr, r, c) => {
        const s = Math.floor(c / cinG);
        const ci = c % cinG;
        return (((gr * rows + r) * cinG + ci) * kh + Math.floor(s / kw)) * kw + (s % kw);
      },
    };
  }
  if ((n.opType === 'Gemm' || n.opType === 'MatMul') && dims.length === 2) {
    const [a, b] = dims as [number, number];
    const trans = n.opType === 'Gemm' && n.attrs.transB === 1; // [N, K]
    return trans
      ? { dims, groups: 1, rows: a, cols: b, index: (_g, r, c) => r * b + c }
      : { dims, groups: 1, rows: b, cols: a, index: (_g, r, c) => c * b + r };
  }
  return undefined;
}
