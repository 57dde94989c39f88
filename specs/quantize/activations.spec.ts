// quantize activations (static QDQ), onnxruntime-node as the oracle: on random Conv→Relu→Conv and
// MatMul→Relu→MatMul nets with int8 weights, every setting (bits 8|16, signed|unsigned, minmax|
// percentile|entropy|mse) emits Q→DQ on the layer inputs/outputs that onnxruntime runs and that our
// executor computes alike; u8/s8 with int8 weights fuse into QLinearConv/QLinearMatMul; values with an
// outlier-stretched range stay float with a warning; no calibration data is a UserError.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { emptyStats } from '../../compiler/engine/driver.ts';
import type { PassContext } from '../../compiler/engine/pass.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { activationsPass } from '../../compiler/passes/quantize/activations.ts';
import { quantizeLayerWeight } from '../../compiler/passes/quantize/index.ts';
import type { ActivationSettings } from '../../compiler/passes/quantize/options.ts';
import { createSession } from '../../runtime/exec/index.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/index.ts';
import { buildModel, bytesOf } from '../compiler/graphs.ts';

function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => scale * r());
}

function net(kind: 'conv' | 'matmul', c: number, seed: number): { model: Model; xDims: number[] } {
  const xDims = kind === 'conv' ? [1, c, 6, 6] : [3, c];
  const nodes =
    kind === 'conv'
      ? [
          {
            op: 'Conv',
            name: 'l1',
            inputs: ['x', 'w1', 'b1'],
            outputs: ['h'],
            attrs: { pads: [1, 1, 1, 1] },
          },
          { op: 'Relu', name: 'r', inputs: ['h'], outputs: ['hr'] },
          { op: 'Conv', name: 'l2', inputs: ['hr', 'w2'], outputs: ['y'] },
        ]
      : [
          { op: 'MatMul', name: 'l1', inputs: ['x', 'w1'], outputs: ['h'] },
          { op: 'Relu', name: 'r', inputs: ['h'], outputs: ['hr'] },
          { op: 'MatMul', name: 'l2', inputs: ['hr', 'w2'], outputs: ['y'] },
        ];
  const w1 = kind === 'conv' ? [4, c, 3, 3] : [c, 4];
  const w2 = kind === 'conv' ? [2, 4, 1, 1] : [4, 2];
  const size = (d: number[]) => d.reduce((a, b) => a * b, 1);
  const model = buildModel({
    inputs: [{ name: 'x', dims: xDims }],
    outputs: ['y'],
    nodes,
    initializers: {
      w1: float32(w1, randn(size(w1), seed, 0.5)),
      w2: float32(w2, randn(size(w2), seed + 1, 0.5)),
      ...(kind === 'conv' ? { b1: float32([4], randn(4, seed + 2, 0.1)) } : {}),
    },
  });
  for (const n of model.graph.topoOrder().filter((x) => x.opType !== 'Relu')) {
    quantizeLayerWeight(model, n, { perChannel: true, symmetric: true, method: 'minmax', from: 'spec' });
  }
  return { model, xDims };
}

async function ortOut(
  bytes: Uint8Array,
  x: Tensor,
  level: 'disabled' | 'all',
  save?: string,
): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, {
    logSeverityLevel: 3,
    graphOptimizationLevel: level,
    ...(save ? { optimizedModelFilePath: save } : {}),
  });
  const r = await s.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) });
  const y = r.y!.data as Float32Array;
  await s.release();
  return y;
}

const ctxWith = (samples: Record<string, Tensor>[], warn?: (l: string) => void): PassContext => ({
  stats: emptyStats(),
  layerError: {},
  samples,
  ...(warn ? { warn } : {}),
});

