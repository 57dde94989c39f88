// Tucker-2 and conv decomposition specs: ALS never increases the error, every decomposition is
// exact at full rank, data-aware channel factors beat plain ones on their patches.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  channelDecompose,
  channelReconstruct,
  spatialDecompose,
  spatialReconstruct,
} from '../../compiler/linalg/conv.ts';
import { frobenius, gram, matmul, normalSampler } from '../../compiler/linalg/matrix.ts';
import { maxUsefulRank } from '../../compiler/linalg/rank.ts';
import {
  type ConvShape,
  tucker2,
  tucker2ConvWeights,
  tucker2Ranks,
  tucker2Reconstruct,
} from '../../compiler/linalg/tucker.ts';
import { correlatedX } from './gen.ts';

const convCase = fc.record({
  co: fc.integer({ min: 1, max: 12 }),
  ci: fc.integer({ min: 1, max: 12 }),
  k: fc.constantFrom(1, 3, 5),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

function convWeight(c: { co: number; ci: number; k: number; seed: number }): {
  w: Float32Array;
  shape: ConvShape;
} {
  const g = normalSampler(c.seed);
  const w = new Float32Array(c.co * c.ci * c.k * c.k);
  for (let i = 0; i < w.length; i++) w[i] = g();
  return { w, shape: [c.co, c.ci, c.k, c.k] };
}

const diffNorm = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
};

describe('tucker2', () => {
  it('error never increases over ALS sweeps, and errors[] are the true reconstruction errors', () => {
    fc.assert(
      fc.property(convCase, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), (c, r1, r2) => {
        const { w, shape } = convWeight(c);
        const t = tucker2(w, shape, [r1, r2], { sweeps: 4 });
        for (let i = 1; i < t.errors.length; i++) {
          expect(t.errors[i]!).toBeLessThanOrEqual(t.errors[i - 1]! * (1 + 1e-12) + 1e-12);
        }
        expect(Math.abs(diffNorm(w, tucker2Reconstruct(t)) - t.errors.at(-1)!)).toBeLessThanOrEqual(
          1e-9 * frobenius(w) + 1e-6 * t.errors.at(-1)!,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('is exact at full ranks, and the 1×1 → k×k → 1×1 conv weights reproduce it in fp32', () => {
    fc.assert(
      fc.property(convCase, (c) => {
        const { w, shape } = convWeight(c);
        const t = tucker2(w, shape, [c.co, c.ci]);
        expect(diffNorm(w, tucker2Reconstruct(t))).toBeLessThanOrEqual(1e-10 * frobenius(w));
        const { first, core, last } = tucker2ConvWeights(t);
        expect(first.length).toBe(c.ci * c.ci);
        expect(last.length).toBe(c.co * c.co);
        // Compose the chain in fp64 from the fp32 weights.
        const S = c.k * c.k;
        const rec = new Float64Array(w.length);
        for (let o = 0; o < c.co; o++)
          for (let i = 0; i < c.co; i++)
            for (let j = 0; j < c.ci; j++)
              for (let ch = 0; ch < c.ci; ch++)
                for (let p = 0; p < S; p++)
                  rec[(o * c.ci + ch) * S + p]! +=
                    last[o * c.co + i]! * core[(i * c.ci + j) * S + p]! * first[j * c.ci + ch]!;
        expect(diffNorm(w, rec)).toBeLessThanOrEqual(1e-5 * frobenius(w));
      }),
      { numRuns: 40 },
    );
  });
});

describe('spatial and channel decompositions', () => {
  it('are exact at full rank (fp32 tolerance)', () => {
    fc.assert(
      fc.property(convCase, (c) => {
        const { w, shape } = convWeight(c);
        const sp = spatialDecompose(w, shape, { kind: 'percent', p: 100 });
        expect(sp.rank).toBe(Math.min(c.ci * c.k, c.co * c.k));
        expect(sp.vertical.length).toBe(sp.rank * c.ci * c.k);
        expect(sp.horizontal.length).toBe(c.co * sp.rank * c.k);
        expect(diffNorm(w, spatialReconstruct(sp, shape))).toBeLessThanOrEqual(1e-5 * frobenius(w));
        const ch = channelDecompose(w, shape, { kind: 'percent', p: 100 });
        expect(ch.rank).toBe(Math.min(c.co, c.ci * c.k * c.k));
        expect(diffNorm(w, channelReconstruct(ch, shape))).toBeLessThanOrEqual(1e-5 * frobenius(w));
      }),
      { numRuns: 50 },
    );
  });

  it('truncated spatial error is the discarded spectrum; data-aware channel beats plain on patches', () => {
    fc.assert(
      fc.property(convCase, fc.integer({ min: 1, max: 6 }), (c, r) => {
        const { w, shape } = convWeight(c);
        const sp = spatialDecompose(w, shape, { kind: 'rank', n: r });
        const e = diffNorm(w, spatialReconstruct(sp, shape));
        expect(Math.abs(e - sp.error)).toBeLessThanOrEqual(1e-4 * sp.error + 1e-5 * frobenius(w));
        const n = c.ci * c.k * c.k;
        const x = correlatedX(n, n + 8, c.seed);
        const plain = channelDecompose(w, shape, { kind: 'rank', n: r });
        const da = channelDecompose(w, shape, { kind: 'rank', n: r }, { gram: gram(x), damp: 1e-10 });
        const outErr = (f: ReturnType<typeof channelDecompose>): number => {
          const rec = channelReconstruct(f, shape);
          const d = new Float64Array(c.co * n);
          for (let i = 0; i < d.length; i++) d[i] = w[i]! - rec[i]!;
          return frobenius(matmul({ rows: c.co, cols: n, data: d }, x));
        };
        const ref = frobenius(matmul({ rows: c.co, cols: n, data: Float64Array.from(w) }, x));
        expect(outErr(da)).toBeLessThanOrEqual(outErr(plain) * (1 + 1e-5) + 1e-5 * ref);
      }),
      { numRuns: 40 },
    );
  });
});

describe('rank helpers', () => {
  it('tucker2Ranks: 100% keeps full ranks, rank P% scales each mode, energy is per mode', () => {
    fc.assert(
      fc.property(convCase, (c) => {
        const { w, shape } = convWeight(c);
        expect(tucker2Ranks(w, shape, { kind: 'percent', p: 100 })).toEqual([c.co, c.ci]);
        expect(tucker2Ranks(w, shape, { kind: 'percent', p: 50 })).toEqual([
          Math.max(1, Math.round(c.co / 2)),
          Math.max(1, Math.round(c.ci / 2)),
        ]);
        const [r1, r2] = tucker2Ranks(w, shape, { kind: 'energy', p: 90 });
        // The HOSVD error bound: keeping 90% of each mode's energy loses at most 10% + 10%.
        const t = tucker2(w, shape, [r1, r2], { sweeps: 0 });
        expect(t.errors[0]! ** 2).toBeLessThanOrEqual(0.2 * frobenius(w) ** 2 * (1 + 1e-9));
      }),
      { numRuns: 30 },
    );
  });

  it('maxUsefulRank is the largest rank whose factors are smaller than the matrix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 3000 }), (m, n) => {
        const r = maxUsefulRank(m, n);
        if (r > 0) expect(r * (m + n)).toBeLessThan(m * n);
        expect((r + 1) * (m + n)).toBeGreaterThanOrEqual(m * n);
      }),
      { numRuns: 100 },
    );
  });
});
