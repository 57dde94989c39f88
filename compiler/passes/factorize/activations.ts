// Input Grams for data-aware factorization: run the model on the calibration samples through the
// executor, observing the data input of each selected Gemm/MatMul, and sum XᵀX over its rows.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import type { Sample } from '../../data/calibration.ts';
import type { Matrix } from '../../linalg/matrix.ts';
import { addPatchGrams, type ConvGeometry } from './patches.ts';

/** Adds Σ x·xᵀ over the rows of t (last axis n; or, with transA, the columns of a 2-D t). */
export function addGram(g: Float64Array, n: number, t: Tensor, transA = false): void {
  const d = t.data as Float32Array;
  if (transA) {
    const b = t.dims[1]!;
    for (let r = 0; r < b; r++) {
      for (let i = 0; i < n; i++) {
        const xi = d[i * b + r]!;
        if (xi === 0) continue;
        for (let j = 0; j <= i; j++) g[i * n + j]! += xi * d[j * b + r]!;
      }
    }
    return;
  }
  const rows = d.length / n;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) {
      const xi = d[o + i]!;
      if (xi === 0) continue;
      for (let j = 0; j <= i; j++) g[i * n + j]! += xi * d[o + j]!;
    }
  }
}

function symmetrize(g: Float64Array, n: number): Matrix {
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[j * n + i] = g[i * n + j]!;
  return { rows: n, cols: n, data: g };
}

/** Positions sampled per conv input per sample for its patch Gram. */
export const PATCHES_PER_SAMPLE = 512;

/**
 * Input Grams of each node over all samples, keyed by node: for Gemm/MatMul one XᵀX (width²) of its
 * data input's rows; for Conv one patch Gram per group (width = Ci/g·kh·kw).
 */
export async function inputGrams(
  model: Model,
  nodes: { node: Node; width: number; groups?: number; geometry?: ConvGeometry }[],
  samples: Sample[],
  progress?: (done: number, total: number) => void,
): Promise<Map<Node, Matrix[]>> {
  const { createSession } = await import('../../../runtime/exec/index.ts');
  const names = [...new Set(nodes.map((x) => x.node.inputs[0]!))];
  const grams = new Map<Node, Float64Array[]>(
    nodes.map((x) => [
      x.node,
      Array.from({ length: x.groups ?? 1 }, () => new Float64Array(x.width * x.width)),
    ]),
  );
  const session = await createSession(model, { observe: names });
  try {
    for (const [i, feeds] of samples.entries()) {
      const out = await session.run(feeds, { observe: names });
      for (const [k, { node, width, geometry }] of nodes.entries()) {
        const t = out[node.inputs[0]!];
        if (!t) throw new Error(`factorize: the executor did not return ${node.inputs[0]}`);
        if (geometry) addPatchGrams(grams.get(node)!, t, geometry, PATCHES_PER_SAMPLE, 7919 * i + k);
        else addGram(grams.get(node)![0]!, width, t, node.opType === 'Gemm' && node.attrs.transA === 1);
      }
      progress?.(i + 1, samples.length);
    }
  } finally {
    session.dispose();
  }
  const out = new Map<Node, Matrix[]>();
  for (const { node, width } of nodes)
    out.set(
      node,
      grams.get(node)!.map((g) => symmetrize(g, width)),
    );
  return out;
}
