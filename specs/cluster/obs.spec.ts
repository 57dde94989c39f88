// Data-aware weight sharing (issue 9): with calibration data each weight's centroid is chosen by
// OBS on the layer's input Hessian; its output error never exceeds nearest-centroid assignment's,
// pruned zeros stay zero, and the error it reports is the real one — the squared output change in
// onnxruntime on the calibration inputs (Conv with groups, Gemm, Gemm transB, MatMul).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kmeans1d } from '../../compiler/codec/kmeans.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { clusterLayerWeight } from '../../compiler/passes/cluster/emit.ts';
import { clusterHessians } from '../../compiler/passes/cluster/hessian.ts';
import { obsAssign } from '../../compiler/passes/cluster/obs.ts';
import '../../runtime/ops/reference/index.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, ortRun } from '../compiler/graphs.ts';

function randn(n: number, seed: number, zeros = 0): Float64Array {
  const r = normalSampler(seed);
  return Float64Array.from({ length: n }, (_, i) => ((i * 7919 + seed) % 100 < zeros ? 0 : r()));
}

describe('OBS assignment to a codebook', () => {
  it('output error ≤ nearest centroid; zeros stay zero; labels in range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 2, max: 8 }),
        fc.constantFrom(0, 40, 80),
        fc.nat(1000),
        (rows, cols, s, k, zeros, seed) => {
          const w = randn(rows * cols, seed, zeros);
          const x = randn(s * cols, seed + 1);
          const h = new Float64Array(cols * cols);
          for (let t = 0; t < s; t++)
            for (let i = 0; i < cols; i++)
              for (let j = 0; j < cols; j++) h[i * cols + j]! += x[t * cols + i]! * x[t * cols + j]!;
          const km = kmeans1d(Float32Array.from(w), k);
          const book = Float64Array.from(km.centroids);
          const r = obsAssign(w, rows, cols, h, book);
          expect(r.err).toBeLessThanOrEqual(r.nearestErr * (1 + 1e-9) + 1e-12);
          for (let i = 0; i < w.length; i++) {
            if (w[i] === 0) expect(r.labels[i]).toBe(-1);
            else expect(r.labels[i]!).toBeGreaterThanOrEqual(0);
            expect(r.labels[i]!).toBeLessThan(k);
          }
          // the reported error is ‖(W − Ŵ)·Xᵀ‖²
          let direct = 0;
          for (let row = 0; row < rows; row++)
            for (let t = 0; t < s; t++) {
              let y = 0;
              for (let c = 0; c < cols; c++) {
                const l = r.labels[row * cols + c]!;
                y += (w[row * cols + c]! - (l < 0 ? 0 : book[l]!)) * x[t * cols + c]!;
              }
              direct += y * y;
            }
          expect(Math.abs(direct - r.err)).toBeLessThanOrEqual(1e-8 * (1 + direct));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('data-aware cluster on real layers', () => {
  it('reported relative output error = the output change in onnxruntime on the calibration inputs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Conv', 'ConvG', 'Gemm', 'GemmT', 'MatMul'),
        fc.integer({ min: 2, max: 6 }),
        fc.nat(1000),
        async (op, k, seed) => {
          const cin = 4;
          const cout = 6;
          const group = op === 'ConvG' ? 2 : 1;
          const conv = op.startsWith('Conv');
          const wDims = conv ? [cout, cin / group, 3, 3] : op === 'GemmT' ? [cout, cin] : [cin, cout];
          const xDims = conv ? [1, cin, 5, 5] : [3, cin];
          const node = conv
            ? {
                op: 'Conv',
                name: 'l',
                inputs: ['x', 'w'],
                outputs: ['y'],
                attrs: { pads: [1, 1, 1, 1], group },
              }
            : {
                op: op === 'MatMul' ? 'MatMul' : 'Gemm',
                name: 'l',
                inputs: ['x', 'w'],
                outputs: ['y'],
                attrs: op === 'GemmT' ? { transB: 1 } : {},
              };
          const n = wDims.reduce((a, b) => a * b, 1);
          const model = buildModel({
            inputs: [{ name: 'x', dims: xDims }],
            outputs: ['y'],
            nodes: [node],
            initializers: { w: float32(wDims, Float32Array.from(randn(n, seed, 30))) },
          });
          const before = bytesOf(model);
          const size = xDims.reduce((a, b) => a * b, 1);
          const samples = [0, 1, 2].map((i) => ({
            x: float32(xDims, Float32Array.from(randn(size, seed + 10 + i))),
          }));
          const layer = model.graph.nodes[0]!;
          const hs = await clusterHessians(model, [layer], samples);
          const ra = clusterLayerWeight(
            model,
            layer,
            { clusters: k, init: 'linear', from: 'spec:1' },
            hs.get(layer),
          );
          if (typeof ra === 'string') throw new Error(ra);
          expect(ra.outputError!).toBeLessThanOrEqual(ra.nearestOutputError! * (1 + 1e-9) + 1e-12);
          const after = bytesOf(model);
          let diff = 0;
          let energy = 0;
          for (const s of samples) {
            const y0 = (await ortRun(before, s)).y!;
            const y1 = (await ortRun(after, s)).y!;
            for (let i = 0; i < y0.length; i++) {
              diff += (y1[i]! - y0[i]!) ** 2;
              energy += y0[i]! ** 2;
            }
          }
          expect(Math.sqrt(diff / energy)).toBeCloseTo(ra.outputError!, 4);
        },
      ),
      { numRuns: 15 },
    );
  });
});
