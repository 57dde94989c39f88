// Cholesky factorisation of symmetric positive-definite matrices, with damping, solves and inverse.
//
// API: cholesky(A) → lower L with A = L·Lᵀ (throws NotPositiveDefinite);
//   choleskyDamped(A, {damp, maxTries}) → {L, lambda}: adds λ·I with λ = damp·mean(diag A), growing
//   ×10 until the factorisation succeeds (λ = 0 first when damp is 0);
//   solveLower(L, B), solveLowerT(L, B) (Lᵀ·X = B), solveUpperT(U,B) forward/back substitution on
//   every column of B; choleskySolve(L, B) = A⁻¹·B; choleskyInverse(L) = A⁻¹; inverseLower(L) = L⁻¹.

import { type Matrix, zeros } from './matrix.ts';

export class NotPositiveDefinite extends Error {
  override name = 'NotPositiveDefinite';
}

export function cholesky(a: Matrix): Matrix {
  const n = a.rows;
  if (a.cols !== n) throw new RangeError(`cholesky: matrix is ${a.rows}×${a.cols}, not square`);
  const L = new Float64Array(n * n);
  const A = a.data;
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = A[rj + j]!;
    for (let k = 0; k < j; k++) d -= L[rj + k]! * L[rj + k]!;
    if (!(d > 0))
      throw new NotPositiveDefinite(`cholesky: pivot ${j} is ${d}; the matrix is not positive definite`);
    const ljj = Math.sqrt(d);
    L[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = A[ri + j]!;
      for (let k = 0; k < j; k++) s -= L[ri + k]! * L[rj + k]!;
      L[ri + j] = s / ljj;
    }
  }
  return { rows: n, cols: n, data: L };
}

export interface DampedCholesky {
  readonly L: Matrix;
  /** The λ actually added to the diagonal. */
  readonly lambda: number;
}

export function choleskyDamped(a: Matrix, opts: { damp?: number; maxTries?: number } = {}): DampedCholesky {
  const n = a.rows;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += Math.abs(a.data[i * n + i]!);
  mean = n > 0 ? mean / n : 0;
  if (mean === 0) mean = 1;
  const damp = opts.damp ?? 0.01;
  let lambda = damp * mean;
  const tries = opts.maxTries ?? 12;
  for (let t = 0; t < tries; t++) {
    const b = { rows: n, cols: n, data: a.data.slice() };
    for (let i = 0; i < n; i++) b.data[i * n + i]! += lambda;
    try {
      return { L: cholesky(b), lambda };
    } catch (e) {
      if (!(e instanceof NotPositiveDefinite)) throw e;
      lambda = lambda === 0 ? 1e-10 * mean : lambda * 10;
    }
  }
  throw new NotPositiveDefinite(`cholesky: not positive definite even with damping ${lambda}`);
}

/** Solve L·X = B (L lower triangular). */
export function solveLower(L: Matrix, b: Matrix): Matrix {
  const n = L.rows;
  const k = b.cols;
  const x = b.data.slice();
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const xi = i * k;
    for (let p = 0; p < i; p++) {
      const l = L.data[ri + p]!;
      if (l === 0) continue;
      const xp = p * k;
      for (let j = 0; j < k; j++) x[xi + j]! -= l * x[xp + j]!;
    }
    const d = L.data[ri + i]!;
    for (let j = 0; j < k; j++) x[xi + j]! /= d;
  }
  return { rows: n, cols: k, data: x };
}

/** Solve Lᵀ·X = B (L lower triangular). */
export function solveLowerT(L: Matrix, b: Matrix): Matrix {
  const n = L.rows;
  const k = b.cols;
  const x = b.data.slice();
  for (let i = n - 1; i >= 0; i--) {
    const xi = i * k;
    const d = L.data[i * n + i]!;
    for (let j = 0; j < k; j++) x[xi + j]! /= d;
    // Eliminate x_i from the rows above: row p of Lᵀ holds L[i][p] in column i.
    const ri = i * n;
    for (let p = 0; p < i; p++) {
      const l = L.data[ri + p]!;
      if (l === 0) continue;
      const xp = p * k;
      for (let j = 0; j < k; j++) x[xp + j]! -= l * x[xi + j]!;
    }
  }
  return { rows: n, cols: k, data: x };
}

/** Solve U·X = B with U upper triangular (U given as its transpose, lower L = Uᵀ). */
export const solveUpperT = solveLowerT;

/** A⁻¹·B from A's Cholesky factor. */
export const choleskySolve = (L: Matrix, b: Matrix): Matrix => solveLowerT(L, solveLower(L, b));

/** L⁻¹ (lower triangular). */
export function inverseLower(L: Matrix): Matrix {
  const n = L.rows;
  const I = zeros(n, n);
  for (let i = 0; i < n; i++) I.data[i * n + i] = 1;
  const x = solveLower(L, I);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) x.data[i * n + j] = 0;
  return x;
}

/** A⁻¹ from A's Cholesky factor (symmetrised). */
export function choleskyInverse(L: Matrix): Matrix {
  const n = L.rows;
  const I = zeros(n, n);
  for (let i = 0; i < n; i++) I.data[i * n + i] = 1;
  const x = choleskySolve(L, I);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (x.data[i * n + j]! + x.data[j * n + i]!);
      x.data[i * n + j] = v;
      x.data[j * n + i] = v;
    }
  }
  return x;
}
