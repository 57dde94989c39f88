// Calibration Hessians H = Σ x·xᵀ of the inputs each clustered layer's weight sees (Conv: im2col
// vectors per group, kernel position major; Gemm/MatMul: the input rows), from one executor run over
// the calibration samples; large feature maps are subsampled (at most MAX_POSITIONS per sample).

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import type { Sample } from '../../data/calibration.ts';
import { convGeometry, PatchReader } from '../../linalg/patches.ts';
import { addGram } from '../factorize/activations.ts';
import { type WeightView, weightView } from '../weight-view.ts';

export const MAX_POSITIONS = 512;

/** Lower triangles of the im2col Grams of a 2-D conv input x [N, C, H, W], one per group. */
function addConvGrams(h: Float64Array[], node: Node, x: Tensor, m: WeightView, offset: number): number {
  const reader = new PatchReader(x.dims, convGeometry(node, m.dims), 'yxc');
  const total = reader.positions;
  const cols = m.cols;
  const step = Math.max(1, Math.ceil(total / MAX_POSITIONS));
  const d = x.data as Float32Array;
  const v = new Float64Array(cols);
  let count = 0;
  for (let n = 0; n < x.dims[0]!; n++)
    for (let g = 0; g < m.groups; g++) {
      const acc = h[g]!;
      for (let p = (offset + n * 7) % step; p < total; p += step) {
        if (g === 0) count++;
        reader.read(d, n, g, p, v);
        for (let i = 0; i < cols; i++) {
          const vi = v[i]!;
          if (vi === 0) continue;
          const row = i * cols;
          for (let j = 0; j <= i; j++) acc[row + j]! += vi * v[j]!;
        }
      }
    }
  return count;
}

/** Symmetric Hessians per layer and group, summed over the samples; `rows` gets the vectors summed per layer. */
export async function clusterHessians(
  model: Model,
  nodes: Node[],
  samples: Sample[],
  rows?: Map<Node, number>,
): Promise<Map<Node, Float64Array[]>> {
  const { createSession } = await import('../../../runtime/exec/index.ts');
  const out = new Map<Node, Float64Array[]>();
  const mats = new Map<Node, WeightView>();
  for (const n of nodes) {
    const m = weightView(model.graph, n);
    if (!m) continue;
    mats.set(n, m);
    out.set(
      n,
      Array.from({ length: m.groups }, () => new Float64Array(m.cols * m.cols)),
    );
  }
  const names = [...new Set([...mats.keys()].map((n) => n.inputs[0]!))];
  const session = await createSession(model, { observe: names });
  try {
    for (const [i, feeds] of samples.entries()) {
      const res = await session.run(feeds, { observe: names });
      for (const [n, m] of mats) {
        const x = res[n.inputs[0]!];
        if (!x) throw new Error(`cluster: the executor did not return ${n.inputs[0]}`);
        const h = out.get(n)!;
        let k = x.data.length / m.cols;
        if (n.opType === 'Conv') k = addConvGrams(h, n, x, m, i);
        else addGram(h[0]!, m.cols, x, n.opType === 'Gemm' && n.attrs.transA === 1);
        rows?.set(n, (rows.get(n) ?? 0) + k);
      }
    }
  } finally {
    session.dispose();
  }
  for (const [n, hs] of out) {
    const c = mats.get(n)!.cols;
    for (const h of hs) for (let i = 0; i < c; i++) for (let k = 0; k < i; k++) h[k * c + i] = h[i * c + k]!;
  }
  return out;
}
