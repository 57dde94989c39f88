// Activation calibration specs: minmax covers everything, percentile/entropy/mse clip outliers,
// streaming histogram equals one-shot, QuantizeLinear parameters cover the range.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import {
  activationParams,
  calibrateRange,
  RangeCollector,
} from '../../compiler/passes/quantize/calibrate.ts';

function gaussianWithOutliers(n: number, seed: number, outliers = 5): Float32Array {
  const g = normalSampler(seed);
  const x = Float32Array.from({ length: n }, () => g());
  for (let i = 0; i < outliers; i++) x[(i * 7919) % n] = 60 * (i % 2 ? -1 : 1);
  return x;
}

describe('RangeCollector + calibrateRange', () => {
  it('minmax returns [min(0, min), max(0, max)] of everything seen', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { maxLength: 50 }), {
          maxLength: 6,
        }),
        (batches) => {
          const c = new RangeCollector();
          for (const b of batches) c.add(b);
          const all = batches.flat();
          const r = calibrateRange(c, { kind: 'minmax' });
          expect(r.lo).toBe(all.length ? Math.min(0, ...all) : 0);
          expect(r.hi).toBe(all.length ? Math.max(0, ...all) : 0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('survives denormal, infinite and NaN inputs (the histogram width never collapses to 0)', () => {
    const c = new RangeCollector();
    c.add([5e-324, -0]);
    c.add([Number.NaN, Number.POSITIVE_INFINITY, 1, -2]);
    expect(c.hist.reduce((a, b) => a + b, 0)).toBe(4);
    expect(calibrateRange(c, { kind: 'minmax' })).toEqual({ lo: -2, hi: 1 });
    expect(calibrateRange(c, { kind: 'entropy' }).hi).toBeGreaterThan(0);
  });

  it('a growing range merges bins without losing counts, matching a one-shot histogram at the end', () => {
    const x = gaussianWithOutliers(4096, 1);
    const one = new RangeCollector();
    one.add(Float32Array.from(x).sort((a, b) => Math.abs(b) - Math.abs(a)));
    const many = new RangeCollector();
    for (let i = 0; i < 8; i++) many.add(x.subarray(i * 512, (i + 1) * 512).map((v) => v / (8 - i)));
    expect(many.hist.reduce((a, b) => a + b, 0)).toBe(4096);
    expect(many.count).toBe(4096);
    expect(one.hist.reduce((a, b) => a + b, 0)).toBe(4096);
  });

  it('percentile, entropy (and mse at 4 bits, where rounding noise outweighs clipping) clip rare outliers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const c = new RangeCollector();
        const x = gaussianWithOutliers(20000, seed);
        for (let i = 0; i < 4; i++) c.add(x.subarray(i * 5000, (i + 1) * 5000));
        const mm = calibrateRange(c, { kind: 'minmax' });
        expect(mm.hi).toBe(60);
        for (const m of [{ kind: 'percentile', p: 99.9 }, { kind: 'entropy' }, { kind: 'mse' }] as const) {
          const r = calibrateRange(c, m, { bits: 4 });
          expect(r.hi).toBeLessThan(20);
          expect(r.hi).toBeGreaterThan(2.5);
          expect(r.lo).toBeLessThan(0);
          expect(r.lo).toBeGreaterThanOrEqual(-r.hi * 1.0001 - 1e-9);
        }
        // At 8 bits five outliers cost more clipped than the finer grid saves: mse keeps them.
        expect(calibrateRange(c, { kind: 'mse' }, { bits: 8 }).hi).toBeGreaterThan(50);
        const p = calibrateRange(c, { kind: 'percentile', p: 99.9 });
        const sorted = Float64Array.from(x, Math.abs).sort();
        const exact = sorted[Math.ceil(0.999 * sorted.length) - 1]!;
        expect(Math.abs(p.hi - exact)).toBeLessThanOrEqual(c.width * 1.0001);
      }),
      { numRuns: 5 },
    );
  });

  it('a non-negative tensor calibrates to [0, T] and uint8 parameters map 0 exactly', () => {
    const c = new RangeCollector();
    c.add(Float32Array.from(gaussianWithOutliers(5000, 3), Math.abs));
    const r = calibrateRange(c, { kind: 'entropy' });
    expect(r.lo).toBe(0);
    const p = activationParams(r, { bits: 8, signed: false });
    expect(p.zeroPoint).toBe(0);
    expect(p.scale).toBeCloseTo(r.hi / 255, 6);
    const s = activationParams({ lo: -3, hi: 5 }, { bits: 8, signed: true, symmetric: true });
    expect(s).toEqual({ scale: Math.fround(5 / 127), zeroPoint: 0 });
    const a16 = activationParams({ lo: -3, hi: 5 }, { bits: 16, signed: false });
    expect(a16.zeroPoint).toBe(Math.round(3 / a16.scale));
  });
});