const tmp = mkdtempSync(join(tmpdir(), 'squish-qdq-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('quantize activations: static QDQ in onnxruntime', () => {
  it('every setting emits Q→DQ that onnxruntime and the executor compute alike; 8-bit fuses', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          kind: fc.constantFrom('conv' as const, 'matmul' as const),
          c: fc.integer({ min: 1, max: 6 }),
          seed: fc.nat(),
          bits: fc.constantFrom(8 as const, 8 as const, 16 as const),
          signed: fc.boolean(),
          method: fc.constantFrom(
            { kind: 'minmax' } as const,
            { kind: 'percentile', p: 99.9 } as const,
            { kind: 'entropy' } as const,
            { kind: 'mse' } as const,
          ),
        }),
        async ({ kind, c, seed, bits, signed, method }) => {
          const { model, xDims } = net(kind, c, seed);
          const samples = [0, 1, 2].map((k) => ({
            x: float32(
              xDims,
              randn(
                xDims.reduce((a, b) => a * b, 1),
                seed + 10 + k,
              ),
            ),
          }));
          const s: ActivationSettings = { bits, signed, method, from: 'spec:1' };
          const jobs = ['l1', 'l2'].map((layer) => ({ layer, s }));
          await activationsPass(jobs, Number.NEGATIVE_INFINITY).run(model, ctxWith(samples));
          const g = model.graph;
          const quantized = g.nodes.filter((n) => n.opType === 'QuantizeLinear').map((n) => n.inputs[0]);
          // inputs of both layers and l1's output past its Relu; y is a graph output and stays float
          expect(quantized.sort()).toEqual(['hr', 'x']);
          const qType = g.constant(g.nodes.find((n) => n.opType === 'QuantizeLinear')!.inputs[2]!)!.dtype;
          expect(qType).toBe(`${signed ? '' : 'u'}int${bits}`);
          const bytes = bytesOf(model);
          const session = await createSession(importModel(bytes), { backend: 'cpu' });
          const x = samples[0]!.x;
          const ours = (await session.run({ x })).y!.data as Float32Array;
          session.dispose();
          const plain = await ortOut(bytes, x, 'disabled');
          const amax = Math.max(1e-3, ...plain.map(Math.abs));
          for (let i = 0; i < plain.length; i++)
            expect(Math.abs(ours[i]! - plain[i]!)).toBeLessThanOrEqual(1e-4 * amax);
          if (bits === 8) {
            const save = join(tmp, `opt${run++}.onnx`);
            const fused = await ortOut(bytes, x, 'all', save);
            const ops = importModel(readFileSync(save)).graph.nodes.map((n) => n.opType);
            expect(ops).toContain(kind === 'conv' ? 'QLinearConv' : 'QLinearMatMul');
            // integer kernels vs the QDQ reference: at most a rounding step or two apart
            for (let i = 0; i < plain.length; i++)
              expect(Math.abs(fused[i]! - plain[i]!)).toBeLessThanOrEqual(0.05 * amax);
          }
        },
      ),
      { numRuns: 16 },
    );
  }, 120_000);

  it('a value whose range an outlier stretches stays float, with a warning', async () => {
    const { model, xDims } = net('conv', 3, 7);
    const n = xDims.reduce((a, b) => a * b, 1);
    const samples = [0, 1].map((k) => {
      const d = randn(n, 100 + k);
      d[5] = 1e4; // one huge value: a uniform 8-bit grid over ±1e4 rounds the rest to 0
      return { x: float32(xDims, d) };
    });
    const warnings: string[] = [];
    const s: ActivationSettings = { bits: 8, signed: false, method: { kind: 'minmax' }, from: 'spec:2' };
    await activationsPass(
      ['l1', 'l2'].map((layer) => ({ layer, s })),
      undefined,
    ).run(
      model,
      ctxWith(samples, (l) => warnings.push(l)),
    );
    const quantized = model.graph.nodes.filter((x) => x.opType === 'QuantizeLinear').map((x) => x.inputs[0]);
    expect(quantized).toEqual(['hr']);
    expect(warnings.join('\n')).toMatch(/left 1 of 2 values float.*\bx \(/);
  });

  it('without a calibrate block it is a UserError naming the statement', async () => {
    const { model } = net('conv', 2, 1);
    const recipe = 'quantize weights of conv { bits 8 }\nquantize activations { bits 8 }\n';
    await expect(compileModel(bytesOf(model), recipe, { recipeFile: 'r.squish' })).rejects.toThrow(
      /r\.squish:2:1: error\[SQ322\]: quantize activations needs calibration data/,
    );
  });
});
