// im2col Grams for data-aware conv factorization: Σ p·pᵀ over (a seeded sample of) the input
// patches p (length Ci/g·kh·kw, ordered as the weight's [c, y, x]) of each group of a Conv.

import type { Node } from '../../../runtime/ir/node.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { rng } from '../../linalg/matrix.ts';

export interface ConvGeometry {
  group: number;
  cig: number;
  kh: number;
  kw: number;
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] for input height h, width w. */
  pads: (h: number, w: number) => [number, number, number, number];
}

export function convGeometry(n: Node, wdims: readonly number[]): ConvGeometry {
  const a = n.attrs;
  const strides = ((a.strides as number[] | undefined) ?? [1, 1]) as [number, number];
  const dilations = ((a.dilations as number[] | undefined) ?? [1, 1]) as [number, number];
  const [, cig, kh, kw] = wdims as [number, number, number, number];
  const autoPad = typeof a.auto_pad === 'string' ? a.auto_pad : 'NOTSET';
  const explicit = ((a.pads as number[] | undefined) ?? [0, 0, 0, 0]) as [number, number, number, number];
  const same = (size: number, k: number, s: number, d: number, upper: boolean): [number, number] => {
    const out = Math.ceil(size / s);
    const total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - size);
    const small = Math.floor(total / 2);
    return upper ? [small, total - small] : [total - small, small];
  };
  const pads = (h: number, w: number): [number, number, number, number] => {
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const up = autoPad === 'SAME_UPPER';
      const [t, b] = same(h, kh, strides[0], dilations[0], up);
      const [l, r] = same(w, kw, strides[1], dilations[1], up);
      return [t, l, b, r];
    }
    if (autoPad === 'VALID') return [0, 0, 0, 0];
    return [explicit[0], explicit[1], explicit[2], explicit[3]];
  };
  return { group: typeof a.group === 'number' ? a.group : 1, cig, kh, kw, strides, dilations, pads };
}

/** Adds the patch Grams of input x [N, Ci, H, W] into grams (one n×n lower triangle per group). */
export function addPatchGrams(
  grams: Float64Array[],
  x: Tensor,
  geo: ConvGeometry,
  maxPositions: number,
  seed: number,
): void {
  const [N, C, H, W] = x.dims as [number, number, number, number];
  const d = x.data as Float32Array;
  const { group, cig, kh, kw, strides, dilations } = geo;
  const [pt, pl, pb, pr] = geo.pads(H, W);
  const ho = Math.floor((H + pt + pb - dilations[0] * (kh - 1) - 1) / strides[0]) + 1;
  const wo = Math.floor((W + pl + pr - dilations[1] * (kw - 1) - 1) / strides[1]) + 1;
  if (ho <= 0 || wo <= 0) return;
  const n = cig * kh * kw;
  const total = ho * wo;
  const random = rng(seed);
  const picks: number[] = [];
  if (total <= maxPositions) for (let i = 0; i < total; i++) picks.push(i);
  else for (let i = 0; i < maxPositions; i++) picks.push(Math.floor(random() * total));
  const p = new Float64Array(n);
  for (let b = 0; b < N; b++) {
    for (let gi = 0; gi < group; gi++) {
      const g = grams[gi]!;
      for (const pos of picks) {
        const oy = Math.floor(pos / wo);
        const ox = pos % wo;
        let k = 0;
        for (let c = 0; c < cig; c++) {
          const plane = (b * C + gi * cig + c) * H * W;
          for (let y = 0; y < kh; y++) {
            const iy = oy * strides[0] - pt + y * dilations[0];
            for (let xx = 0; xx < kw; xx++) {
              const ix = ox * strides[1] - pl + xx * dilations[1];
              p[k++] = iy >= 0 && iy < H && ix >= 0 && ix < W ? d[plane + iy * W + ix]! : 0;
            }
          }
        }
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

/** tr(D·G·Dᵀ) for D (rows × n, row-major), G (n × n): the output energy of D on patches with Gram G. */
export function quadraticForm(
  d: Float64Array,
  rows: number,
  g: { rows: number; data: Float64Array },
): number {
  const n = g.rows;
  let s = 0;
  for (let o = 0; o < rows; o++) {
    for (let i = 0; i < n; i++) {
      const di = d[o * n + i]!;
      if (di === 0) continue;
      let t = 0;
      for (let j = 0; j < n; j++) t += g.data[i * n + j]! * d[o * n + j]!;
      s += di * t;
    }
  }
  return s;
}
