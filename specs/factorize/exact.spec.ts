// Full-rank exactness of every emitted factorization, onnxruntime-node as the oracle: the rewritten
// ONNX (MatMul, Gemm with transposes/alpha/beta/bias, data-aware MatMul, Conv by tucker/channel/
// spatial with groups, strides, pads, dilations, bias) computes the original's outputs (fp32).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { factorizeModel } from '../../compiler/passes/factorize/index.ts';
import type { FactorizeSettings } from '../../compiler/passes/factorize/options.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, maxAbsDiff, ortRun } from '../compiler/graphs.ts';

const full = (method?: FactorizeSettings['method']): FactorizeSettings => ({
  spec: { kind: 'percent', p: 100 },
  method,
  dataAware: false,
  from: 'spec:1',
  force: true,
});

function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => r() * scale);
}

const range = (a: ArrayLike<number>) => Math.max(1, ...Array.from(a, Math.abs));

describe('factorize: full rank is exact in onnxruntime', () => {
  it('MatMul [b,t,n]·[n,m] → two MatMuls (plain and data-aware)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 12 }),
          m: fc.integer({ min: 1, max: 12 }),
          t: fc.integer({ min: 1, max: 5 }),
          seed: fc.nat(),
          aware: fc.boolean(),
        }),
        async ({ n, m, t, seed, aware }) => {
          const W = randn(n * m, seed);
          const mk = () =>
            buildModel({
              inputs: [{ name: 'x', dims: [2, t, n] }],
              outputs: ['y'],
              nodes: [{ op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['y'] }],
              initializers: { w: float32([n, m], W) },
            });
          const x = float32([2, t, n], randn(2 * t * n, seed + 1));
          const ref = (await ortRun(bytesOf(mk()), { x })).y!;
          const model = mk();
          const count = Math.ceil(n / (2 * t)) + 1;
          const samples = aware
            ? Array.from({ length: count }, (_, i) => ({
                x: float32([2, t, n], randn(2 * t * n, seed + 2 + i)),
              }))
            : undefined;
          const s = { ...full(), dataAware: aware };
          const [o] = await factorizeModel(model, [{ layer: 'mm', settings: s }], samples);
          expect(o!.outcome.kind).toBe('done');
          expect(model.graph.nodes.map((x) => x.opType)).toEqual(['MatMul', 'MatMul']);
          const got = (await ortRun(bytesOf(model), { x })).y!;
          expect(maxAbsDiff(ref, got)).toBeLessThanOrEqual(1e-4 * range(ref) * Math.sqrt(n));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('Gemm with transA/transB, alpha, beta and bias → two Gemms (plain and data-aware)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 10 }),
          m: fc.integer({ min: 1, max: 10 }),
          b: fc.integer({ min: 1, max: 4 }),
          transA: fc.integer({ min: 0, max: 1 }),
          transB: fc.integer({ min: 0, max: 1 }),
          alpha: fc.constantFrom(1, 0.5, -2),
          beta: fc.constantFrom(1, 0.25),
          bias: fc.constantFrom('none', 'row', 'full'),
          aware: fc.boolean(),
          seed: fc.nat(),
        }),
        async ({ n, m, b, transA, transB, alpha, beta, bias, aware, seed }) => {
          const inits: Record<string, Tensor> = {
            w: float32(transB ? [m, n] : [n, m], randn(n * m, seed)),
          };
          if (bias === 'row') inits.c = float32([m], randn(m, seed + 3));
          if (bias === 'full') inits.c = float32([b, m], randn(b * m, seed + 3));
          const mk = () =>
            buildModel({
              inputs: [{ name: 'x', dims: transA ? [n, b] : [b, n] }],
              outputs: ['y'],
              nodes: [
                {
                  op: 'Gemm',
                  name: 'g',
                  inputs: bias === 'none' ? ['x', 'w'] : ['x', 'w', 'c'],
                  outputs: ['y'],
                  attrs: {
                    transA,
                    transB,
                    alpha: { name: 'alpha', type: 'FLOAT', value: alpha },
                    beta: { name: 'beta', type: 'FLOAT', value: beta },
                  },
                },
              ],
              initializers: inits,
            });
          const x = float32(transA ? [n, b] : [b, n], randn(n * b, seed + 1));
          const ref = (await ortRun(bytesOf(mk()), { x })).y!;
          const model = mk();
          const samples = aware
            ? Array.from({ length: n + 1 }, (_, i) => ({
                x: float32(transA ? [n, b] : [b, n], randn(n * b, seed + 20 + i)),
              }))
            : undefined;
          const s = { ...full(), dataAware: aware };
          const [o] = await factorizeModel(model, [{ layer: 'g', settings: s }], samples);
          expect(o!.outcome.kind).toBe('done');
          expect(model.graph.nodes.map((x) => x.opType)).toEqual(['Gemm', 'Gemm']);
          const got = (await ortRun(bytesOf(model), { x })).y!;
          expect(maxAbsDiff(ref, got)).toBeLessThanOrEqual(1e-4 * range(ref) * Math.sqrt(n));
        },
      ),
      { numRuns: 30 },
    );
  });

  for (const method of ['tucker', 'channel', 'spatial'] as const) {
    it(`Conv → ${method} chain (groups, strides, pads, dilations, bias)`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            group: fc.integer({ min: 1, max: 2 }),
            cog: fc.integer({ min: 1, max: 5 }),
            cig: fc.integer({ min: 1, max: 5 }),
            kh: fc.integer({ min: method === 'spatial' ? 2 : 1, max: 3 }),
            kw: fc.integer({ min: method === 'spatial' ? 2 : 1, max: 3 }),
            sh: fc.integer({ min: 1, max: 2 }),
            sw: fc.integer({ min: 1, max: 2 }),
            dh: fc.integer({ min: 1, max: 2 }),
            pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
            autoPad: fc.constantFrom('', 'SAME_UPPER'),
            bias: fc.boolean(),
            aware: fc.boolean(),
            seed: fc.nat(),
          }),
          async ({ group, cog, cig, kh, kw, sh, sw, dh, pads, autoPad, bias, aware, seed }) => {
            const co = cog * group;
            const ci = cig * group;
            const inits: Record<string, Tensor> = {
              w: float32([co, cig, kh, kw], randn(co * cig * kh * kw, seed)),
            };
            if (bias) inits.b = float32([co], randn(co, seed + 5));
            const attrs: Record<string, number | number[] | string> = {
              group,
              kernel_shape: [kh, kw],
              strides: [sh, sw],
              dilations: [autoPad ? 1 : dh, 1],
            };
            if (autoPad) attrs.auto_pad = autoPad;
            else attrs.pads = [...pads];
            const mk = () =>
              buildModel({
                inputs: [{ name: 'x', dims: [1, ci, 7, 6] }],
                outputs: ['y'],
                nodes: [
                  {
                    op: 'Conv',
                    name: 'c',
                    inputs: bias ? ['x', 'w', 'b'] : ['x', 'w'],
                    outputs: ['y'],
                    attrs,
                  },
                ],
                initializers: inits,
              });
            const x = float32([1, ci, 7, 6], randn(ci * 42, seed + 1));
            const ref = (await ortRun(bytesOf(mk()), { x })).y!;
            const model = mk();
            // data-aware: patch Grams from the executor
            const dataAware = aware;
            const samples = dataAware
              ? [0, 1].map((i) => ({ x: float32([1, ci, 7, 6], randn(ci * 42, seed + 9 + i)) }))
              : undefined;
            const s = { ...full(method), dataAware };
            const [o] = await factorizeModel(model, [{ layer: 'c', settings: s }], samples);
            expect(o!.outcome.kind).toBe('done');
            expect(model.graph.nodes.length).toBe(method === 'tucker' ? 3 : 2);
            const got = (await ortRun(bytesOf(model), { x })).y!;
            expect(maxAbsDiff(ref, got)).toBeLessThanOrEqual(1e-4 * range(ref) * Math.sqrt(cig * kh * kw));
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});
