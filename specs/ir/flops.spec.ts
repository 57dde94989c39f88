// FLOPs of Conv / ConvTranspose / Gemm / MatMul on random small layers equal the textbook formulas,
// evaluated on the output shapes onnxruntime computes (which squish's inference must also match):
//   Conv 2·N·Cout·(Cin/g)·kh·kw·Hout·Wout (+ N·Cout·Hout·Wout bias adds), Gemm 2·M·N·K (+ M·N),
//   MatMul 2·M·N·K per batch item, ConvTranspose 2·N·Cin·(Cout/g)·kh·kw·Hin·Win (+ bias adds).
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import { modelStats } from '../../runtime/ir/shape/stats.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { exportModel } from '../../runtime/onnx/export.ts';

const prod = (a: readonly number[]) => a.reduce((p, d) => p * d, 1);

function model(
  op: string,
  xDims: number[],
  w: number[] | undefined,
  bias: number | undefined,
  attrs: Record<string, unknown>,
  extraInput?: number[],
) {
  const g = new Graph(op);
  g.inputs = [{ name: 'x', type: { dtype: 'float32', shape: xDims } }];
  const inputs = ['x'];
  if (w) {
    g.addInitializer(
      'w',
      float32(
        w,
        Array.from({ length: prod(w) }, (_, i) => Math.cos(i)),
      ),
    );
    inputs.push('w');
  }
  if (extraInput) {
    g.inputs.push({ name: 'b', type: { dtype: 'float32', shape: extraInput } });
    inputs.push('b');
  }
  if (bias !== undefined) {
    g.addInitializer('bias', float32([bias], new Array(bias).fill(0.5)));
    inputs.push('bias');
  }
  g.addNode({ op, inputs, outputs: ['y'], name: 'layer', attrs: attrs as never });
  g.outputs = [{ name: 'y', type: { dtype: 'float32', shape: undefined } }];
  const m = new Model(g);
  m.opsetImports = [{ domain: '', version: 17 }];
  return m;
}

async function ortShape(m: Model): Promise<number[]> {
  const s = await ort.InferenceSession.create(exportModel(m), { logSeverityLevel: 3 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const i of m.graph.inputs) {
      const dims = i.type!.shape as number[];
      feeds[i.name] = new ort.Tensor('float32', new Float32Array(prod(dims)).fill(0.25), dims);
    }
    return [...(await s.run(feeds)).y!.dims];
  } finally {
    await s.release();
  }
}

function layer(m: Model) {
  const st = modelStats(m);
  return st.layers.find((l) => l.name === 'layer')!;
}

describe('FLOPs formulas', () => {
  it('Conv (groups, strides, pads, dilations, bias)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          g: fc.integer({ min: 1, max: 3 }),
          cinPerG: fc.integer({ min: 1, max: 3 }),
          coutPerG: fc.integer({ min: 1, max: 3 }),
          k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
          s: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          p: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
          hw: fc.tuple(fc.integer({ min: 6, max: 10 }), fc.integer({ min: 6, max: 10 })),
          n: fc.integer({ min: 1, max: 2 }),
          bias: fc.boolean(),
        }),
        async (c) => {
          const cin = c.g * c.cinPerG;
          const cout = c.g * c.coutPerG;
          const m = model('Conv', [c.n, cin, ...c.hw], [cout, c.cinPerG, ...c.k], c.bias ? cout : undefined, {
            group: c.g,
            strides: c.s,
            dilations: c.d,
            pads: c.p,
            kernel_shape: c.k,
          });
          const out = await ortShape(m);
          const l = layer(m);
          expect(l.outputs[0]!.shape).toEqual(out);
          const [n, co, ho, wo] = out as [number, number, number, number];
          expect(l.flops).toBe(
            2 * n * co * c.cinPerG * c.k[0] * c.k[1] * ho * wo + (c.bias ? n * co * ho * wo : 0),
          );
          expect(l.params).toBe(cout * c.cinPerG * c.k[0] * c.k[1] + (c.bias ? cout : 0));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('ConvTranspose (groups, strides, bias)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          g: fc.integer({ min: 1, max: 2 }),
          cinPerG: fc.integer({ min: 1, max: 3 }),
          coutPerG: fc.integer({ min: 1, max: 3 }),
          k: fc.integer({ min: 1, max: 3 }),
          s: fc.integer({ min: 1, max: 3 }),
          hw: fc.integer({ min: 2, max: 5 }),
          bias: fc.boolean(),
        }),
        async (c) => {
          const cin = c.g * c.cinPerG;
          const cout = c.g * c.coutPerG;
          const m = model(
            'ConvTranspose',
            [1, cin, c.hw, c.hw],
            [cin, c.coutPerG, c.k, c.k],
            c.bias ? cout : undefined,
            { group: c.g, strides: [c.s, c.s] },
          );
          const out = await ortShape(m);
          const l = layer(m);
          expect(l.outputs[0]!.shape).toEqual(out);
          expect(l.flops).toBe(
            2 * cin * c.coutPerG * c.k * c.k * c.hw * c.hw + (c.bias ? cout * out[2]! * out[3]! : 0),
          );
        },
      ),
      { numRuns: 15 },
    );
  });

  it('Gemm (transA, transB, C)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          m: fc.integer({ min: 1, max: 6 }),
          n: fc.integer({ min: 1, max: 6 }),
          k: fc.integer({ min: 1, max: 6 }),
          ta: fc.boolean(),
          tb: fc.boolean(),
          c: fc.boolean(),
        }),
        async (c) => {
          const a = c.ta ? [c.k, c.m] : [c.m, c.k];
          const b = c.tb ? [c.n, c.k] : [c.k, c.n];
          const m = model('Gemm', a, b, c.c ? c.n : undefined, {
            transA: c.ta ? 1 : 0,
            transB: c.tb ? 1 : 0,
          });
          const out = await ortShape(m);
          const l = layer(m);
          expect(out).toEqual([c.m, c.n]);
          expect(l.outputs[0]!.shape).toEqual(out);
          expect(l.flops).toBe(2 * c.m * c.n * c.k + (c.c ? c.m * c.n : 0));
        },
      ),
      { numRuns: 20 },
    );
  });

  it('MatMul (batched, broadcast)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
          m: fc.integer({ min: 1, max: 5 }),
          n: fc.integer({ min: 1, max: 5 }),
          k: fc.integer({ min: 1, max: 5 }),
          shareB: fc.boolean(),
        }),
        async (c) => {
          const m = model(
            'MatMul',
            [...c.batch, c.m, c.k],
            undefined,
            undefined,
            {},
            c.shareB ? [c.k, c.n] : [...c.batch, c.k, c.n],
          );
          const out = await ortShape(m);
          const l = layer(m);
          expect(l.outputs[0]!.shape).toEqual(out);
          expect(l.flops).toBe(2 * c.m * c.n * c.k * prod(c.batch));
        },
      ),
      { numRuns: 20 },
    );
  });
});
