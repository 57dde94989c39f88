// Uniform quantization specs: |w − dq(q(w))| ≤ scale/2 for every bits/granularity/symmetry, codes in
// range, ONNX layouts of scale and zero point, round half to even, mse never worse than minmax.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Bits,
  dequantize,
  type Granularity,
  qRange,
  quantizeTensor,
  roundHalfEven,
  tensorScaleIndex,
} from '../../compiler/passes/quantize/uniform.ts';

const shapeArb = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 });

const caseArb = shapeArb.chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    w: fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), {
      minLength: shape.reduce((a, b) => a * b, 1),
      maxLength: shape.reduce((a, b) => a * b, 1),
    }),
    mag: fc.constantFrom(1e-3, 1, 1e3),
    bits: fc.constantFrom<Bits>(8, 4, 2),
    symmetric: fc.boolean(),
    signedFlip: fc.boolean(),
    gran: fc.oneof(
      fc.constant<Granularity>({ kind: 'tensor' }),
      fc.integer({ min: 0, max: shape.length - 1 }).map((axis): Granularity => ({ kind: 'channel', axis })),
      fc
        .record({ axis: fc.integer({ min: 0, max: shape.length - 1 }), size: fc.integer({ min: 1, max: 5 }) })
        .map((g): Granularity => ({ kind: 'group', ...g })),
    ),
  }),
);

describe('quantizeTensor (minmax)', () => {
  it('every scheme keeps |w − dq(q(w))| ≤ scale/2 with codes inside the integer type', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const w = Float32Array.from(c.w, (v) => (v * c.mag) / 1e3);
        const signed = c.signedFlip ? !c.symmetric : c.symmetric;
        const qt = quantizeTensor(w, c.shape, {
          bits: c.bits,
          granularity: c.gran,
          symmetric: c.symmetric,
          signed,
        });
        const dq = dequantize(qt);
        const idx = tensorScaleIndex(qt);
        const { qmin, qmax } = qRange(c.bits, signed);
        expect(qt.signed).toBe(signed);
        for (let i = 0; i < w.length; i++) {
          const s = qt.scale[idx(i)]!;
          expect(s).toBeGreaterThan(0);
          expect(qt.q[i]!).toBeGreaterThanOrEqual(qmin);
          expect(qt.q[i]!).toBeLessThanOrEqual(qmax);
          const bound = (s / 2) * (1 + 1e-6) + 2e-7 * Math.abs(w[i]!);
          expect(Math.abs(w[i]! - dq[i]!)).toBeLessThanOrEqual(bound);
        }
        for (let s = 0; s < qt.zeroPoint.length; s++) {
          if (c.symmetric) expect(qt.zeroPoint[s]).toBe(signed ? 0 : 2 ** (c.bits - 1));
          expect(qt.zeroPoint[s]!).toBeGreaterThanOrEqual(qmin);
          expect(qt.zeroPoint[s]!).toBeLessThanOrEqual(qmax);
          // Zero is exactly representable, as ONNX requires.
          expect(Math.fround((qt.zeroPoint[s]! - qt.zeroPoint[s]!) * qt.scale[s]!)).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lays scales out as DequantizeLinear expects: [], [D], or the blocked shape', () => {
    const shape = [5, 7, 2];
    const w = Float32Array.from({ length: 70 }, (_, i) => Math.sin(i) * (i + 1));
    expect(
      quantizeTensor(w, shape, { bits: 8, granularity: { kind: 'tensor' }, symmetric: true }).scaleShape,
    ).toEqual([]);
    const ch = quantizeTensor(w, shape, {
      bits: 8,
      granularity: { kind: 'channel', axis: 1 },
      symmetric: true,
    });
    expect(ch.scaleShape).toEqual([7]);
    expect(ch.axis).toBe(1);
    const gr = quantizeTensor(w, shape, {
      bits: 4,
      granularity: { kind: 'group', axis: 1, size: 3 },
      symmetric: false,
    });
    expect(gr.scaleShape).toEqual([5, 3, 2]);
    expect(gr.blockSize).toBe(3);
    expect(gr.scale.length).toBe(30);
    // Element [o, a, i] uses scale [o, floor(a/3), i]: recompute one block's scale by hand.
    let lo = 0;
    let hi = 0;
    for (let a = 3; a < 6; a++) {
      const v = w[(2 * 7 + a) * 2 + 1]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(gr.scale[(2 * 3 + 1) * 2 + 1]).toBe(Math.fround((hi - lo) / 15));
  });

  it('rounds half to even like QuantizeLinear', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([
      0, 2, 2, -0, -2, -2, 2, 3,
    ]);
    const qt = quantizeTensor(Float32Array.of(2.5, -2.5, 1.5, 127), [4], {
      bits: 8,
      granularity: { kind: 'tensor' },
      symmetric: true,
    });
    expect(qt.scale[0]).toBe(1);
    expect(Array.from(qt.q)).toEqual([2, -2, 2, 127]);
  });
});

describe('quantizeTensor (mse)', () => {
  it('never has a larger squared error than minmax on the same layout', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const w = Float32Array.from(c.w, (v) => v * c.mag);
        const opts = { bits: c.bits, granularity: c.gran, symmetric: c.symmetric };
        const sse = (d: Float32Array) => d.reduce((s, v, i) => s + (v - w[i]!) ** 2, 0);
        const a = sse(dequantize(quantizeTensor(w, c.shape, opts)));
        const b = sse(dequantize(quantizeTensor(w, c.shape, { ...opts, method: 'mse' })));
        expect(b).toBeLessThanOrEqual(a * (1 + 1e-9) + 1e-30);
      }),
      { numRuns: 60 },
    );
  });

  it('unclipped elements keep the scale/2 bound; clipped ones sit at the range edge', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const w = Float32Array.from(c.w, (v) => v * c.mag);
        const qt = quantizeTensor(w, c.shape, {
          bits: c.bits,
          granularity: c.gran,
          symmetric: c.symmetric,
          method: 'mse',
        });
        const dq = dequantize(qt);
        const idx = tensorScaleIndex(qt);
        const { qmin, qmax } = qRange(c.bits, qt.signed);
        for (let i = 0; i < w.length; i++) {
          const s = qt.scale[idx(i)]!;
          const err = Math.abs(w[i]! - dq[i]!);
          const atEdge =
            qt.q[i] === qmin ||
            qt.q[i] === qmax ||
            (c.symmetric && Math.abs(qt.q[i]! - qt.zeroPoint[idx(i)]!) === 2 ** (c.bits - 1) - 1);
          if (!atEdge) expect(err).toBeLessThanOrEqual((s / 2) * (1 + 1e-6) + 2e-7 * Math.abs(w[i]!));
        }
      }),
      { numRuns: 60 },
    );
  });
});
