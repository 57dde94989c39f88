// Specs for the building blocks: GEMM variants agree, Cholesky (+ damping, inverse, solves),
// symmetric eigensolver, QR and least squares.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cholesky,
  choleskyDamped,
  choleskyInverse,
  choleskySolve,
  NotPositiveDefinite,
} from '../../compiler/linalg/cholesky.ts';
import { lstsq, qr } from '../../compiler/linalg/lstsq.ts';
import {
  frobenius,
  frobeniusDiff,
  gram,
  identity,
  matmul,
  matmulABt,
  matmulAtB,
  randomNormal,
  sub,
  transpose,
} from '../../compiler/linalg/matrix.ts';
import { symmetricEigen } from '../../compiler/linalg/symmetric.ts';
import { diag, makeMatrix, matrixCase, orthoDefect } from './gen.ts';

const dims = fc.record({
  m: fc.integer({ min: 1, max: 20 }),
  k: fc.integer({ min: 1, max: 20 }),
  n: fc.integer({ min: 1, max: 20 }),
  seed: fc.integer(),
});

describe('gemm helpers', () => {
  it('A·B, Aᵀ·B and A·Bᵀ agree with a naive triple loop', () => {
    fc.assert(
      fc.property(dims, ({ m, k, n, seed }) => {
        const a = randomNormal(m, k, seed);
        const b = randomNormal(k, n, seed + 7);
        const ref = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += a.data[i * k + p]! * b.data[p * n + j]!;
            ref[i * n + j] = s;
          }
        const r = { rows: m, cols: n, data: ref };
        const tol = 1e-12 * (frobenius(a) * frobenius(b) + 1);
        expect(frobeniusDiff(matmul(a, b), r)).toBeLessThanOrEqual(tol);
        expect(frobeniusDiff(matmulAtB(transpose(a), b), r)).toBeLessThanOrEqual(tol);
        expect(frobeniusDiff(matmulABt(a, transpose(b)), r)).toBeLessThanOrEqual(tol);
      }),
      { numRuns: 60 },
    );
  });
});

describe('cholesky', () => {
  it('L·Lᵀ = A, solves and inverse are consistent on SPD matrices', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer(), (n, seed) => {
        const a = gram(randomNormal(n, n + 5, seed));
        const L = cholesky(a);
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(L.data[i * n + j]).toBe(0);
        expect(frobeniusDiff(matmul(L, transpose(L)), a)).toBeLessThanOrEqual(1e-12 * frobenius(a));
        const inv = choleskyInverse(L);
        expect(frobeniusDiff(matmul(inv, a), identity(n))).toBeLessThanOrEqual(1e-8 * n);
        const b = randomNormal(n, 3, seed + 1);
        const x = choleskySolve(L, b);
        expect(frobeniusDiff(matmul(a, x), b)).toBeLessThanOrEqual(1e-8 * (frobenius(b) + 1));
      }),
      { numRuns: 50 },
    );
  });

  it('rejects a singular matrix plainly and factors it once damped', () => {
    const x = randomNormal(6, 3, 11);
    const g = gram(x); // rank 3 of 6
    expect(() => cholesky(g)).toThrow(NotPositiveDefinite);
    const { L, lambda } = choleskyDamped(g, { damp: 0.01 });
    expect(lambda).toBeGreaterThan(0);
    const shifted = g.data.slice();
    for (let i = 0; i < 6; i++) shifted[i * 6 + i]! += lambda;
    expect(frobeniusDiff(matmul(L, transpose(L)), { rows: 6, cols: 6, data: shifted })).toBeLessThan(1e-10);
  });
});

describe('symmetricEigen', () => {
  it('A = V·diag(λ)·Vᵀ with orthonormal V and descending λ', () => {
    fc.assert(
      fc.property(matrixCase(24), (c) => {
        const x = makeMatrix(c);
        const a = sub(gram(x), diag(Array.from({ length: c.m }, (_, i) => i * c.scale * c.scale)));
        const { values, vectors } = symmetricEigen(a);
        for (let i = 1; i < values.length; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!);
        expect(orthoDefect(vectors)).toBeLessThan(1e-12);
        const rec = matmul(matmul(vectors, diag(values)), transpose(vectors));
        expect(frobeniusDiff(rec, a)).toBeLessThanOrEqual(1e-12 * (frobenius(a) + 1e-300) * c.m);
      }),
      { numRuns: 60 },
    );
  });
});

describe('qr and lstsq', () => {
  it('Q·R = A with orthonormal Q; lstsq residual is orthogonal to A’s columns', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer(),
        (n, extra, seed) => {
          const m = n + extra;
          const a = randomNormal(m, n, seed);
          const { Q, R } = qr(a);
          expect(frobeniusDiff(matmul(Q, R), a)).toBeLessThanOrEqual(1e-12 * frobenius(a));
          expect(orthoDefect(Q)).toBeLessThan(1e-12);
          const b = randomNormal(m, 2, seed + 3);
          const x = lstsq(a, b);
          const res = sub(matmul(a, x), b);
          const g = matmulAtB(a, res);
          expect(frobenius(g)).toBeLessThanOrEqual(1e-8 * (frobenius(a) * frobenius(b) + 1));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('ridge shrinks the solution toward zero', () => {
    const a = randomNormal(20, 5, 1);
    const b = randomNormal(20, 1, 2);
    expect(frobenius(lstsq(a, b, { ridge: 10 }))).toBeLessThan(frobenius(lstsq(a, b)));
  });
});
