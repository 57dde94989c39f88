// Shared fast-check generators for the linalg specs: seeded random matrices of varied shape and spectrum.
import fc from 'fast-check';
import { type Matrix, matmul, normalSampler, randomNormal } from '../../compiler/linalg/matrix.ts';

export interface MatrixCase {
  readonly m: number;
  readonly n: number;
  readonly seed: number;
  readonly scale: number;
  /** Geometric decay of the spectrum (1 = none). */
  readonly decay: number;
}

export const matrixCase = (maxDim = 24): fc.Arbitrary<MatrixCase> =>
  fc.record({
    m: fc.integer({ min: 1, max: maxDim }),
    n: fc.integer({ min: 1, max: maxDim }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    scale: fc.constantFrom(1e-3, 1, 1e3),
    decay: fc.constantFrom(1, 0.8, 0.5),
  });

/** A random m×n matrix whose column scales decay geometrically (so the spectrum decays too). */
export function makeMatrix(c: MatrixCase): Matrix {
  const a = randomNormal(c.m, c.n, c.seed);
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) a.data[i * c.n + j]! *= c.scale * c.decay ** j;
  }
  return a;
}

/** Correlated activations X (n×s): a random mixing of independent sources with decaying scales. */
export function correlatedX(n: number, s: number, seed: number): Matrix {
  const mix = randomNormal(n, n, seed);
  const g = normalSampler(seed ^ 0x9e3779b9);
  const z: Matrix = { rows: n, cols: s, data: new Float64Array(n * s) };
  for (let i = 0; i < n; i++) for (let j = 0; j < s; j++) z.data[i * s + j] = g() * 0.7 ** i;
  return matmul(mix, z);
}

export function diag(values: ArrayLike<number>): Matrix {
  const k = values.length;
  const d = new Float64Array(k * k);
  for (let i = 0; i < k; i++) d[i * k + i] = values[i]!;
  return { rows: k, cols: k, data: d };
}

/** max |QᵀQ − I| for a matrix with orthonormal columns. */
export function orthoDefect(q: Matrix): number {
  let worst = 0;
  for (let i = 0; i < q.cols; i++) {
    for (let j = 0; j < q.cols; j++) {
      let s = 0;
      for (let p = 0; p < q.rows; p++) s += q.data[p * q.cols + i]! * q.data[p * q.cols + j]!;
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return worst;
}
