// SVD specs: exact reconstruction at full rank, Eckart–Young truncation error, agreement with the
// eigenvalues of AᵀA, orthonormal factors, randomized SVD on low-rank and decaying spectra.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowRank } from '../../compiler/linalg/lowrank.ts';
import {
  frobenius,
  frobeniusDiff,
  gram,
  matmul,
  randomNormal,
  transpose,
} from '../../compiler/linalg/matrix.ts';
import { truncationError } from '../../compiler/linalg/rank.ts';
import { randomizedSvd, svd } from '../../compiler/linalg/svd.ts';
import { symmetricEigen } from '../../compiler/linalg/symmetric.ts';
import { diag, makeMatrix, matrixCase, orthoDefect } from './gen.ts';

describe('svd (Golub–Kahan)', () => {
  it('reconstructs A exactly at full rank, with orthonormal U and V and sorted σ ≥ 0', () => {
    fc.assert(
      fc.property(matrixCase(), (c) => {
        const a = makeMatrix(c);
        const d = svd(a);
        const k = Math.min(c.m, c.n);
        expect(d.S.length).toBe(k);
        for (let i = 0; i < k; i++) {
          expect(d.S[i]!).toBeGreaterThanOrEqual(0);
          if (i > 0) expect(d.S[i]!).toBeLessThanOrEqual(d.S[i - 1]!);
        }
        const rec = matmul(matmul(d.U, diag(d.S)), d.Vt);
        expect(frobeniusDiff(rec, a)).toBeLessThanOrEqual(1e-12 * frobenius(a) + 1e-300);
        expect(orthoDefect(d.U)).toBeLessThan(1e-12);
        expect(orthoDefect(transpose(d.Vt))).toBeLessThan(1e-12);
      }),
      { numRuns: 60 },
    );
  });

  it('σ² equal the eigenvalues of A·Aᵀ from the independent symmetric eigensolver', () => {
    fc.assert(
      fc.property(matrixCase(16), (c) => {
        const a = makeMatrix(c);
        const d = svd(a);
        const ev = symmetricEigen(c.m <= c.n ? gram(a) : gram(transpose(a))).values;
        const top = ev[0]!;
        for (let i = 0; i < d.S.length; i++) {
          expect(Math.abs(d.S[i]! ** 2 - Math.max(0, ev[i]!))).toBeLessThanOrEqual(1e-10 * top + 1e-300);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('rank-r truncation error equals sqrt(Σ discarded σ²) within 1e-4 relative (Eckart–Young)', () => {
    fc.assert(
      fc.property(matrixCase(), fc.double({ min: 0, max: 1, noNaN: true }), (c, frac) => {
        const a = makeMatrix(c);
        const full = Math.min(c.m, c.n);
        const r = Math.max(1, Math.round(frac * full));
        const f = lowRank(a, { kind: 'rank', n: r }, { randomized: false });
        expect(f.rank).toBe(r);
        const measured = frobeniusDiff(matmul(f.A, f.B), a);
        const predicted = truncationError(f.S, r);
        expect(Math.abs(measured - predicted)).toBeLessThanOrEqual(1e-4 * predicted + 1e-12 * frobenius(a));
        // fp32 storage of the factors keeps full rank exact to fp32 tolerance.
        if (r === full) {
          const a32 = Float32Array.from(f.A.data);
          const b32 = Float32Array.from(f.B.data);
          const rec = matmul(
            { ...f.A, data: Float64Array.from(a32) },
            { ...f.B, data: Float64Array.from(b32) },
          );
          expect(frobeniusDiff(rec, a)).toBeLessThanOrEqual(1e-5 * frobenius(a));
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe('randomizedSvd', () => {
  it('recovers an exactly rank-k matrix at rank k', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 60 }),
        fc.integer({ min: 20, max: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        (m, n, k, seed) => {
          const a = matmul(randomNormal(m, k, seed), randomNormal(k, n, seed + 1));
          const d = randomizedSvd(a, k, { oversample: 4, seed });
          const rec = matmul(matmul(d.U, diag(d.S)), d.Vt);
          expect(frobeniusDiff(rec, a)).toBeLessThanOrEqual(1e-9 * frobenius(a));
          expect(orthoDefect(d.U)).toBeLessThan(1e-10);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('on a decaying spectrum its error is within 1% of the optimal truncation error', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = makeMatrix({ m: 120, n: 90, seed, scale: 1, decay: 0.9 });
        const r = 10;
        const opt = truncationError(svd(a).S, r);
        const f = lowRank(a, { kind: 'rank', n: r }, { randomized: true, seed, powerIters: 3 });
        const err = frobeniusDiff(matmul(f.A, f.B), a);
        expect(err).toBeGreaterThanOrEqual(opt * (1 - 1e-9));
        expect(err).toBeLessThanOrEqual(opt * 1.01);
      }),
      { numRuns: 10 },
    );
  });
});

describe('svd input checks', () => {
  it('refuses NaN and infinite elements instead of iterating forever', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const a = randomNormal(4, 3, 1);
      a.data[5] = bad;
      expect(() => svd(a)).toThrow(RangeError);
    }
  });
});
