// Dense row-major Float64 matrices and the GEMM helpers every other linalg module builds on.
//
// API: Matrix {rows, cols, data} (row-major, data[i*cols+j]); zeros, identity, fromArray, fromRows,
// toFloat32, clone, transpose, matmul (A·B), matmulAtB (Aᵀ·B), matmulABt (A·Bᵀ), add, sub, scale,
// frobenius, frobeniusDiff, subMatrix, columns, gram (A·Aᵀ), randomNormal (seeded).
// All products accumulate in Float64 and use i-k-j loop order so inner loops run over contiguous rows.

import { normal, rng } from '../data/random.ts';

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (data !== undefined && data.length !== rows * cols) {
    throw new RangeError(`matrix: ${rows}×${cols} needs ${rows * cols} values, got ${data.length}`);
  }
  const d = new Float64Array(rows * cols);
  if (data !== undefined) d.set(data);
  return { rows, cols, data: d };
}

export const zeros = (rows: number, cols: number): Matrix => matrix(rows, cols);

export function identity(n: number): Matrix {
  const m = zeros(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function fromRows(rows: ArrayLike<number>[]): Matrix {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0]!.length;
  const m = zeros(r, c);
  for (let i = 0; i < r; i++) m.data.set(rows[i]!, i * c);
  return m;
}

export const toFloat32 = (a: Matrix): Float32Array => Float32Array.from(a.data);

export const clone = (a: Matrix): Matrix => ({ rows: a.rows, cols: a.cols, data: a.data.slice() });

export function transpose(a: Matrix): Matrix {
  const { rows, cols, data } = a;
  const t = new Float64Array(rows * cols);
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) t[j * rows + i] = data[i * cols + j]!;
      }
    }
  }
  return { rows: cols, cols: rows, data: t };
}

/** C = A·B. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new RangeError(`matmul: ${a.rows}×${a.cols} · ${b.rows}×${b.cols}`);
  const m = a.rows;
  const k = a.cols;
  const n = b.cols;
  const c = new Float64Array(m * n);
  const A = a.data;
  const Bd = b.data;
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    // Four rows of B per sweep: a quarter of the loads and stores of C.
    for (let p = 0; p < k4; p += 4) {
      const s0 = A[ai + p]!;
      const s1 = A[ai + p + 1]!;
      const s2 = A[ai + p + 2]!;
      const s3 = A[ai + p + 3]!;
      const b0 = p * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        c[ci + j] += s0 * Bd[b0 + j]! + s1 * Bd[b1 + j]! + s2 * Bd[b2 + j]! + s3 * Bd[b3 + j]!;
      }
    }
    for (let p = k4; p < k; p++) {
      const s = A[ai + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += s * Bd[bp + j]!;
    }
  }
  return { rows: m, cols: n, data: c };
}

/** C = Aᵀ·B (A is k×m, B is k×n). */
export function matmulAtB(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows) throw new RangeError(`matmulAtB: (${a.rows}×${a.cols})ᵀ · ${b.rows}×${b.cols}`);
  const k = a.rows;
  const m = a.cols;
  const n = b.cols;
  const c = new Float64Array(m * n);
  const A = a.data;
  const Bd = b.data;
  for (let p = 0; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const s = A[ap + i]!;
      if (s === 0) continue;
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += s * Bd[bp + j]!;
    }
  }
  return { rows: m, cols: n, data: c };
}

/** C = A·Bᵀ (A is m×k, B is n×k): contiguous dot products, four rows of B at a time. */
export function matmulABt(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.cols) throw new RangeError(`matmulABt: ${a.rows}×${a.cols} · (${b.rows}×${b.cols})ᵀ`);
  const m = a.rows;
  const k = a.cols;
  const n = b.rows;
  const c = new Float64Array(m * n);
  const A = a.data;
  const Bd = b.data;
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    const ci = i * n;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let p = 0; p < k; p++) {
        const x = A[ai + p]!;
        s0 += x * Bd[b0 + p]!;
        s1 += x * Bd[b1 + p]!;
        s2 += x * Bd[b2 + p]!;
        s3 += x * Bd[b3 + p]!;
      }
      c[ci + j] = s0;
      c[ci + j + 1] = s1;
      c[ci + j + 2] = s2;
      c[ci + j + 3] = s3;
    }
    for (let j = n4; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[ai + p]! * Bd[bj + p]!;
      c[ci + j] = s;
    }
  }
  return { rows: m, cols: n, data: c };
}

/** A·Aᵀ (symmetric; computed once per pair). */
export function gram(a: Matrix): Matrix {
  const m = a.rows;
  const k = a.cols;
  const A = a.data;
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j <= i; j++) {
      const aj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[ai + p]! * A[aj + p]!;
      c[i * m + j] = s;
      c[j * m + i] = s;
    }
  }
  return { rows: m, cols: m, data: c };
}

function sameShape(a: Matrix, b: Matrix, what: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new RangeError(`${what}: ${a.rows}×${a.cols} vs ${b.rows}×${b.cols}`);
  }
}

export function add(a: Matrix, b: Matrix): Matrix {
  sameShape(a, b, 'add');
  const d = new Float64Array(a.data.length);
  for (let i = 0; i < d.length; i++) d[i] = a.data[i]! + b.data[i]!;
  return { rows: a.rows, cols: a.cols, data: d };
}

export function sub(a: Matrix, b: Matrix): Matrix {
  sameShape(a, b, 'sub');
  const d = new Float64Array(a.data.length);
  for (let i = 0; i < d.length; i++) d[i] = a.data[i]! - b.data[i]!;
  return { rows: a.rows, cols: a.cols, data: d };
}

export function scale(a: Matrix, s: number): Matrix {
  const d = new Float64Array(a.data.length);
  for (let i = 0; i < d.length; i++) d[i] = a.data[i]! * s;
  return { rows: a.rows, cols: a.cols, data: d };
}

export function frobenius(a: Matrix | ArrayLike<number>): number {
  const d = 'data' in a ? a.data : a;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
  return Math.sqrt(s);
}

/** ‖A − B‖_F without allocating the difference. */
export function frobeniusDiff(a: Matrix, b: Matrix): number {
  sameShape(a, b, 'frobeniusDiff');
  let s = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i]! - b.data[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Rows [r0, r1) and columns [c0, c1) as a new matrix. */
export function subMatrix(a: Matrix, r0: number, r1: number, c0: number, c1: number): Matrix {
  const out = zeros(r1 - r0, c1 - c0);
  for (let i = r0; i < r1; i++) {
    out.data.set(a.data.subarray(i * a.cols + c0, i * a.cols + c1), (i - r0) * out.cols);
  }
  return out;
}

/** Standard normal samples from a seed (Box–Muller over compiler/data/random.ts). */
export const normalSampler = (seed: number): (() => number) => normal(rng(seed));

export function randomNormal(rows: number, cols: number, seed: number): Matrix {
  const g = normalSampler(seed);
  const m = zeros(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = g();
  return m;
}

/** tr(D·G·Dᵀ) for D (rows × n, row-major), G (n × n): the output energy of D on patches with Gram G. */
export function quadraticForm(
  d: ArrayLike<number>,
  rows: number,
  g: { rows: number; data: Float64Array },
): number {
  const n = g.rows;
  let s = 0;
  for (let o = 0; o < rows; o++) {
    for (let i = 0; i < n; i++) {
      const di = d[o * n + i]!;
      if (di === 0) continue;
      let t = 0;
      for (let j = 0; j < n; j++) t += g.data[i * n + j]! * d[o * n + j]!;
      s += di * t;
    }
  }
  return s;
}
