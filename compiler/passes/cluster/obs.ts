// Data-aware weight sharing: with the k-means codebook fixed, assign each weight to a centroid
// column by column and spread the rounding error over the columns not yet visited with the OBS
// update from the calibration Hessian (GPTQ with a non-uniform grid; pruned zeros stay zero). Rows
// where plain nearest-centroid assignment has the smaller output error keep it, so the output error
// tr(ΔW·H·ΔWᵀ) never exceeds nearest assignment's.

import { cholesky, choleskyDamped, choleskyInverse } from '../../linalg/cholesky.ts';

/** Upper-triangular U with (H + damp)⁻¹ = Uᵀ·U (row-major n × n); dead inputs get Hᵢᵢ = 1. */
function inverseFactor(h: Float64Array, n: number, damp: number): Float64Array {
  const a = h.slice();
  for (let i = 0; i < n; i++) if (a[i * n + i]! <= 0) a[i * n + i] = 1;
  const { L } = choleskyDamped({ rows: n, cols: n, data: a }, { damp });
  const L2 = cholesky(choleskyInverse(L)).data;
  const U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) U[i * n + j] = L2[j * n + i]!;
  return U;
}

/** Index of the centroid nearest to x in ascending `book`. */
export function nearest(book: Float64Array, x: number): number {
  let lo = 0;
  let hi = book.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x > (book[mid]! + book[mid + 1]!) / 2) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** d·H·dᵀ for one row difference d (length n). */
function quad(d: Float64Array, h: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const di = d[i]!;
    if (di === 0) continue;
    let t = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) t += h[row + j]! * d[j]!;
    s += di * t;
  }
  return s;
}

/**
 * Assign `w` (rows × cols, row-major) to centroids of ascending `book` (non-zero centroids); zeros of
 * w stay zero (label −1). Returns labels (−1 or centroid index) and the output errors
 * Σ_rows dHdᵀ of the result and of nearest assignment, and Σ_rows wHwᵀ.
 */
export function obsAssign(
  w: Float64Array,
  rows: number,
  cols: number,
  h: Float64Array,
  book: Float64Array,
  damp = 0.1, // 10% of mean diag H: the calibration data (e.g. only upright cls lines) must not be overfit
): { labels: Int32Array; err: number; nearestErr: number; energy: number } {
  const U = inverseFactor(h, cols, damp);
  const labels = new Int32Array(rows * cols).fill(-1);
  const m = w.slice();
  for (let j = 0; j < cols; j++) {
    const ujj = U[j * cols + j]!;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const x = m[o + j]!;
      let q = 0;
      if (w[o + j] !== 0) {
        const k = nearest(book, x);
        labels[o + j] = k;
        q = book[k]!;
      }
      const e = (x - q) / ujj;
      m[o + j] = q;
      if (e !== 0) for (let k = j + 1; k < cols; k++) m[o + k]! -= e * U[j * cols + k]!;
    }
  }
  return keepBetterRows(w, rows, cols, h, labels, book);
}

/**
 * Per row, keeps whichever of `labels` and nearest-centroid assignment has the smaller output error
 * d·H·dᵀ (labels edited in place); returns the total of the result, of nearest assignment, and Σ wHwᵀ.
 */
export function keepBetterRows(
  w: Float64Array,
  rows: number,
  cols: number,
  h: Float64Array,
  labels: Int32Array,
  book: Float64Array,
): { labels: Int32Array; err: number; nearestErr: number; energy: number } {
  let err = 0;
  let nearestErr = 0;
  let energy = 0;
  const d = new Float64Array(cols);
  const dn = new Float64Array(cols);
  const near = new Int32Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const x = w[o + c]!;
      near[c] = x === 0 ? -1 : nearest(book, x);
      d[c] = x - (labels[o + c]! < 0 ? 0 : book[labels[o + c]!]!);
      dn[c] = x - (near[c]! < 0 ? 0 : book[near[c]!]!);
    }
    const eo = quad(d, h, cols);
    const en = quad(dn, h, cols);
    energy += quad(w.subarray(o, o + cols), h, cols);
    nearestErr += en;
    if (en < eo) labels.set(near, o);
    err += Math.min(eo, en);
  }
  return { labels, err, nearestErr, energy };
}

/** Σ_rows d·H·dᵀ for labels over `book` (−1 = 0). */
export function outputError(
  w: Float64Array,
  rows: number,
  cols: number,
  h: Float64Array,
  labels: Int32Array,
  book: Float64Array,
): number {
  const d = new Float64Array(cols);
  let e = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) d[c] = w[o + c]! - (labels[o + c]! < 0 ? 0 : book[labels[o + c]!]!);
    e += quad(d, h, cols);
  }
  return e;
}

/**
 * Adds one group's normal equations of min over the codebook c of Σ_rows (w − Ŵ(c))·H·(w − Ŵ(c))ᵀ
 * with the labels fixed: A (K × K) += Σ M·H·Mᵀ, b += Σ M·H·wᵀ (M: a row's label indicators).
 */
export function addNormalEquations(
  w: Float64Array,
  rows: number,
  cols: number,
  h: Float64Array,
  labels: Int32Array,
  K: number,
  A: Float64Array,
  b: Float64Array,
): void {
  const P = new Float64Array(K * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    P.fill(0);
    for (let i = 0; i < cols; i++) {
      const l = labels[o + i]!;
      if (l < 0) continue;
      const pr = l * cols;
      const hr = i * cols;
      for (let j = 0; j < cols; j++) P[pr + j]! += h[hr + j]!;
    }
    for (let j = 0; j < cols; j++) {
      const lj = labels[o + j]!;
      const wj = w[o + j]!;
      for (let k = 0; k < K; k++) {
        const p = P[k * cols + j]!;
        if (p === 0) continue;
        b[k]! += p * wj;
        if (lj >= 0) A[k * K + lj]! += p;
      }
    }
  }
}

/** Solves A·c = b (K × K, symmetric); clusters nobody uses keep `old`. Undefined when singular. */
export function solveCodebook(A: Float64Array, b: Float64Array, old: Float64Array): Float64Array | undefined {
  const K = old.length;
  const a = A.slice();
  const x = b.slice();
  let trace = 0;
  for (let k = 0; k < K; k++) trace += a[k * K + k]!;
  for (let k = 0; k < K; k++) {
    if (a[k * K + k]! <= 1e-12 * (trace || 1)) {
      for (let j = 0; j < K; j++) a[k * K + j] = a[j * K + k] = 0;
      a[k * K + k] = 1;
      x[k] = old[k]!;
    }
  }
  // Gaussian elimination with partial pivoting
  for (let c = 0; c < K; c++) {
    let p = c;
    for (let r = c + 1; r < K; r++) if (Math.abs(a[r * K + c]!) > Math.abs(a[p * K + c]!)) p = r;
    if (Math.abs(a[p * K + c]!) < 1e-300) return undefined;
    if (p !== c) {
      for (let j = 0; j < K; j++) [a[c * K + j], a[p * K + j]] = [a[p * K + j]!, a[c * K + j]!];
      [x[c], x[p]] = [x[p]!, x[c]!];
    }
    for (let r = c + 1; r < K; r++) {
      const f = a[r * K + c]! / a[c * K + c]!;
      if (f === 0) continue;
      for (let j = c; j < K; j++) a[r * K + j]! -= f * a[c * K + j]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let r = K - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let j = r + 1; j < K; j++) s -= a[r * K + j]! * x[j]!;
    x[r] = s / a[r * K + r]!;
  }
  return x.every(Number.isFinite) ? x : undefined;
}
