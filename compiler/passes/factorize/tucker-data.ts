// Data-aware Tucker-2 of one conv group: keep the input factor U2 of plain Tucker-2 (HOSVD + ALS),
// then choose U1 and the core minimising the output error on the input patches (Gram G):
// with P the projection of a patch onto U2 per tap, M* = W·G·Pᵀ(P·G·Pᵀ)⁻¹ is the least-squares map
// from projected patches, and the best rank-r1 M = U1·core in the metric P·G·Pᵀ is dataAwareLowRank(M*).
// ‖(W − M·P)·X‖² = ‖(W − M*·P)·X‖² + ‖(M* − M)·P·X‖², so this is optimal for the given U2.
// G is damped once (dampedGram: unseen directions keep the plain weights); the solves add nothing more.

import { choleskyDamped, choleskySolve } from '../../linalg/cholesky.ts';
import { dataAwareLowRank } from '../../linalg/lowrank.ts';
import { type Matrix, matmul } from '../../linalg/matrix.ts';
import { type ConvShape, tucker2, tucker2ConvWeights } from '../../linalg/tucker.ts';
import { dampedGram, quadraticForm } from './patches.ts';

export interface TuckerGroup {
  first: Float32Array;
  core: Float32Array;
  last: Float32Array;
  /** ‖(W − Ŵ)·L‖² and ‖W·L‖² for G = L·Lᵀ (output error and energy on the patches). */
  errSq: number;
  outSq: number;
}

export function tuckerDataAware(
  w: ArrayLike<number>,
  shape: ConvShape,
  ranks: readonly [number, number],
  observed: Matrix,
): TuckerGroup {
  const gram = dampedGram(observed);
  const [co, ci, kh, kw] = shape;
  const S = kh * kw;
  const n = ci * S;
  const plain = tucker2(w, shape, ranks, { sweeps: 3 });
  const [r1, r2] = plain.ranks;
  const U2 = plain.U2; // ci × r2
  const q = r2 * S;
  // GPᵀ (n × q): (G Pᵀ)[(c,s), (b,s')] = Σ_c' G[(c,s),(c',s')] U2[c',b]
  const gpt = new Float64Array(n * q);
  for (let row = 0; row < n; row++) {
    for (let c2 = 0; c2 < ci; c2++) {
      for (let s2 = 0; s2 < S; s2++) {
        const gv = gram.data[row * n + c2 * S + s2]!;
        if (gv === 0) continue;
        for (let b = 0; b < r2; b++) gpt[row * q + b * S + s2]! += gv * U2.data[c2 * r2 + b]!;
      }
    }
  }
  // H = P·G·Pᵀ (q × q): H[(b,s),(b',s')] = Σ_c U2[c,b]·GPᵀ[(c,s),(b',s')]
  const H = new Float64Array(q * q);
  for (let c = 0; c < ci; c++) {
    for (let s = 0; s < S; s++) {
      const row = (c * S + s) * q;
      for (let b = 0; b < r2; b++) {
        const u = U2.data[c * r2 + b]!;
        if (u === 0) continue;
        const hr = (b * S + s) * q;
        for (let j = 0; j < q; j++) H[hr + j]! += u * gpt[row + j]!;
      }
    }
  }
  for (let i = 0; i < q; i++)
    for (let j = 0; j < i; j++) H[i * q + j] = H[j * q + i] = (H[i * q + j]! + H[j * q + i]!) / 2;
  const Hm: Matrix = { rows: q, cols: q, data: H };
  const W: Matrix = { rows: co, cols: n, data: Float64Array.from(w) };
  const R = matmul(W, { rows: n, cols: q, data: gpt }); // co × q
  const { L } = choleskyDamped(Hm, { damp: 0 });
  const Rt: Matrix = { rows: q, cols: co, data: new Float64Array(q * co) };
  for (let o = 0; o < co; o++) for (let j = 0; j < q; j++) Rt.data[j * co + o] = R.data[o * q + j]!;
  const MtT = choleskySolve(L, Rt); // q × co = M*ᵀ
  const Mstar: Matrix = { rows: co, cols: q, data: new Float64Array(co * q) };
  for (let o = 0; o < co; o++) for (let j = 0; j < q; j++) Mstar.data[o * q + j] = MtT.data[j * co + o]!;
  const f = dataAwareLowRank(Mstar, { gram: Hm }, { kind: 'rank', n: r1 }, { damp: 0 });
  // Ŵ[o,(c,s)] = Σ_b (A·B)[o,(b,s)]·U2[c,b]
  const M = matmul(f.A, f.B);
  const diff = Float64Array.from(w);
  for (let o = 0; o < co; o++)
    for (let c = 0; c < ci; c++)
      for (let s = 0; s < S; s++) {
        let v = 0;
        for (let b = 0; b < r2; b++) v += M.data[o * q + b * S + s]! * U2.data[c * r2 + b]!;
        diff[o * n + c * S + s]! -= v;
      }
  const { first } = tucker2ConvWeights(plain);
  // the rank may come out below r1 when r2·kh·kw < r1: pad with zero components
  const k = f.rank;
  const core = new Float32Array(r1 * q);
  core.set(f.B.data.subarray(0, k * q));
  const last = new Float32Array(co * r1);
  for (let o = 0; o < co; o++) for (let a = 0; a < k; a++) last[o * r1 + a] = f.A.data[o * k + a]!;
  return {
    first,
    core, // [r1, (b, s)] = [r1, r2, kh, kw]
    last, // [co, r1]
    errSq: quadraticForm(diff, co, observed),
    outSq: quadraticForm(Float64Array.from(w), co, observed),
  };
}
