// GPTQ (Frantar et al. 2022): column-by-column weight quantization with Hessian-based error
// compensation, H = 2·X·Xᵀ from calibration activations.
//
// API: gptq(W, H, {bits, symmetric, signed?, groupSize, blockSize, damp, grid}) → {quantized, dequantized}
//   W is rows = outputs (m) × cols = inputs (n), row-major (a MatMul B [K, N] is passed transposed);
//   H is n×n. groupSize 0 = one scale per output row (per-channel, axis 0); groupSize G = blocked
//   along the input axis (axis 1, block_size G). grid 'static' (default) fixes the scales by minmax on
//   the original W, so GPTQ and plain rounding share a grid; 'dynamic' recomputes each group's scale
//   from the updated weights when the sweep reaches it (the reference implementation's behaviour).
//   Dead inputs (H_ii = 0) get weight 0; damping adds damp·mean(diag H)·I (default damp 0.01).
//   Block/lazy updates: errors of a block of `blockSize` columns are applied to later columns at once.
//   With the static grid, any output row where plain rounding scores better under the undamped H keeps
//   the rounded codes, so GPTQ's output error never exceeds minmax rounding's on the same grid.
// gptqHessian(X) → 2·X·Xᵀ for activations X (n×s); weightOutputError(W, Ŵ, X) = ‖(W − Ŵ)·X‖_F.

import { cholesky, choleskyDamped, choleskyInverse } from '../../linalg/cholesky.ts';
import { gram, type Matrix, matmul, scale as scaleMatrix } from '../../linalg/matrix.ts';
import {
  type Bits,
  dequantize,
  dequantizeValue,
  paramsForRange,
  type QuantizedTensor,
  qRange,
  quantizeTensor,
  quantizeValue,
} from './uniform.ts';

export interface GptqOptions {
  readonly bits: Bits;
  readonly symmetric: boolean;
  readonly signed?: boolean;
  /** 0 = per output row. */
  readonly groupSize?: number;
  readonly blockSize?: number;
  readonly damp?: number;
  readonly grid?: 'static' | 'dynamic';
}

export interface GptqResult {
  readonly quantized: QuantizedTensor;
  readonly dequantized: Float32Array;
}

export const gptqHessian = (x: Matrix): Matrix => scaleMatrix(gram(x), 2);

/** W transposed (row j of wt is column j of W) and H, with dead inputs (H_jj = 0) made harmless. */
function workingCopy(w: Matrix, h: Matrix): { wt: Float64Array; hd: Float64Array } {
  const m = w.rows;
  const n = w.cols;
  const wt = new Float64Array(n * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) wt[j * m + i] = w.data[i * n + j]!;
  const hd = h.data.slice();
  for (let j = 0; j < n; j++) {
    if (hd[j * n + j] === 0) {
      hd[j * n + j] = 1;
      wt.fill(0, j * m, j * m + m);
    }
  }
  return { wt, hd };
}

/** Upper Cholesky factor of H⁻¹ (H damped): H⁻¹ = UᵀU, U = Lᵀ with L the lower factor. */
function inverseFactor(hd: Float64Array, n: number, damp: number): Float64Array {
  const { L: lh } = choleskyDamped({ rows: n, cols: n, data: hd }, { damp });
  const hinvL = cholesky(choleskyInverse(lh));
  const U = new Float64Array(n * n); // U[i][j] = L[j][i]
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) U[i * n + j] = hinvL.data[j * n + i]!;
  return U;
}

/** The columns' grid, per output row (per-channel) or per row and group of G columns. */
interface Grid {
  scale: Float32Array;
  zp: Int8Array | Uint8Array;
  G: number;
  ngroups: number;
  qmin: number;
  qmax: number;
}

