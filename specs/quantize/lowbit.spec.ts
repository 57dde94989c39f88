// Binary/ternary, GPTQ, sub-byte packing specs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Matrix, matmul, normalSampler, randomNormal } from '../../compiler/linalg/matrix.ts';
import { biasShift } from '../../compiler/passes/quantize/bias.ts';
import { binarize, ternarize } from '../../compiler/passes/quantize/binary.ts';
import { gptq, gptqHessian, weightOutputError } from '../../compiler/passes/quantize/gptq.ts';
import { packSubByte, unpackSubByte } from '../../compiler/passes/quantize/pack.ts';
import { type Bits, dequantize, quantizeTensor } from '../../compiler/passes/quantize/uniform.ts';

const layerArb = fc.record({
  co: fc.integer({ min: 1, max: 8 }),
  per: fc.integer({ min: 3, max: 40 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

function layer(c: { co: number; per: number; seed: number }): Float32Array {
  const g = normalSampler(c.seed);
  const w = Float32Array.from({ length: c.co * c.per }, () => g());
  // Every channel holds a large positive, a large negative and a zero weight.
  for (let o = 0; o < c.co; o++) {
    w[o * c.per] = 10;
    w[o * c.per + 1] = -10;
    w[o * c.per + 2] = 0;
  }
  return w;
}

function distinctPerChannel(d: Float32Array, co: number, per: number): Set<number>[] {
  return Array.from({ length: co }, (_, o) => new Set(d.subarray(o * per, (o + 1) * per)));
}

describe('binary (XNOR-Net)', () => {
  it('holds exactly two values ±α per output channel, α = mean|w|', () => {
    fc.assert(
      fc.property(layerArb, (c) => {
        const w = layer(c);
        const qt = binarize(w, [c.co, c.per]);
        const d = dequantize(qt);
        distinctPerChannel(d, c.co, c.per).forEach((set, o) => {
          const row = w.subarray(o * c.per, (o + 1) * c.per);
          const alpha = Math.fround(row.reduce((s, v) => s + Math.abs(v), 0) / c.per);
          expect([...set].sort((a, b) => a - b)).toEqual([-alpha, alpha]);
          row.forEach((v, i) => {
            expect(Math.sign(d[o * c.per + i]!)).toBe(v < 0 ? -1 : 1);
          });
        });
      }),
      { numRuns: 60 },
    );
  });
});

describe('ternary (TWN)', () => {
  it('holds exactly three values {−α, 0, α} per channel with Δ = 0.7·mean|w|', () => {
    fc.assert(
      fc.property(layerArb, (c) => {
        const w = layer(c);
        const qt = ternarize(w, [c.co, c.per]);
        expect(new Set(qt.q)).toEqual(new Set([-1, 0, 1]));
        const d = dequantize(qt);
        distinctPerChannel(d, c.co, c.per).forEach((set, o) => {
          const row = Array.from(w.subarray(o * c.per, (o + 1) * c.per));
          const delta = (0.7 * row.reduce((s, v) => s + Math.abs(v), 0)) / c.per;
          const big = row.filter((v) => Math.abs(v) > delta).map(Math.abs);
          const alpha = Math.fround(big.reduce((s, v) => s + v, 0) / big.length);
          expect([...set].sort((a, b) => a - b)).toEqual([-alpha, 0, alpha]);
          row.forEach((v, i) => {
            expect(d[o * c.per + i]).toBe(Math.abs(v) > delta ? Math.sign(v) * alpha : 0);
          });
        });
      }),
      { numRuns: 60 },
    );
  });
});

/** Correlated activations: mixed sources with decaying scales. */
function correlatedX(n: number, s: number, seed: number): Matrix {
  const mix = randomNormal(n, n, seed);
  const g = normalSampler(seed ^ 0x9e3779b9);
  const z: Matrix = { rows: n, cols: s, data: new Float64Array(n * s) };
  for (let i = 0; i < n; i++) for (let j = 0; j < s; j++) z.data[i * s + j] = g() * 0.8 ** i;
  return matmul(mix, z);
}

describe('gptq', () => {
  it('output error on the calibration data is no larger than minmax rounding on the same grid', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.integer({ min: 16, max: 48 }),
        fc.constantFrom<Bits>(2, 4, 8),
        fc.constantFrom(0, 8, 16),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 30 }),
        (m, n, bits, groupSize, symmetric, seed) => {
          const w = randomNormal(m, n, seed);
          const x = correlatedX(n, n + 20, seed + 1);
          const granularity =
            groupSize > 0
              ? ({ kind: 'group', axis: 1, size: groupSize } as const)
              : ({ kind: 'channel', axis: 0 } as const);
          const rtn = quantizeTensor(w.data, [m, n], { bits, granularity, symmetric });
          const g = gptq(w, gptqHessian(x), { bits, symmetric, groupSize, blockSize: 8 });
          // Same grid: identical scales and zero points.
          expect(g.quantized.scale).toEqual(rtn.scale);
          expect(g.quantized.zeroPoint).toEqual(rtn.zeroPoint);
          expect(g.quantized.scaleShape).toEqual(rtn.scaleShape);
          const eR = weightOutputError(w, dequantize(rtn), x);
          const eG = weightOutputError(w, g.dequantized, x);
          expect(eG).toBeLessThanOrEqual(eR * (1 + 1e-9));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('is strictly better than rounding on a typical correlated layer (4 bits, group 16)', () => {
    const w = randomNormal(32, 64, 9);
    const x = correlatedX(64, 128, 10);
    const g = gptq(w, gptqHessian(x), { bits: 4, symmetric: true, groupSize: 16 });
    const r = quantizeTensor(w.data, [32, 64], {
      bits: 4,
      granularity: { kind: 'group', axis: 1, size: 16 },
      symmetric: true,
    });
    expect(weightOutputError(w, g.dequantized, x)).toBeLessThan(0.8 * weightOutputError(w, dequantize(r), x));
  });

  it('block size does not change the result (lazy updates are exact), dynamic grid stays in range', () => {
    const w = randomNormal(6, 40, 3);
    const h = gptqHessian(correlatedX(40, 60, 4));
    const a = gptq(w, h, { bits: 4, symmetric: false, groupSize: 8, blockSize: 40 });
    const b = gptq(w, h, { bits: 4, symmetric: false, groupSize: 8, blockSize: 3 });
    expect(Array.from(b.quantized.q)).toEqual(Array.from(a.quantized.q));
    const d = gptq(w, h, { bits: 4, symmetric: false, groupSize: 8, grid: 'dynamic' });
    for (const q of d.quantized.q) expect(q >= 0 && q <= 15).toBe(true);
  });

  it('with uncorrelated inputs (H ∝ I) there is nothing to compensate: GPTQ equals rounding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer(),
        (m, n, seed) => {
          const w = randomNormal(m, n, seed);
          const h = { rows: n, cols: n, data: new Float64Array(n * n) };
          for (let i = 0; i < n; i++) h.data[i * n + i] = 3;
          const g = gptq(w, h, { bits: 4, symmetric: false, groupSize: 8, damp: 0 });
          const r = quantizeTensor(w.data, [m, n], {
            bits: 4,
            granularity: { kind: 'group', axis: 1, size: 8 },
            symmetric: false,
          });
          expect(Array.from(g.quantized.q)).toEqual(Array.from(r.q));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('zeroes the weights of dead inputs (H_ii = 0)', () => {
    const w = randomNormal(3, 16, 5);
    const x = correlatedX(16, 30, 6);
    for (let j = 0; j < 30; j++) x.data[5 * 30 + j] = 0;
    const g = gptq(w, gptqHessian(x), { bits: 8, symmetric: true });
    for (let r = 0; r < 3; r++) expect(g.dequantized[r * 16 + 5]).toBe(0);
  });
});

describe('sub-byte packing', () => {
  it('unpack ∘ pack is the identity for int4/uint4/int2/uint2 with the ONNX nibble order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<4 | 2>(4, 2),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 50 }),
        (bits, signed, raw) => {
          const span = 2 ** bits;
          const codes = raw.map((v) => (v % span) - (signed ? span / 2 : 0));
          const packed = packSubByte(codes, bits);
          expect(packed.length).toBe(Math.ceil(codes.length / (8 / bits)));
          expect(Array.from(unpackSubByte(packed, codes.length, bits, signed))).toEqual(codes);
        },
      ),
      { numRuns: 100 },
    );
    expect(Array.from(packSubByte([1, -2, 3], 4))).toEqual([0xe1, 0x03]);
    expect(Array.from(packSubByte([1, -1, 0, -2], 2))).toEqual([0b10_00_11_01]);
  });
});

describe('biasShift', () => {
  it('puts the mean output on the data back where the original weights had it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer(),
        (m, n, seed) => {
          const w = randomNormal(m, n, seed);
          const x = correlatedX(n, 30, seed + 1);
          for (let i = 0; i < n; i++) for (let j = 0; j < 30; j++) x.data[i * 30 + j]! += i % 3; // non-zero means
          const what = dequantize(
            quantizeTensor(w.data, [m, n], { bits: 2, granularity: { kind: 'tensor' }, symmetric: true }),
          );
          const mean = Array.from(
            { length: n },
            (_, i) => x.data.subarray(i * 30, i * 30 + 30).reduce((a, b) => a + b, 0) / 30,
          );
          const delta = biasShift(w.data, what, [m, n], mean);
          const y = matmul(w, x);
          const yq = matmul({ rows: m, cols: n, data: Float64Array.from(what) }, x);
          for (let o = 0; o < m; o++) {
            let d = 0;
            for (let j = 0; j < 30; j++) d += y.data[o * 30 + j]! - (yq.data[o * 30 + j]! + delta[o]!);
            const scale =
              Math.abs(delta[o]!) +
              y.data.subarray(o * 30, o * 30 + 30).reduce((a, b) => a + Math.abs(b), 0) / 30;
            expect(Math.abs(d / 30)).toBeLessThanOrEqual(1e-5 * (scale + 1));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
