// `reconstruct least-squares` for magnitude masks (weights, N:M, kernels, blocks with l1/l2/random):
// after the mask is chosen, each layer's kept weights (and a conv's bias) are refit, layer by layer in
// graph order, so its output on its inputs in the pruned model matches the ORIGINAL model's output on
// the original inputs: per output row, (H_KK + λI)·w′_K = (Xᵀ·w)_K + λ·w_K over the kept columns K
// (H = Σ x·xᵀ, X = Σ x̄·xᵀ, λ = 1% of H's mean diagonal). Zeros stay zero: the sparsity is unchanged.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Sample } from '../../data/calibration.ts';
import type { PassContext } from '../../engine/pass.ts';
import { choleskyDamped, choleskySolve } from '../../linalg/cholesky.ts';
import type { LayerGrams } from './hessian.ts';
import {
  augmented,
  enoughRows,
  type GptTarget,
  privateBias,
  walkLayers,
  writeAugmented,
} from './sparsegpt-layers.ts';

/** Refits one row w′ (length n, in place) on its kept columns; `orig` is the unpruned row. */
export function refitRow(
  w: Float64Array,
  orig: Float64Array,
  n: number,
  h: Float64Array,
  x: Float64Array,
  keep: number[],
  damp = 0.01,
): void {
  const k = keep.length;
  if (k === 0) return;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += Math.abs(h[i * n + i]!) / n;
  const a = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let p = 0; p < k; p++) {
    const i = keep[p]!;
    for (let q = 0; q < k; q++) a[p * k + q] = h[i * n + keep[q]!]!;
    if (a[p * k + p]! <= 0) a[p * k + p] = mean > 0 ? mean : 1;
    let s = 0;
    for (let j = 0; j < n; j++) s += x[j * n + i]! * orig[j]!;
    b[p] = s;
  }
  // ridge towards the original weights: add λ·w_K to the right side for the λ the damping picks
  const { L, lambda } = choleskyDamped(
    { rows: k, cols: k, data: a },
    { damp: (damp * mean * k) / Math.max(1e-300, trace(a, k)) },
  );
  for (let p = 0; p < k; p++) b[p]! += lambda * orig[keep[p]!]!;
  const sol = choleskySolve(L, { rows: k, cols: 1, data: b }).data;
  for (let p = 0; p < k; p++) w[keep[p]!] = sol[p]!;
}

function trace(a: Float64Array, k: number): number {
  let t = 0;
  for (let i = 0; i < k; i++) t += Math.abs(a[i * k + i]!);
  return t;
}

export interface MaskedTarget extends GptTarget {
  /** The weight before the mask (same layout as view.data). */
  orig: Float32Array;
}

/** Refits every target's kept weights (model edited in place); `original` is the unpruned model. */
export async function refitMasked(
  model: Model,
  original: Model,
  targets: MaskedTarget[],
  samples: Sample[],
  ctx: Pick<PassContext, 'progress' | 'warn'> = {},
): Promise<void> {
  await walkLayers(
    model,
    targets,
    samples,
    original,
    (t, acc) => {
      if (enoughRows(acc)) refitTarget(model, t as MaskedTarget, acc);
      else
        ctx.warn?.(
          `reconstruct least-squares skipped ${t.layer}: ${acc.count ?? 0} calibration rows for ${acc.cols} columns (needs ${Math.ceil(acc.cols / 4)}; add samples)`,
        );
    },
    ctx,
  );
}

/** Refits one target's kept weights on its Grams (H and the cross Grams with the original inputs). */
export function refitTarget(model: Model, t: MaskedTarget, acc: LayerGrams): void {
  const v = t.view;
  const bias = privateBias(model, t);
  const ws = augmented(t, bias);
  const pruned = v.data.slice();
  v.data.set(t.orig);
  const wos = augmented(t, bias);
  v.data.set(pruned);
  const n = acc.cols;
  for (let g = 0; g < v.groups; g++)
    for (let r = 0; r < v.rows; r++) {
      const w = ws[g]!.subarray(r * n, (r + 1) * n);
      const keep: number[] = [];
      for (let c = 0; c < n; c++) if (c >= v.cols || w[c] !== 0) keep.push(c);
      refitRow(w, wos[g]!.subarray(r * n, (r + 1) * n), n, acc.h[g]!, acc.x![g]!, keep);
    }
  writeAugmented(t, ws, bias);
}
