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

export function gptq(w: Matrix, h: Matrix, opts: GptqOptions): GptqResult {
  const m = w.rows;
  const n = w.cols;
  if (h.rows !== n || h.cols !== n) throw new RangeError(`gptq: W is ${m}×${n} but H is ${h.rows}×${h.cols}`);
  const signed = opts.signed ?? opts.symmetric;
  const { qmin, qmax } = qRange(opts.bits, signed);
  const G = opts.groupSize ?? 0;
  const granularity =
    G > 0 ? ({ kind: 'group', axis: 1, size: G } as const) : ({ kind: 'channel', axis: 0 } as const);
  const ngroups = G > 0 ? Math.ceil(n / G) : 1;

  // Working copy, transposed: row j of wt is column j of W (contiguous updates).
  const wt = new Float64Array(n * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) wt[j * m + i] = w.data[i * n + j]!;
  const hd = h.data.slice();
  for (let j = 0; j < n; j++) {
    if (hd[j * n + j] === 0) {
      hd[j * n + j] = 1;
      wt.fill(0, j * m, j * m + m);
    }
  }
  // The grid: minmax on the original W (static) or filled group by group (dynamic).
  const base = quantizeTensor(w.data, [m, n], {
    bits: opts.bits,
    granularity,
    symmetric: opts.symmetric,
    signed,
  });
  const scale = base.scale.slice();
  const zp = base.zeroPoint.slice();
  const dynamic = opts.grid === 'dynamic';

  // Upper Cholesky factor of H⁻¹: H⁻¹ = UᵀU, U = Lᵀ with L the lower factor.
  const { L: lh } = choleskyDamped({ rows: n, cols: n, data: hd }, { damp: opts.damp ?? 0.01 });
  const hinvL = cholesky(choleskyInverse(lh));
  const U = new Float64Array(n * n); // U[i][j] = L[j][i]
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) U[i * n + j] = hinvL.data[j * n + i]!;

  const q = signed ? new Int8Array(m * n) : new Uint8Array(m * n);
  const B = Math.max(1, opts.blockSize ?? 128);
  const err = new Float64Array(B * m);
  const sIndex = (row: number, col: number): number => (G > 0 ? row * ngroups + Math.floor(col / G) : row);

  for (let i1 = 0; i1 < n; i1 += B) {
    const i2 = Math.min(n, i1 + B);
    for (let j = i1; j < i2; j++) {
      if (dynamic && G > 0 && j % G === 0) {
        const g = j / G;
        const end = Math.min(n, j + G);
        for (let r = 0; r < m; r++) {
          let lo = 0;
          let hi = 0;
          for (let c = j; c < end; c++) {
            const v = wt[c * m + r]!;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          const p = paramsForRange(lo, hi, opts.bits, opts.symmetric, signed);
          scale[r * ngroups + g] = p.scale;
          zp[r * ngroups + g] = p.zeroPoint;
        }
      }
      const d = U[j * n + j]!;
      const row = j * m;
      const e = (j - i1) * m;
      for (let r = 0; r < m; r++) {
        const s = sIndex(r, j);
        const v = wt[row + r]!;
        const code = quantizeValue(v, scale[s]!, zp[s]!, qmin, qmax);
        q[r * n + j] = code;
        const dq = dequantizeValue(code, scale[s]!, zp[s]!);
        err[e + r] = (v - dq) / d;
      }
      // Compensate the rest of the block now.
      for (let k = j + 1; k < i2; k++) {
        const u = U[j * n + k]!;
        if (u === 0) continue;
        const rk = k * m;
        for (let r = 0; r < m; r++) wt[rk + r]! -= u * err[e + r]!;
      }
    }
    // Lazy batch update of every later column with the whole block's errors.
    for (let k = i2; k < n; k++) {
      const rk = k * m;
      for (let j = i1; j < i2; j++) {
        const u = U[j * n + k]!;
        if (u === 0) continue;
        const e = (j - i1) * m;
        for (let r = 0; r < m; r++) wt[rk + r]! -= u * err[e + r]!;
      }
    }
  }
  let quantized: QuantizedTensor = { ...base, q, scale, zeroPoint: zp };
  let dequantized = dequantize(quantized);
  if (!dynamic) {
    // Greedy compensation can lose to plain rounding on a coarse grid (2 bits, clipped outliers).
    // The objective splits by output row, so keep whichever row is better under the undamped H.
    const rtn = dequantize(base);
    let swapped = false;
    const q2 = q.slice();
    for (let r = 0; r < m; r++) {
      const eG = rowQuadratic(w.data, dequantized, h.data, r, n);
      const eR = rowQuadratic(w.data, rtn, h.data, r, n);
      if (eR < eG) {
        swapped = true;
        q2.set(base.q.subarray(r * n, r * n + n), r * n);
      }
    }
    if (swapped) {
      quantized = { ...base, q: q2, scale, zeroPoint: zp };
      dequantized = dequantize(quantized);
    }
  }
  return { quantized, dequantized };
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
