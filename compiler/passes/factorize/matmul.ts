// Gemm/MatMul with a constant 2-D weight W (n×m, in × out) → two products through rank r:
// X·W ≈ (X·P)·Q. Plain: truncated SVD of W. Data-aware: minimise ‖X·W − X·P·Q‖ on calibration rows
// (factors of Wᵀ whitened by the input Gram XᵀX). Bias, alpha/beta and transA/transB handled.

import type { Attribute } from '../../../runtime/ir/attribute.ts';
import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32, type Tensor } from '../../../runtime/ir/tensor.ts';
import { dataAwareLowRank, lowRank } from '../../linalg/lowrank.ts';
import { frobenius, type Matrix } from '../../linalg/matrix.ts';
import type { FactorizeSettings } from './options.ts';

export type Outcome =
  | {
      kind: 'done';
      method: string;
      /** One rank per factorized mode (one for svd/channel/spatial, [out, in] for tucker). */
      ranks: number[];
      full: number[];
      paramsBefore: number;
      paramsAfter: number;
      flopsRatio: number;
      /** Relative error of the objective: ‖W − Ŵ‖/‖W‖, or the output error on calibration data. */
      error: number;
      /** Names of the nodes added after the first factor (which keeps the layer's name). */
      parts: string[];
    }
  | { kind: 'skipped'; reason: string };

/** The input whose Gram a data-aware factorization needs, and how its rows are laid out. */
export function matmulWeight(g: Graph, n: Node): { w: Tensor; wName: string } | string {
  if (n.opType !== 'MatMul' && n.opType !== 'Gemm') return `${n.opType} is not Gemm/MatMul`;
  const wName = n.inputs[1] ?? '';
  const w = g.constant(wName);
  if (!w) return 'its weight (second input) is not a constant';
  if (w.dtype !== 'float32') return `its weight is ${w.dtype}, not float32`;
  if (w.dims.length !== 2) return `its weight has ${w.dims.length} dimensions, not 2`;
  return { w, wName };
}

/** W as n×m (in × out) whatever transB says. */
export function weightMatrix(n: Node, w: Tensor): Matrix {
  const [a, b] = w.dims as [number, number];
  const data = w.data as Float32Array;
  const transB = n.opType === 'Gemm' && n.attrs.transB === 1;
  if (!transB) return { rows: a, cols: b, data: Float64Array.from(data) };
  const out = new Float64Array(a * b);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[j * a + i] = data[i * b + j]!;
  return { rows: b, cols: a, data: out };
}

function transposed(a: Matrix): Float32Array {
  const out = new Float32Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j]!;
  return out;
}

/** Factors P (n×r), Q (r×m) of W (n×m): plain SVD, or data-aware with the input Gram (n×n). */
export function matmulFactors(
  W: Matrix,
  s: FactorizeSettings,
  gramXtX?: Matrix,
): { P: Float32Array; Q: Float32Array; rank: number; error: number } {
  const [n, m] = [W.rows, W.cols];
  if (!gramXtX) {
    const f = lowRank(W, s.spec, { roundTo: s.roundTo });
    const total = frobenius(W);
    return {
      P: Float32Array.from(f.A.data),
      Q: Float32Array.from(f.B.data),
      rank: f.rank,
      error: total ? f.error / total : 0,
    };
  }
  // Wᵀ (m×n) ≈ A'·B' minimising ‖(Wᵀ − A'B')·L‖ with L·Lᵀ = XᵀX: P = B'ᵀ, Q = A'ᵀ.
  const wt: Matrix = { rows: m, cols: n, data: Float64Array.from(transposed(W)) };
  const f = dataAwareLowRank(wt, { gram: gramXtX }, s.spec, {
    roundTo: s.roundTo,
    rankFrom: s.rankFrom ?? 'weights',
  });
  let total = 0;
  for (const v of f.S) total += v * v;
  return {
    P: transposed(f.B),
    Q: transposed(f.A),
    rank: f.rank,
    error: total ? f.error / Math.sqrt(total) : 0,
  };
}

/** Rewrites node n in g (when it pays off); gram is XᵀX of its data input rows for data-aware. */
export function factorizeMatMul(g: Graph, n: Node, s: FactorizeSettings, gramXtX?: Matrix): Outcome {
  const found = matmulWeight(g, n);
  if (typeof found === 'string') return { kind: 'skipped', reason: found };
  if (s.method && s.method !== 'svd')
    return { kind: 'skipped', reason: `method ${s.method} is for Conv; ${n.opType} takes svd` };
  const W = weightMatrix(n, found.w);
  const [rows, cols] = [W.rows, W.cols];
  const before = rows * cols;
  const f = matmulFactors(W, s, gramXtX);
  const r = f.rank;
  const after = r * (rows + cols);
  const full = Math.min(rows, cols);
  if (after >= before && !s.force) {
    return {
      kind: 'skipped',
      reason: `rank ${r} of ${full} would not reduce params or FLOPs (${after} ≥ ${before}); kept as is`,
    };
  }
  const base = n.name || n.outputs[0]!;
  const pName = g.uniqueName(`${base}.lowrank.P`);
  const qName = g.uniqueName(`${base}.lowrank.Q`);
  g.addInitializer(pName, float32([rows, r], f.P));
  g.addInitializer(qName, float32([r, cols], f.Q));
  const mid = g.uniqueName(`${n.outputs[0]}.lowrank`);
  const out = n.outputs[0]!;
  if (n.opType === 'MatMul') {
    g.addNode({ op: 'MatMul', name: n.name, inputs: [n.inputs[0]!, pName], outputs: [mid] }, { before: n });
    g.addNode({ op: 'MatMul', name: `${base}.lowrank`, inputs: [mid, qName], outputs: [out] }, { before: n });
  } else {
    const at = n.attrs;
    const transA = at.transA === 1 ? 1 : 0;
    g.addNode(
      { op: 'Gemm', name: n.name, inputs: [n.inputs[0]!, pName], outputs: [mid], attrs: { transA } },
      { before: n },
    );
    const attrs: Record<string, Attribute> = {};
    for (const a of n.attributes) if (a.name === 'alpha' || a.name === 'beta') attrs[a.name] = a;
    const c = n.inputs[2];
    g.addNode(
      {
        op: 'Gemm',
        name: `${base}.lowrank`,
        inputs: c ? [mid, qName, c] : [mid, qName],
        outputs: [out],
        attrs,
      },
      { before: n },
    );
  }
  g.removeNode(n);
  if (g.initializers.has(found.wName) && g.consumers(found.wName).length === 0)
    g.initializers.delete(found.wName);
  return {
    kind: 'done',
    method: 'svd',
    ranks: [r],
    full: [full],
    paramsBefore: before,
    paramsAfter: after,
    flopsRatio: after / before,
    error: f.error,
    parts: [`${base}.lowrank`],
  };
}
