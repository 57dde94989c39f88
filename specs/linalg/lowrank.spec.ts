// Low-rank specs: rank selection rules, data-aware factorization beats plain SVD on the data and
// reaches its predicted whitened error, full rank is exact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataAwareLowRank, lowRank, outputError } from '../../compiler/linalg/lowrank.ts';
import { frobenius, frobeniusDiff, gram, matmul } from '../../compiler/linalg/matrix.ts';
import { selectRank } from '../../compiler/linalg/rank.ts';
import { correlatedX, makeMatrix, matrixCase } from './gen.ts';

const spectrum = fc
  .array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 40 })
  .map((a) => Float64Array.from(a.sort((x, y) => y - x)));

describe('selectRank', () => {
  it('energy P% picks the smallest rank whose σ² reach P% of the total', () => {
    fc.assert(
      fc.property(spectrum, fc.double({ min: 1, max: 100, noNaN: true }), (S, p) => {
        const total = S.reduce((s, x) => s + x * x, 0);
        const r = selectRank(S, { kind: 'energy', p });
        const kept = (k: number) => S.subarray(0, k).reduce((s, x) => s + x * x, 0);
        expect(r).toBeGreaterThanOrEqual(1);
        expect(r).toBeLessThanOrEqual(S.length);
        if (total > 0) {
          expect(kept(r)).toBeGreaterThanOrEqual((p / 100) * total * (1 - 1e-9));
          if (r > 1) expect(kept(r - 1)).toBeLessThan((p / 100) * total * (1 - 1e-12));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('rank N and rank P% clamp to [1, full]; roundTo rounds up to a multiple, never past full', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 0, max: 700 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.constantFrom(1, 4, 8, 16),
        (full, n, p, q) => {
          const r1 = selectRank([], { kind: 'rank', n }, { full, roundTo: q });
          const r2 = selectRank([], { kind: 'percent', p }, { full, roundTo: q });
          for (const r of [r1, r2]) {
            expect(r).toBeGreaterThanOrEqual(1);
            expect(r).toBeLessThanOrEqual(full);
            expect(r % q === 0 || r === full).toBe(true);
          }
          const base = Math.max(1, Math.min(full, n));
          expect(r1).toBe(Math.min(full, Math.ceil(base / q) * q));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('dataAwareLowRank', () => {
  it('its output error on the data is never above plain SVD’s, and is what it predicts', () => {
    fc.assert(
      fc.property(
        matrixCase(20),
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (c, xs, frac) => {
          const w = makeMatrix({ ...c, decay: 1 });
          const x = correlatedX(c.n, c.n + 10, c.seed ^ xs);
          const full = Math.min(c.m, c.n);
          const r = Math.max(1, Math.round(frac * full));
          const plain = lowRank(w, { kind: 'rank', n: r }, { randomized: false });
          const da = dataAwareLowRank(w, { X: x }, { kind: 'rank', n: r }, { damp: 1e-10 });
          const eData = outputError(w, da.A, da.B, x);
          const ePlain = outputError(w, plain.A, plain.B, x);
          const ref = frobenius(matmul(w, x));
          expect(eData).toBeLessThanOrEqual(ePlain * (1 + 1e-6) + 1e-9 * ref);
          // The reported error is for XXᵀ + λI ⪰ XXᵀ, so it bounds the true one from above.
          expect(eData).toBeLessThanOrEqual(da.error * (1 + 1e-6) + 1e-9 * ref);
          expect(da.error - eData).toBeLessThanOrEqual(1e-4 * ref);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("rankFrom 'weights' keeps plain SVD's energy rank and never has a larger output error", () => {
    fc.assert(
      fc.property(matrixCase(20), fc.constantFrom(80, 90, 95, 99), (c, p) => {
        const w = makeMatrix(c);
        const x = correlatedX(c.n, c.n + 10, c.seed + 5);
        const plain = lowRank(w, { kind: 'energy', p }, { randomized: false });
        const da = dataAwareLowRank(w, { X: x }, { kind: 'energy', p }, { rankFrom: 'weights', damp: 1e-10 });
        expect(da.rank).toBe(plain.rank);
        const ref = frobenius(matmul(w, x));
        expect(outputError(w, da.A, da.B, x)).toBeLessThanOrEqual(
          outputError(w, plain.A, plain.B, x) * (1 + 1e-6) + 1e-9 * ref,
        );
      }),
      { numRuns: 40 },
    );
  });

  it('accepts the Gram XXᵀ instead of X with the same factors, and is exact at full rank', () => {
    fc.assert(
      fc.property(matrixCase(16), (c) => {
        const w = makeMatrix(c);
        const x = correlatedX(c.n, 2 * c.n + 3, c.seed);
        const full = Math.min(c.m, c.n);
        const a = dataAwareLowRank(w, { X: x }, { kind: 'rank', n: full }, { damp: 1e-8 });
        const b = dataAwareLowRank(w, { gram: gram(x) }, { kind: 'rank', n: full }, { damp: 1e-8 });
        const ab = matmul(a.A, a.B);
        expect(frobeniusDiff(ab, matmul(b.A, b.B))).toBeLessThanOrEqual(1e-9 * frobenius(w) + 1e-300);
        expect(frobeniusDiff(ab, w)).toBeLessThanOrEqual(1e-6 * frobenius(w) + 1e-300);
      }),
      { numRuns: 40 },
    );
  });
});
