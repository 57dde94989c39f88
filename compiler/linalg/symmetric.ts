// Symmetric eigensolver: Householder tridiagonalisation + implicit-shift QL (EISPACK tred2/tql2).
//
// API: symmetricEigen(A) → {values (descending), vectors (n×n, column j is the eigenvector of
// values[j])}; topEigenvectors(A, k) → the n×k matrix of the leading k eigenvectors.
// Only the lower triangle of A is read. Rotations of the QL phase run on contiguous rows.

import type { Matrix } from './matrix.ts';

export interface SymmetricEigen {
  readonly values: Float64Array;
  readonly vectors: Matrix;
}

function hyp(a: number, b: number): number {
  const s = a * a + b * b;
  if (s > 1e-290 && s < 1e290) return Math.sqrt(s);
  return Math.hypot(a, b);
}

export function symmetricEigen(a: Matrix): SymmetricEigen {
  const n = a.rows;
  if (a.cols !== n) throw new RangeError(`symmetricEigen: matrix is ${a.rows}×${a.cols}, not square`);
  if (n === 0) return { values: new Float64Array(0), vectors: a };
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = a.data[i * n + j]!;
      V[i * n + j] = x;
      V[j * n + i] = x;
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(n, V, d, e);
  // Transpose so each eigenvector is a contiguous row during QL.
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) W[j * n + i] = V[i * n + j]!;
  tql2(n, W, d, e);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y]! - d[x]!);
  const values = new Float64Array(n);
  const vec = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const j = order[c]!;
    values[c] = d[j]!;
    for (let i = 0; i < n; i++) vec[i * n + c] = W[j * n + i]!;
  }
  return { values, vectors: { rows: n, cols: n, data: vec } };
}

/** The n×k matrix whose columns are the eigenvectors of the k largest eigenvalues. */
export function topEigenvectors(a: Matrix, k: number): Matrix {
  const { vectors } = symmetricEigen(a);
  const n = a.rows;
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) out.set(vectors.data.subarray(i * n, i * n + k), i * k);
  return { rows: n, cols: k, data: out };
}

function tred2(n: number, V: Float64Array, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const vkj = V[k * n + j]!;
          g += vkj * d[k]!;
          e[k]! += vkj * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j]! -= f * e[k]! + g * d[k]!;
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  const col = new Float64Array(n);
  const gs = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) {
        col[k] = V[k * n + i + 1]!;
        d[k] = col[k]! / h;
      }
      // g_j = Σ_k V[k][i+1]·V[k][j], computed row by row so V is read contiguously.
      gs.fill(0, 0, i + 1);
      for (let k = 0; k <= i; k++) {
        const c = col[k]!;
        const row = k * n;
        for (let j = 0; j <= i; j++) gs[j]! += c * V[row + j]!;
      }
      for (let k = 0; k <= i; k++) {
        const dk = d[k]!;
        const row = k * n;
        for (let j = 0; j <= i; j++) V[row + j]! -= gs[j]! * dk;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function tql2(n: number, W: Float64Array, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60 * n) throw new Error('symmetricEigen: no convergence');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = hyp(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = hyp(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          const ri = i * n;
          const ri1 = ri + n;
          for (let k = 0; k < n; k++) {
            const hk = W[ri1 + k]!;
            const wk = W[ri + k]!;
            W[ri1 + k] = s * wk + c * hk;
            W[ri + k] = c * wk - s * hk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}
