// Data-aware spatial factors of one conv group: keep the vertical (kh×1) convs of plain SVD, then fit
// the horizontal (1×kw) weights by least squares on the input patches (Gram G): with P mapping a
// k×k patch to the vertical outputs it feeds, Hz = W·G·Pᵀ(P·G·Pᵀ)⁻¹ minimises ‖(W − Hz·P)·X‖.

import { choleskyDamped, choleskySolve } from '../../linalg/cholesky.ts';
import { spatialDecompose } from '../../linalg/conv.ts';
import { type Matrix, matmul } from '../../linalg/matrix.ts';
import type { ConvShape } from '../../linalg/tucker.ts';
import { dampedGram, quadraticForm } from './patches.ts';

export interface SpatialGroup {
  vertical: Float32Array;
  horizontal: Float32Array;
  errSq: number;
  outSq: number;
}

export function spatialDataAware(
  w: ArrayLike<number>,
  shape: ConvShape,
  rank: number,
  observed: Matrix,
): SpatialGroup {
  const gram = dampedGram(observed);
  const [co, ci, kh, kw] = shape;
  const n = ci * kh * kw;
  const plain = spatialDecompose(w, shape, { kind: 'rank', n: rank });
  const K = plain.rank;
  const V = plain.vertical; // [K, ci, kh]
  const q = K * kw;
  // P[(k,x), (c,y,x')] = V[k,c,y]·δ(x,x');  GPᵀ (n × q)
  const gpt = new Float64Array(n * q);
  for (let row = 0; row < n; row++) {
    for (let c = 0; c < ci; c++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          const gv = gram.data[row * n + (c * kh + y) * kw + x]!;
          if (gv === 0) continue;
          for (let k = 0; k < K; k++) gpt[row * q + k * kw + x]! += gv * V[(k * ci + c) * kh + y]!;
        }
      }
    }
  }
  // H = P·GPᵀ (q × q)
  const H = new Float64Array(q * q);
  for (let k = 0; k < K; k++) {
    for (let x = 0; x < kw; x++) {
      const hr = (k * kw + x) * q;
      for (let c = 0; c < ci; c++) {
        for (let y = 0; y < kh; y++) {
          const v = V[(k * ci + c) * kh + y]!;
          if (v === 0) continue;
          const row = ((c * kh + y) * kw + x) * q;
          for (let j = 0; j < q; j++) H[hr + j]! += v * gpt[row + j]!;
        }
      }
    }
  }
  for (let i = 0; i < q; i++)
    for (let j = 0; j < i; j++) H[i * q + j] = H[j * q + i] = (H[i * q + j]! + H[j * q + i]!) / 2;
  const R = matmul({ rows: co, cols: n, data: Float64Array.from(w) }, { rows: n, cols: q, data: gpt });
  const { L } = choleskyDamped({ rows: q, cols: q, data: H }, { damp: 0 });
  const Rt: Matrix = { rows: q, cols: co, data: new Float64Array(q * co) };
  for (let o = 0; o < co; o++) for (let j = 0; j < q; j++) Rt.data[j * co + o] = R.data[o * q + j]!;
  const hzT = choleskySolve(L, Rt); // q × co
  const horizontal = new Float32Array(co * q); // [co, K, 1, kw]
  for (let o = 0; o < co; o++) for (let j = 0; j < q; j++) horizontal[o * q + j] = hzT.data[j * co + o]!;
  const diff = Float64Array.from(w);
  for (let o = 0; o < co; o++)
    for (let c = 0; c < ci; c++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          let v = 0;
          for (let k = 0; k < K; k++) v += horizontal[o * q + k * kw + x]! * V[(k * ci + c) * kh + y]!;
          diff[o * n + (c * kh + y) * kw + x]! -= v;
        }
  return {
    vertical: V,
    horizontal,
    errSq: quadraticForm(diff, co, observed),
    outSq: quadraticForm(Float64Array.from(w), co, observed),
  };
}
