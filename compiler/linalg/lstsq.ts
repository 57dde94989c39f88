// Linear least squares: Householder QR (thin), min ‖A·X − B‖_F, and ridge-regularised solves.
//
// API: qr(A) → {Q (m×n), R (n×n)} for m ≥ n; lstsq(A, B, {ridge}) → X (n×k) minimising
// ‖A·X − B‖_F (+ ridge·‖X‖² when ridge > 0, solved by damped normal equations); rank-deficient A
// without ridge falls back to a tiny relative ridge so the answer stays finite.

import { choleskyDamped, choleskySolve } from './cholesky.ts';
import { type Matrix, matmulAtB, transpose } from './matrix.ts';

export interface Qr {
  readonly Q: Matrix;
  readonly R: Matrix;
}

/** Thin QR by Householder reflections (m ≥ n), computed on Aᵀ so columns are contiguous. */
export function qr(a: Matrix): Qr {
  const m = a.rows;
  const n = a.cols;
  if (m < n) throw new RangeError(`qr: needs rows ≥ cols, got ${m}×${n}`);
  const at = transpose(a).data; // row j = column j
  const vs = new Float64Array(n * m); // Householder vectors, row k
  const R = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const ck = k * m;
    let nrm = 0;
    for (let i = k; i < m; i++) nrm += at[ck + i]! * at[ck + i]!;
    nrm = Math.sqrt(nrm);
    const vk = k * m;
    if (nrm > 0) {
      const alpha = at[ck + k]! > 0 ? -nrm : nrm;
      for (let i = k; i < m; i++) vs[vk + i] = at[ck + i]!;
      vs[vk + k]! -= alpha;
      let vn = 0;
      for (let i = k; i < m; i++) vn += vs[vk + i]! * vs[vk + i]!;
      vn = Math.sqrt(vn);
      if (vn > 0) for (let i = k; i < m; i++) vs[vk + i]! /= vn;
      for (let j = k; j < n; j++) {
        const cj = j * m;
        let t = 0;
        for (let i = k; i < m; i++) t += vs[vk + i]! * at[cj + i]!;
        t *= 2;
        for (let i = k; i < m; i++) at[cj + i]! -= t * vs[vk + i]!;
      }
    }
    for (let j = k; j < n; j++) R[k * n + j] = at[j * m + k]!;
  }
  // Q = H_0 … H_{n−1} applied to the first n unit vectors (rows of qt are Q's columns).
  const qt = new Float64Array(n * m);
  for (let j = 0; j < n; j++) {
    const cj = j * m;
    qt[cj + j] = 1;
    for (let k = Math.min(j, n - 1); k >= 0; k--) {
      const vk = k * m;
      let t = 0;
      for (let i = k; i < m; i++) t += vs[vk + i]! * qt[cj + i]!;
      t *= 2;
      if (t !== 0) for (let i = k; i < m; i++) qt[cj + i]! -= t * vs[vk + i]!;
    }
  }
  return { Q: transpose({ rows: n, cols: m, data: qt }), R: { rows: n, cols: n, data: R } };
}

/** X minimising ‖A·X − B‖_F (+ ridge·‖X‖_F²). */
export function lstsq(a: Matrix, b: Matrix, opts: { ridge?: number } = {}): Matrix {
  if (a.rows !== b.rows) throw new RangeError(`lstsq: A has ${a.rows} rows, B has ${b.rows}`);
  const n = a.cols;
  const ridge = opts.ridge ?? 0;
  if (ridge === 0 && a.rows >= n) {
    const { Q, R } = qr(a);
    let rmax = 0;
    for (let i = 0; i < n; i++) rmax = Math.max(rmax, Math.abs(R.data[i * n + i]!));
    let ok = rmax > 0;
    for (let i = 0; i < n && ok; i++) if (Math.abs(R.data[i * n + i]!) <= 1e-12 * rmax) ok = false;
    if (ok) {
      const y = matmulAtB(Q, b); // n×k
      const k = b.cols;
      const x = y.data;
      for (let i = n - 1; i >= 0; i--) {
        const d = R.data[i * n + i]!;
        for (let j = 0; j < k; j++) {
          let s = x[i * k + j]!;
          for (let p = i + 1; p < n; p++) s -= R.data[i * n + p]! * x[p * k + j]!;
          x[i * k + j] = s / d;
        }
      }
      return { rows: n, cols: k, data: x };
    }
  }
  // Normal equations with damping: (AᵀA + λI)·X = AᵀB.
  const g = matmulAtB(a, a);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += g.data[i * n + i]!;
  mean = n > 0 ? mean / n : 1;
  const rel = ridge > 0 ? ridge / (mean || 1) : 1e-12;
  const { L } = choleskyDamped(g, { damp: rel });
  return choleskySolve(L, matmulAtB(a, b));
}
