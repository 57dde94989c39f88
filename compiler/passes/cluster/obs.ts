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
  damp = 0.01,
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
  // per row: keep whichever of OBS and nearest assignment has the smaller output error
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
