// A ternary/binary recipe on a small Gemm network through compileModel: the output runs in
// onnxruntime-node and the large tensor holds exactly 3 (ternary) or 2 (binary) distinct integers (never more anywhere).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import '../../compiler/passes/lossy.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { buildModel, bytesOf, ortRun } from '../compiler/graphs.ts';

function randn(n: number, seed: number): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => r());
}

describe('quantize weights { ternary | binary }', () => {
  it('Gemm network: runs in onnxruntime, 3 or 2 distinct integers per tensor', {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.nat(),
          kind: fc.constantFrom('ternary', 'binary'),
          h: fc.integer({ min: 16, max: 32 }),
        }),
        async ({ seed, kind, h }) => {
          const src = buildModel({
            inputs: [{ name: 'x', dims: [2, 8] }],
            outputs: ['y'],
            nodes: [
              { op: 'Gemm', name: 'fc1', inputs: ['x', 'w1', 'b1'], outputs: ['a'], attrs: { transB: 1 } },
              { op: 'Relu', name: 'r', inputs: ['a'], outputs: ['z'] },
              { op: 'Gemm', name: 'fc2', inputs: ['z', 'w2'], outputs: ['y'] },
            ],
            initializers: {
              w1: float32([h, 8], randn(h * 8, seed)),
              b1: float32([h], randn(h, seed + 1)),
              w2: float32([h, 3], randn(h * 3, seed + 2)),
            },
          });
          const recipe = `recipe "t"\nquantize weights of * { ${kind} }\n`;
          const r = await compileModel(bytesOf(src), recipe, {});
          const m = importModel(r.model);
          const dqs = m.graph.nodes.filter((n) => n.opType === 'DequantizeLinear');
          expect(dqs.length).toBe(2);
          for (const d of dqs) {
            const q = m.graph.constant(d.inputs[0]!)!;
            const distinct = new Set(Array.from(q.data as Int8Array)).size;
            // fc1 (≥ 128 weights) shows every code; fc2's few weights per channel may miss one.
            if (d.name.startsWith('fc1')) expect(distinct).toBe(kind === 'ternary' ? 3 : 2);
            else expect(distinct).toBeLessThanOrEqual(kind === 'ternary' ? 3 : 2);
          }
          const y = (await ortRun(r.model, { x: float32([2, 8], randn(16, seed + 3)) })).y!;
          expect(y.length).toBe(6);
          expect(y.every(Number.isFinite)).toBe(true);
        },
      ),
      { numRuns: 20 },
    );
  });
});