/** Dynamic grid: group g's scale and zero point from its columns as they are now (updated). */
function refitGroup(
  wt: Float64Array,
  m: number,
  n: number,
  j: number,
  grid: Grid,
  opts: GptqOptions,
  signed: boolean,
): void {
  const g = j / grid.G;
  const end = Math.min(n, j + grid.G);
  for (let r = 0; r < m; r++) {
    let lo = 0;
    let hi = 0;
    for (let c = j; c < end; c++) {
      const v = wt[c * m + r]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const p = paramsForRange(lo, hi, opts.bits, opts.symmetric, signed);
    grid.scale[r * grid.ngroups + g] = p.scale;
    grid.zp[r * grid.ngroups + g] = p.zeroPoint;
  }
}

/** Quantize column j (codes into q) and keep its error over d = U_jj in err[e..e+m). */
function quantizeColumn(
  wt: Float64Array,
  q: Int8Array | Uint8Array,
  err: Float64Array,
  e: number,
  j: number,
  m: number,
  n: number,
  d: number,
  grid: Grid,
): void {
  const row = j * m;
  for (let r = 0; r < m; r++) {
    const s = grid.G > 0 ? r * grid.ngroups + Math.floor(j / grid.G) : r;
    const v = wt[row + r]!;
    const code = quantizeValue(v, grid.scale[s]!, grid.zp[s]!, grid.qmin, grid.qmax);
    q[r * n + j] = code;
    const dq = dequantizeValue(code, grid.scale[s]!, grid.zp[s]!);
    err[e + r] = (v - dq) / d;
  }
}

/** Column k absorbs column j's error: wt_k −= U_jk · err_j. */
function compensate(
  wt: Float64Array,
  U: Float64Array,
  err: Float64Array,
  j: number,
  e: number,
  k: number,
  m: number,
  n: number,
): void {
  const u = U[j * n + k]!;
  if (u === 0) return;
  const rk = k * m;
  for (let r = 0; r < m; r++) wt[rk + r]! -= u * err[e + r]!;
}

/**
 * Greedy compensation can lose to plain rounding on a coarse grid (2 bits, clipped outliers). The
 * objective splits by output row, so keep whichever row is better under the undamped H.
 */
function betterRows(
  w: Matrix,
  h: Matrix,
  base: QuantizedTensor,
  gptqd: QuantizedTensor,
  dequantized: Float32Array,
): GptqResult {
  const m = w.rows;
  const n = w.cols;
  const rtn = dequantize(base);
  let swapped = false;
  const q2 = gptqd.q.slice();
  for (let r = 0; r < m; r++) {
    const eG = rowQuadratic(w.data, dequantized, h.data, r, n);
    const eR = rowQuadratic(w.data, rtn, h.data, r, n);
    if (eR < eG) {
      swapped = true;
      q2.set(base.q.subarray(r * n, r * n + n), r * n);
    }
  }
  if (!swapped) return { quantized: gptqd, dequantized };
  const quantized = { ...base, q: q2, scale: gptqd.scale, zeroPoint: gptqd.zeroPoint };
  return { quantized, dequantized: dequantize(quantized) };
}

export function gptq(w: Matrix, h: Matrix, opts: GptqOptions): GptqResult {
  const m = w.rows;
  const n = w.cols;
  if (h.rows !== n || h.cols !== n) throw new RangeError(`gptq: W is ${m}×${n} but H is ${h.rows}×${h.cols}`);
  const signed = opts.signed ?? opts.symmetric;
  const { qmin, qmax } = qRange(opts.bits, signed);
  const G = opts.groupSize ?? 0;
  const granularity =
    G > 0 ? ({ kind: 'group', axis: 1, size: G } as const) : ({ kind: 'channel', axis: 0 } as const);
  const { wt, hd } = workingCopy(w, h);
  // The grid: minmax on the original W (static) or filled group by group (dynamic).
  const base = quantizeTensor(w.data, [m, n], {
    bits: opts.bits,
    granularity,
    symmetric: opts.symmetric,
    signed,
  });
  const grid: Grid = {
    scale: base.scale.slice(),
    zp: base.zeroPoint.slice(),
    G,
    ngroups: G > 0 ? Math.ceil(n / G) : 1,
    qmin,
    qmax,
  };
  const dynamic = opts.grid === 'dynamic';
  const U = inverseFactor(hd, n, opts.damp ?? 0.01);
  const q = signed ? new Int8Array(m * n) : new Uint8Array(m * n);
  const B = Math.max(1, opts.blockSize ?? 128);
  const err = new Float64Array(B * m);
  for (let i1 = 0; i1 < n; i1 += B) {
    const i2 = Math.min(n, i1 + B);
    for (let j = i1; j < i2; j++) {
      if (dynamic && G > 0 && j % G === 0) refitGroup(wt, m, n, j, grid, opts, signed);
      quantizeColumn(wt, q, err, (j - i1) * m, j, m, n, U[j * n + j]!, grid);
      for (let k = j + 1; k < i2; k++) compensate(wt, U, err, j, (j - i1) * m, k, m, n); // the rest of the block now
    }
    // lazy batch update of every later column with the whole block's errors
    for (let k = i2; k < n; k++)
      for (let j = i1; j < i2; j++) compensate(wt, U, err, j, (j - i1) * m, k, m, n);
  }
  const quantized: QuantizedTensor = {
    ...base,
    q,
    scale: grid.scale,
    zeroPoint: grid.zp,
  };
  const dequantized = dequantize(quantized);
  return dynamic ? { quantized, dequantized } : betterRows(w, h, base, quantized, dequantized);
}

/** (w_r − ŵ_r)ᵀ·H·(w_r − ŵ_r) for row r. */
function rowQuadratic(w: Float64Array, what: Float32Array, h: Float64Array, r: number, n: number): number {
  const d = new Float64Array(n);
  for (let j = 0; j < n; j++) d[j] = w[r * n + j]! - what[r * n + j]!;
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (d[i] === 0) continue;
    let t = 0;
    for (let j = 0; j < n; j++) t += h[i * n + j]! * d[j]!;
    s += d[i]! * t;
  }
  return s;
}

/** ‖(W − Ŵ)·X‖_F with W, Ŵ as m×n (Ŵ given flat) and X n×s. */
export function weightOutputError(w: Matrix, what: ArrayLike<number>, x: Matrix): number {
  const d = new Float64Array(w.data.length);
  for (let i = 0; i < d.length; i++) d[i] = w.data[i]! - what[i]!;
  const r = matmul({ rows: w.rows, cols: w.cols, data: d }, x);
  let s = 0;
  for (let i = 0; i < r.data.length; i++) s += r.data[i]! * r.data[i]!;
  return Math.sqrt(s);
}
