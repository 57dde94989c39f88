// Conv weight decompositions: spatial (k×1 then 1×k, Jaderberg et al.) and channel (k×k into r
// channels then 1×1, Zhang et al.), plain or data-aware.
//
// API (weights [Cout, Cin, kh, kw] row-major):
//   spatialDecompose(W, shape, spec) → {vertical [K, Cin, kh, 1], horizontal [Cout, K, 1, kw], rank, error}
//     from the SVD of M[(c,y),(o,x)] = W[o,c,y,x] (full rank min(Cin·kh, Cout·kw) is exact).
//   channelDecompose(W, shape, spec, {gram?}) → {first [r, Cin, kh, kw], second [Cout, r, 1, 1], rank, error}
//     from W as a Cout × (Cin·kh·kw) matrix; with gram (XXᵀ of im2col patches, (Cin·kh·kw)²) the
//     factors minimise the output error on those patches (data-aware).
//   spatialReconstruct / channelReconstruct → the equivalent single conv weight (Float64Array).

import { dataAwareLowRank, lowRank } from './lowrank.ts';
import type { Matrix } from './matrix.ts';
import type { RankSpec } from './rank.ts';
import type { ConvShape } from './tucker.ts';

export interface SpatialFactors {
  readonly vertical: Float32Array;
  readonly horizontal: Float32Array;
  readonly rank: number;
  readonly error: number;
}

export function spatialDecompose(
  weight: ArrayLike<number>,
  shape: ConvShape,
  spec: RankSpec,
  opts: { roundTo?: number } = {},
): SpatialFactors {
  const [co, ci, kh, kw] = shape;
  const rows = ci * kh;
  const cols = co * kw;
  const m = new Float64Array(rows * cols);
  for (let o = 0; o < co; o++) {
    for (let c = 0; c < ci; c++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++)
          m[(c * kh + y) * cols + o * kw + x] = weight[((o * ci + c) * kh + y) * kw + x]!;
      }
    }
  }
  const f = lowRank({ rows, cols, data: m }, spec, { roundTo: opts.roundTo, randomized: false });
  const K = f.rank;
  // vertical[k, c, y, 0] = A[(c,y), k];  horizontal[o, k, 0, x] = B[k, (o,x)]
  const vertical = new Float32Array(K * ci * kh);
  for (let k = 0; k < K; k++) {
    for (let r = 0; r < rows; r++) vertical[k * rows + r] = f.A.data[r * K + k]!;
  }
  const horizontal = new Float32Array(co * K * kw);
  for (let o = 0; o < co; o++) {
    for (let k = 0; k < K; k++) {
      for (let x = 0; x < kw; x++) horizontal[(o * K + k) * kw + x] = f.B.data[k * cols + o * kw + x]!;
    }
  }
  return { vertical, horizontal, rank: K, error: f.error };
}

export function spatialReconstruct(f: SpatialFactors, shape: ConvShape): Float64Array {
  const [co, ci, kh, kw] = shape;
  const K = f.rank;
  const out = new Float64Array(co * ci * kh * kw);
  for (let o = 0; o < co; o++) {
    for (let c = 0; c < ci; c++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          let s = 0;
          for (let k = 0; k < K; k++)
            s += f.horizontal[(o * K + k) * kw + x]! * f.vertical[(k * ci + c) * kh + y]!;
          out[((o * ci + c) * kh + y) * kw + x] = s;
        }
      }
    }
  }
  return out;
}

export interface ChannelFactors {
  readonly first: Float32Array;
  readonly second: Float32Array;
  readonly rank: number;
  readonly error: number;
}

export function channelDecompose(
  weight: ArrayLike<number>,
  shape: ConvShape,
  spec: RankSpec,
  opts: { roundTo?: number; gram?: Matrix; damp?: number } = {},
): ChannelFactors {
  const [co, ci, kh, kw] = shape;
  const n = ci * kh * kw;
  const w: Matrix = { rows: co, cols: n, data: Float64Array.from(weight) };
  const f =
    opts.gram !== undefined
      ? dataAwareLowRank(w, { gram: opts.gram }, spec, { roundTo: opts.roundTo, damp: opts.damp })
      : lowRank(w, spec, { roundTo: opts.roundTo, randomized: false });
  return {
    first: Float32Array.from(f.B.data),
    second: Float32Array.from(f.A.data),
    rank: f.rank,
    error: f.error,
  };
}

export function channelReconstruct(f: ChannelFactors, shape: ConvShape): Float64Array {
  const [co, ci, kh, kw] = shape;
  const n = ci * kh * kw;
  const r = f.rank;
  const out = new Float64Array(co * n);
  for (let o = 0; o < co; o++) {
    for (let k = 0; k < r; k++) {
      const a = f.second[o * r + k]!;
      for (let j = 0; j < n; j++) out[o * n + j]! += a * f.first[k * n + j]!;
    }
  }
  return out;
}
