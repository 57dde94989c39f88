// quantizationSnr: the histogram estimate tracks the measured SNR of the bulk (values up to the 99th
// percentile of |x|) after a real quantize→dequantize, and drops when a few outliers stretch the range.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import {
  activationParams,
  calibrateRange,
  quantizationSnr,
  RangeCollector,
} from '../../compiler/passes/quantize/calibrate.ts';
import { dequantizeValue, quantizeValue } from '../../compiler/passes/quantize/uniform.ts';

function measured(x: Float32Array, lo: number, hi: number): number {
  const p = activationParams({ lo, hi }, { bits: 8, signed: false });
  const abs = Array.from(x, Math.abs).sort((a, b) => a - b);
  const bulk = abs[Math.ceil(0.99 * abs.length) - 1]!;
  let signal = 0;
  let noise = 0;
  for (const v of x) {
    if (Math.abs(v) <= bulk) signal += v * v;
    const d = v - dequantizeValue(quantizeValue(v, p.scale, p.zeroPoint, 0, 255), p.scale, p.zeroPoint);
    noise += d * d;
  }
  return 10 * Math.log10(signal / noise);
}

describe('quantizationSnr', () => {
  it('is within 1.5 dB of the measured SNR on gaussian and rectified data (minmax, 8 bits)', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.boolean(),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (seed, relu, s) => {
          const g = normalSampler(seed);
          const x = Float32Array.from({ length: 4000 }, () => {
            const v = s * g();
            return relu ? Math.max(0, v) : v;
          });
          const c = new RangeCollector();
          c.add(x);
          const r = calibrateRange(c, { kind: 'minmax' });
          expect(Math.abs(quantizationSnr(c, r, 8) - measured(x, r.lo, r.hi))).toBeLessThanOrEqual(1.5);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a few outliers (0.1%) stretching a minmax range cost ≥ 15 dB', () => {
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        const g = normalSampler(seed);
        const x = Float32Array.from({ length: 4000 }, () => g());
        const clean = new RangeCollector();
        clean.add(x);
        for (let i = 0; i < 4; i++) x[i * 997] = 300 * (i % 2 ? -1 : 1);
        const dirty = new RangeCollector();
        dirty.add(x);
        const a = quantizationSnr(clean, calibrateRange(clean, { kind: 'minmax' }), 8);
        const b = quantizationSnr(dirty, calibrateRange(dirty, { kind: 'minmax' }), 8);
        expect(a - b).toBeGreaterThanOrEqual(15);
      }),
      { numRuns: 20 },
    );
  });
});
