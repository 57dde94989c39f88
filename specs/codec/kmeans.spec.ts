// k-means, relative-index and CRC specs: Lloyd never ends above its initialization's error, zeros
// stay zero and out of the clusters, assignments are nearest-centroid at convergence; sparse
// positions round-trip with the padding rule; CRC-32 matches zlib's and chains.
import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../compiler/codec/crc32.ts';
import {
  codebookIndices,
  type KmeansInit,
  kmeans1d,
  reconstructClusters,
} from '../../compiler/codec/kmeans.ts';
import { relativeDecode, relativeEncode } from '../../compiler/codec/relindex.ts';
import { isUserError } from '../../runtime/errors.ts';

const weightsArb = fc.array(
  fc.oneof(fc.constant(0), fc.double({ min: -4, max: 4, noNaN: true }), fc.constantFrom(0.5, -0.5, 3)),
  { minLength: 1, maxLength: 300 },
);
const initArb = fc.constantFrom<KmeansInit>('linear', 'kmeans++', 'density');

describe('kmeans1d', () => {
  it('error never exceeds the initialization’s; zeros stay zero; nearest-centroid labels at convergence', () => {
    fc.assert(
      fc.property(
        weightsArb,
        fc.integer({ min: 1, max: 16 }),
        initArb,
        fc.integer(),
        (raw, k, init, seed) => {
          const w = Float32Array.from(raw);
          const r = kmeans1d(w, k, { init, seed });
          expect(r.converged).toBe(true);
          expect(r.sse).toBeLessThanOrEqual(r.initSse * (1 + 1e-12) + 1e-12);
          const rec = reconstructClusters(r);
          for (let i = 0; i < w.length; i++) {
            if (w[i] === 0) {
              expect(r.labels[i]).toBe(-1);
              expect(rec[i]).toBe(0);
            } else {
              expect(r.labels[i]!).toBeGreaterThanOrEqual(0);
              // Nearest centroid (ties either way).
              const d = Math.abs(w[i]! - r.centroids[r.labels[i]!]!);
              for (const c of r.centroids) expect(d).toBeLessThanOrEqual(Math.abs(w[i]! - c) + 1e-6);
            }
          }
          for (let j = 1; j < r.centroids.length; j++)
            expect(r.centroids[j]!).toBeGreaterThanOrEqual(r.centroids[j - 1]!);
          // The reported error is the real one.
          let sse = 0;
          for (let i = 0; i < w.length; i++) sse += (w[i]! - rec[i]!) ** 2;
          expect(Math.abs(sse - r.sse)).toBeLessThanOrEqual(1e-5 * (r.sse + 1e-6));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('codebook indices reserve code 0 for zeros and rebuild the clustered tensor through Gather', () => {
    fc.assert(
      fc.property(weightsArb, fc.integer({ min: 1, max: 16 }), (raw, k) => {
        const w = Float32Array.from(raw);
        const r = kmeans1d(w, k, { init: 'density' });
        const { codebook, indices } = codebookIndices(r);
        const hasZero = w.some((v) => v === 0);
        expect(codebook.length).toBe(k + (hasZero ? 1 : 0));
        if (hasZero) expect(codebook[0]).toBe(0);
        const rec = reconstructClusters(r);
        indices.forEach((ix, i) => {
          expect(codebook[ix]).toBe(rec[i]);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('refuses NaN weights', () => {
    expect(() => kmeans1d([1, Number.NaN, 2], 2)).toThrow(RangeError);
  });

  it('finds well-separated clusters exactly', () => {
    const w = new Float32Array(300);
    for (let i = 0; i < 300; i++) w[i] = [-2, 0, 1, 5][i % 4]! + (i % 3) * 1e-3;
    for (const init of ['linear', 'kmeans++', 'density'] as const) {
      const r = kmeans1d(w, 3, { init, seed: 7 });
      expect(Array.from(r.centroids, (c) => Math.round(c))).toEqual([-2, 1, 5]);
    }
  });
});

describe('relative indices (Deep Compression)', () => {
  it('decode(encode(x)) restores every non-zero position; gaps fit the bits; fillers point at zeros', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 5, arbitrary: fc.constant(0) },
            { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }) },
          ),
          {
            maxLength: 400,
          },
        ),
        fc.integer({ min: 1, max: 8 }),
        (dense, bits) => {
          const enc = relativeEncode(dense, bits);
          for (const g of enc.gaps) expect(g).toBeLessThan(2 ** bits);
          const pos = relativeDecode(enc.gaps, dense.length);
          expect(Array.from(pos)).toEqual(Array.from(enc.positions));
          const back = new Array(dense.length).fill(0);
          for (const p of pos) back[p] = dense[p];
          expect(back).toEqual(dense);
          const fillers = Array.from(pos).filter((p) => dense[p] === 0).length;
          expect(fillers).toBe(enc.fillers);
          expect(enc.gaps.length).toBe(dense.filter((v) => v !== 0).length + enc.fillers);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('follows the paper’s example: a gap over 2^bits − 1 gets a filler zero', () => {
    const dense = new Array(30).fill(0);
    dense[1] = 3.4;
    dense[4] = 0.9;
    dense[20] = 1.7;
    const enc = relativeEncode(dense, 3);
    expect(Array.from(enc.gaps)).toEqual([1, 2, 7, 7]);
    expect(Array.from(enc.positions)).toEqual([1, 4, 12, 20]);
    expect(enc.fillers).toBe(1);
  });

  it('an index stream that runs past its tensor is a UserError', () => {
    let err: unknown;
    try {
      relativeDecode([3, 7, 7], 12);
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
  });
});

describe('crc32', () => {
  it('matches zlib’s CRC-32 and chains over chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        const ab = new Uint8Array([...a, ...b]);
        expect(crc32(ab)).toBe(zlibCrc32(ab));
        expect(crc32(b, crc32(a))).toBe(crc32(ab));
      }),
      { numRuns: 100 },
    );
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
