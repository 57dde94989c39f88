// cluster weights (issue 9), onnxruntime-node as the oracle: the emitted indices + codebook →
// Cast(int32) → Gather runs in onnxruntime and equals the float layer with the shared weights;
// pruned zeros stay exact zeros; Lloyd never ends above its initialization's error; uint4 indices
// at opset ≥ 21 when the codebook fits 16 entries; through compile, cleanup does not fold it back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { clusterLayerWeight } from '../../compiler/passes/cluster/index.ts';
import '../../compiler/passes/lossy.ts';
import type { KmeansInit } from '../../compiler/codec/kmeans.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { buildModel, bytesOf, maxRelDiff, ortRun } from '../compiler/graphs.ts';

function weights(n: number, zeros: number, seed: number): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, (_, i) => ((i * 7919 + seed) % 100 < zeros ? 0 : r()));
}

function layer(op: string, n: number, m: number, w: Float32Array, opset: number) {
  const wDims = op === 'Conv' ? [m, n, 3, 3] : op === 'GemmT' ? [m, n] : [n, m];
  const node =
    op === 'Conv'
      ? { op: 'Conv', name: 'l', inputs: ['x', 'w'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } }
      : op === 'GemmT'
        ? { op: 'Gemm', name: 'l', inputs: ['x', 'w'], outputs: ['y'], attrs: { transB: 1 } }
        : { op, name: 'l', inputs: ['x', 'w'], outputs: ['y'] };
  const xDims = op === 'Conv' ? [1, n, 5, 5] : [2, n];
  const model = buildModel({
    inputs: [{ name: 'x', dims: xDims }],
    outputs: ['y'],
    nodes: [node],
    initializers: { w: float32(wDims, w) },
    opset,
  });
  return { model, xDims, wDims };
}

describe('cluster weights: emitted Gather form in onnxruntime', () => {
  it('equals the float layer with shared weights; zeros stay zero; sse ≤ init sse; uint4 at opset 21', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          op: fc.constantFrom('MatMul', 'Gemm', 'GemmT', 'Conv'),
          n: fc.integer({ min: 1, max: 8 }),
          m: fc.integer({ min: 1, max: 8 }),
          zeros: fc.constantFrom(0, 30, 60, 95),
          k: fc.integer({ min: 2, max: 20 }),
          init: fc.constantFrom<KmeansInit>('linear', 'kmeans++', 'density'),
          opset: fc.constantFrom(13, 21),
          seed: fc.nat(10_000),
        }),
        async ({ op, n, m, zeros, k, init, opset, seed }) => {
          const size = op === 'Conv' ? n * m * 9 : n * m;
          const w = weights(size, zeros, seed);
          const { model, xDims, wDims } = layer(op, n, m, w, opset);
          const node = model.graph.nodes[0]!;
          const r = clusterLayerWeight(model, node, { clusters: k, init, from: 'spec:1' });
          if (typeof r === 'string') throw new Error(r);
          expect(r.sse).toBeLessThanOrEqual(r.initSse * (1 + 1e-12) + 1e-12);
          const g = model.graph;
          const gather = g.producer(node.inputs[1]!)!;
          expect(gather.opType).toBe('Gather');
          const cast = g.producer(gather.inputs[1]!)!;
          expect(cast.opType).toBe('Cast');
          expect(cast.attrs.to).toBe(6); // int32, which onnxruntime's Gather takes
          const idx = g.constant(cast.inputs[0]!)!;
          const book = g.constant(gather.inputs[0]!)!.data as Float32Array;
          expect(idx.dims).toEqual(wDims);
          const hasZero = w.some((x) => x === 0);
          expect(book.length).toBeLessThanOrEqual(k + (hasZero ? 1 : 0));
          expect(idx.dtype).toBe(opset >= 21 && book.length <= 16 ? 'uint4' : 'uint8');
          const shared = Float32Array.from(idx.data as Uint8Array, (c) => book[c]!);
          for (let i = 0; i < w.length; i++) if (w[i] === 0) expect(shared[i]).toBe(0);
          if (hasZero) expect(book[0]).toBe(0);
          // the emitted model against the plain float layer holding the shared weights
          const x = float32(
            xDims,
            weights(
              xDims.reduce((a, b) => a * b, 1),
              0,
              seed + 1,
            ),
          );
          const got = (await ortRun(bytesOf(model), { x })).y!;
          const want = (await ortRun(bytesOf(layer(op, n, m, shared, opset).model), { x })).y!;
          expect(maxRelDiff(want, got)).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('compile: prune + cluster stays in the Gather form after cleanup (no folding back), ≤ N+1 values', async () => {
    const w = weights(6 * 4 * 9, 0, 3);
    const { model } = layer('Conv', 4, 6, w, 13);
    const recipe = [
      'prune weights of conv { sparsity 50%  criterion l1 }',
      'cluster weights of conv { clusters 4  init kmeans++ }',
    ].join('\n');
    const r = await compileModel(bytesOf(model), recipe);
    const out = importModel(r.model);
    const ops = out.graph.nodes.map((n) => n.opType);
    expect(ops).toContain('Gather');
    const gather = out.graph.nodes.find((n) => n.opType === 'Gather')!;
    const book = out.graph.constant(gather.inputs[0]!)!.data as Float32Array;
    expect(book.length).toBe(5);
    expect(book[0]).toBe(0);
    expect(r.report.layers.find((l) => l.name === 'l')!.error).toBeGreaterThan(0);
    const x = float32([1, 4, 5, 5], weights(100, 0, 9));
    expect((await ortRun(r.model, { x })).y!.length).toBe(6 * 25);
  });
});
