// onnxruntime-node as the oracle for the conv factor layouts: at full rank the Tucker-2 chain
// (1×1 → k×k → 1×1), the spatial pair (k×1 → 1×k) and the channel pair (k×k → 1×1) compute the same
// output as the original Conv, with the same pads and strides.
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { channelDecompose, spatialDecompose } from '../../compiler/linalg/conv.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { tucker2, tucker2ConvWeights } from '../../compiler/linalg/tucker.ts';

// biome-ignore lint/suspicious/noExplicitAny: onnx-proto's generated types are loose
const pb: any = (onnxProto as any).onnx;

const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
const init = (name: string, dims: number[], data: Float32Array) => ({
  name,
  dims,
  dataType: 1,
  rawData: new Uint8Array(data.slice().buffer),
});

interface Case {
  co: number;
  ci: number;
  k: number;
  stride: number;
  seed: number;
}

function conv(x: string, w: string, y: string, kh: number, kw: number, s: [number, number]) {
  const ph = kh >> 1;
  const pw = kw >> 1;
  return {
    opType: 'Conv',
    input: [x, w],
    output: [y],
    attribute: [ints('kernel_shape', [kh, kw]), ints('pads', [ph, pw, ph, pw]), ints('strides', s)],
  };
}

function model(c: Case, w: Float32Array): Uint8Array {
  const { co, ci, k, stride: s } = c;
  const shape = [co, ci, k, k] as const;
  const t = tucker2ConvWeights(tucker2(w, shape, [co, ci], { sweeps: 1 }));
  const sp = spatialDecompose(w, shape, { kind: 'percent', p: 100 });
  const ch = channelDecompose(w, shape, { kind: 'percent', p: 100 });
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1 } } });
  const m = pb.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'factors',
      node: [
        conv('x', 'w', 'ref', k, k, [s, s]),
        conv('x', 't_first', 't1', 1, 1, [1, 1]),
        conv('t1', 't_core', 't2', k, k, [s, s]),
        conv('t2', 't_last', 'tucker', 1, 1, [1, 1]),
        conv('x', 's_vert', 's1', k, 1, [s, 1]),
        conv('s1', 's_horz', 'spatial', 1, k, [1, s]),
        conv('x', 'c_first', 'c1', k, k, [s, s]),
        conv('c1', 'c_second', 'channel', 1, 1, [1, 1]),
      ],
      initializer: [
        init('w', [co, ci, k, k], w),
        init('t_first', [ci, ci, 1, 1], t.first),
        init('t_core', [co, ci, k, k], t.core),
        init('t_last', [co, co, 1, 1], t.last),
        init('s_vert', [sp.rank, ci, k, 1], sp.vertical),
        init('s_horz', [co, sp.rank, 1, k], sp.horizontal),
        init('c_first', [ch.rank, ci, k, k], ch.first),
        init('c_second', [co, ch.rank, 1, 1], ch.second),
      ],
      input: [
        {
          name: 'x',
          type: { tensorType: { elemType: 1, shape: { dim: [1, ci, 9, 11].map((d) => ({ dimValue: d })) } } },
        },
      ],
      output: ['ref', 'tucker', 'spatial', 'channel'].map(vi),
    },
  });
  return pb.ModelProto.encode(m).finish();
}

describe('conv factor layouts in onnxruntime-node', () => {
  it('full-rank Tucker-2, spatial and channel chains reproduce the original Conv', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          co: fc.integer({ min: 1, max: 8 }),
          ci: fc.integer({ min: 1, max: 8 }),
          k: fc.constantFrom(1, 3, 5),
          stride: fc.constantFrom(1, 2),
          seed: fc.integer({ min: 0, max: 2 ** 30 }),
        }),
        async (c) => {
          const g = normalSampler(c.seed);
          const w = Float32Array.from({ length: c.co * c.ci * c.k * c.k }, () => g());
          const x = Float32Array.from({ length: c.ci * 9 * 11 }, () => g());
          const session = await ort.InferenceSession.create(model(c, w));
          const out = await session.run({ x: new ort.Tensor('float32', x, [1, c.ci, 9, 11]) });
          const ref = out.ref!.data as Float32Array;
          let scale = 0;
          for (const v of ref) scale = Math.max(scale, Math.abs(v));
          for (const name of ['tucker', 'spatial', 'channel']) {
            const y = out[name]!;
            expect(y.dims).toEqual(out.ref!.dims);
            const d = y.data as Float32Array;
            for (let i = 0; i < ref.length; i++)
              expect(Math.abs(d[i]! - ref[i]!)).toBeLessThanOrEqual(1e-4 * (scale + 1));
          }
          await session.release();
        },
      ),
      { numRuns: 25 },
    );
  });
});
