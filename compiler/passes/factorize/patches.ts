// im2col Grams for data-aware conv factorization: Σ p·pᵀ over (a seeded sample of) the input
// patches p (length Ci/g·kh·kw, ordered as the weight's [c, y, x]) of each group of a Conv.

import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { rng } from '../../data/random.ts';
import { type ConvGeometry, PatchReader } from '../../linalg/patches.ts';

export { type ConvGeometry, convGeometry } from '../../linalg/patches.ts';

/** Adds the patch Grams of input x [N, Ci, H, W] into grams (one n×n lower triangle per group). */
export function addPatchGrams(
  grams: Float64Array[],
  x: Tensor,
  geo: ConvGeometry,
  maxPositions: number,
  seed: number,
): void {
  const N = x.dims[0]!;
  const d = x.data as Float32Array;
  const reader = new PatchReader(x.dims, geo, 'cyx');
  const total = reader.positions;
  if (total === 0) return;
  const n = reader.size;
  const random = rng(seed);
  const picks: number[] = [];
  if (total <= maxPositions) for (let i = 0; i < total; i++) picks.push(i);
  else for (let i = 0; i < maxPositions; i++) picks.push(Math.floor(random() * total));
  const p = new Float64Array(n);
  for (let b = 0; b < N; b++) {
    for (let gi = 0; gi < geo.group; gi++) {
      const g = grams[gi]!;
      for (const pos of picks) {
        reader.read(d, b, gi, pos, p);
        for (let i = 0; i < n; i++) {
          const pi = p[i]!;
          if (pi === 0) continue;
          const row = i * n;
          for (let j = 0; j <= i; j++) g[row + j]! += pi * p[j]!;
        }
      }
    }
  }
}

/**
 * G + λI with λ = rel · mean diagonal: the refits below then minimise ‖(W − Ŵ)·X‖² + λ‖W − Ŵ‖², so
 * directions the calibration patches never excite keep the plain weights (and full rank stays exact).
 */
export function dampedGram(g: { rows: number; cols: number; data: Float64Array }, rel = 1e-6) {
  const n = g.rows;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += g.data[i * n + i]!;
  mean = n && mean > 0 ? mean / n : 1;
  const data = g.data.slice();
  for (let i = 0; i < n; i++) data[i * n + i]! += rel * mean;
  return { rows: n, cols: n, data };
}

export { quadraticForm } from '../../linalg/matrix.ts';
