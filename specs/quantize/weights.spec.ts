// quantize weights, onnxruntime-node as the oracle: the rewritten MatMul/Gemm/Conv (int8 behind
// DequantizeLinear, per-tensor/per-channel, sym/asym) runs in onnxruntime and computes the float
// layer with dequantized weights; |w − dq(q(w))| ≤ scale/2 per weight.
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { quantizeLayerWeight, type WeightSettings } from '../../compiler/passes/quantize/index.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, maxAbsDiff, ortRun } from '../compiler/graphs.ts';

function randn(n: number, seed: number): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => r());
}

/** onnxruntime with graph optimizations off: no DQ→MatMul fusions, the graph as emitted. */
async function ortPlain(
  bytes: Uint8Array,
  x: { dims: readonly number[]; data: unknown },
): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, {
    logSeverityLevel: 3,
    graphOptimizationLevel: 'disabled',
  });
  const r = await s.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) });
  return r.y!.data as Float32Array;
}

describe('quantize weights: emitted graphs in onnxruntime', () => {
  it('MatMul/Gemm/Conv int8: error ≤ scale/2, runs in onnxruntime, equals float with dq weights', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          op: fc.constantFrom('MatMul', 'Gemm', 'GemmT', 'Conv'),
          n: fc.integer({ min: 1, max: 10 }),
          m: fc.integer({ min: 1, max: 10 }),
          seed: fc.nat(),
          perChannel: fc.boolean(),
          symmetric: fc.boolean(),
          method: fc.constantFrom('minmax' as const, 'mse' as const),
          bits: fc.constantFrom(8 as const, 4 as const, 2 as const),
          group: fc.constantFrom(0, 0, 2, 4),
        }),
        async ({ op, n, m, seed, perChannel, symmetric, method, bits, group }) => {
          const wDims = op === 'Conv' ? [m, n, 3, 3] : op === 'GemmT' ? [m, n] : [n, m];
          const W = randn(
            wDims.reduce((a, b) => a * b, 1),
            seed,
          );
          const xDims = op === 'Conv' ? [1, n, 5, 5] : [2, n];
          const node =
            op === 'Conv'
              ? { op: 'Conv', name: 'l', inputs: ['x', 'w'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } }
              : op === 'GemmT'
                ? { op: 'Gemm', name: 'l', inputs: ['x', 'w'], outputs: ['y'], attrs: { transB: 1 } }
                : { op, name: 'l', inputs: ['x', 'w'], outputs: ['y'] };
          const mk = (w: Float32Array) =>
            buildModel({
              inputs: [{ name: 'x', dims: xDims }],
              outputs: ['y'],
              nodes: [node],
              initializers: { w: float32(wDims, w) },
            });
          const model = mk(W);
          model.setOpset('', 13);
          const s: WeightSettings = {
            perChannel,
            symmetric,
            method,
            bits,
            group: group || undefined,
            from: 'spec:1',
          };
          const err = quantizeLayerWeight(
            model,
            model.graph.nodes.find((x) => x.opType === op.slice(0, 4) || x.opType === op)!,
            s,
          );
          expect(typeof err).toBe('number');
          const dqNode = model.graph.nodes.find((x) => x.opType === 'DequantizeLinear')!;
          const q = model.graph.constant(dqNode.inputs[0]!)!;
          const sc = model.graph.constant(dqNode.inputs[1]!)!.data as Float32Array;
          expect(q.dtype).toBe(bits <= 4 ? (symmetric ? 'int4' : 'uint4') : symmetric ? 'int8' : 'uint8');
          const codes = Array.from(q.data as Int8Array);
          expect(Math.max(...codes) - Math.min(...codes)).toBeLessThan(2 ** bits);
          const maxScale = Math.max(...sc);
          // minmax covers the range, so rounding is the only error; mse clips on purpose.
          if (method === 'minmax') expect(err as number).toBeLessThanOrEqual(maxScale / 2 + 1e-6 * maxScale);
          const x = float32(
            xDims,
            randn(
              xDims.reduce((a, b) => a * b, 1),
              seed + 1,
            ),
          );
          const got = await ortPlain(bytesOf(model), x);
          await ortRun(bytesOf(model), { x }); // also runs optimized
          // The float layer with the dequantized weights (q − zp)·scale along the DQ axis, in onnxruntime.
          const zpT = dqNode.inputs[2] ? model.graph.constant(dqNode.inputs[2])!.data : undefined;
          const scShape = model.graph.constant(dqNode.inputs[1]!)!.dims;
          const block = Number(dqNode.attrs.block_size ?? 0);
          const axis = sc.length > 1 || block ? Number(dqNode.attrs.axis) : -1;
          const qd = q.data as Int8Array;
          const scaleAt = (i: number): number => {
            if (axis < 0) return 0;
            const inner = wDims.slice(axis + 1).reduce((a, b) => a * b, 1);
            const coord = Math.floor(i / inner) % wDims[axis]!;
            if (!block) return coord;
            const outer = Math.floor(i / (inner * wDims[axis]!));
            return (outer * scShape[axis]! + Math.floor(coord / block)) * inner + (i % inner);
          };
          const dq = Float32Array.from(qd, (v, i) => {
            const c = scaleAt(i);
            return Math.fround((v - Number(zpT?.[c] ?? 0)) * sc[c]!);
          });
          const want = await ortPlain(bytesOf(mk(dq)), x);
          expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-4);
        },
      ),
      { numRuns: 40 },
    );
  });
});
