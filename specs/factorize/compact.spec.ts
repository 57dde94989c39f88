// factorize { method separable | stacked }, the compact designs, with onnxruntime-node as the oracle:
// at full rank the emitted chain computes the original conv (groups, strides, pads, dilations, bias;
// plain and fitted on data); below it the fit on calibration data never has more output error on
// those samples than the plain fit; the weight error falls as the rank grows; and on PP-OCR cls
// (transfer lines as calibration) both compile, run and shrink their layers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { separableDecompose, stackedDecompose } from '../../compiler/linalg/compact.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { factorizeModel } from '../../compiler/passes/factorize/index.ts';
import type { FactorizeSettings } from '../../compiler/passes/factorize/options.ts';
import { float32, type Tensor } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, maxAbsDiff, ortRun } from '../compiler/graphs.ts';
import { agreementWithOriginal, clsBytes, clsHeader, compileCls, readModel } from '../distill/support.ts';

function randn(n: number, seed: number): Float32Array {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => r());
}

const range = (a: ArrayLike<number>) => Math.max(1, ...Array.from(a, Math.abs));
const H = 9;
const W = 8;

interface ConvCase {
  group: number;
  cog: number;
  cig: number;
  kh: number;
  kw: number;
  strides: [number, number];
  dilations: [number, number];
  pads: [number, number, number, number];
  autoPad: string;
  bias: boolean;
  seed: number;
}

function convModel(c: ConvCase) {
  const co = c.cog * c.group;
  const inits: Record<string, Tensor> = {
    w: float32([co, c.cig, c.kh, c.kw], randn(co * c.cig * c.kh * c.kw, c.seed)),
  };
  if (c.bias) inits.b = float32([co], randn(co, c.seed + 5));
  const attrs: Record<string, number | number[] | string> = {
    group: c.group,
    kernel_shape: [c.kh, c.kw],
    strides: c.strides,
    dilations: c.autoPad ? [1, 1] : c.dilations, // onnxruntime: no dilation with SAME_*
  };
  if (c.autoPad) attrs.auto_pad = c.autoPad;
  else attrs.pads = c.pads;
  return buildModel({
    inputs: [{ name: 'x', dims: [1, c.cig * c.group, H, W] }],
    outputs: ['y'],
    nodes: [{ op: 'Conv', name: 'c', inputs: c.bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['y'], attrs }],
    initializers: inits,
  });
}

const input = (c: ConvCase, seed: number) =>
  float32([1, c.cig * c.group, H, W], randn(c.cig * c.group * H * W, seed));

const settings = (
  method: 'separable' | 'stacked',
  spec: FactorizeSettings['spec'],
  dataAware: boolean,
): FactorizeSettings => ({ spec, method, dataAware, from: 'spec:1', force: true });

/** The model's outputs on xs, factorized by `s` (samples: the calibration inputs when data-aware). */
async function factorized(c: ConvCase, s: FactorizeSettings, samples: Tensor[], xs: Tensor[]) {
  const model = convModel(c);
  const [o] = await factorizeModel(
    model,
    [{ layer: 'c', settings: s }],
    s.dataAware ? samples.map((x) => ({ x })) : undefined,
  );
  expect(o!.outcome.kind).toBe('done');
  const bytes = bytesOf(model);
  const ys: Float32Array[] = [];
  for (const x of xs) ys.push((await ortRun(bytes, { x })).y!);
  return { model, ys };
}

const separableCase = fc.record({
  group: fc.integer({ min: 1, max: 2 }),
  cog: fc.integer({ min: 1, max: 5 }),
  cig: fc.integer({ min: 2, max: 4 }),
  kh: fc.integer({ min: 1, max: 3 }),
  kw: fc.integer({ min: 2, max: 3 }),
  strides: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  dilations: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
  autoPad: fc.constantFrom('', 'SAME_UPPER'),
  bias: fc.boolean(),
  seed: fc.nat(),
});

const stackedCase = fc.record({
  group: fc.integer({ min: 1, max: 2 }),
  cog: fc.integer({ min: 1, max: 3 }),
  cig: fc.integer({ min: 1, max: 3 }),
  kh: fc.constantFrom(5, 7),
  kw: fc.constant(0),
  strides: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  dilations: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  pads: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
  autoPad: fc.constant(''),
  bias: fc.boolean(),
  seed: fc.nat(),
});

/** 7×7 at dilation 2 does not fit a 9×8 input without padding: pad enough. */
function fitInput(c: ConvCase): ConvCase {
  const kw = c.kw || c.kh;
  const need = (k: number, d: number, size: number) => Math.max(0, d * (k - 1) + 1 - size);
  const ph = need(c.kh, c.dilations[0], H);
  const pw = need(kw, c.dilations[1], W);
  return { ...c, kw, pads: [c.pads[0] + ph, c.pads[1] + pw, c.pads[2], c.pads[3]] };
}

describe('factorize method separable / stacked', () => {
  for (const method of ['separable', 'stacked'] as const) {
    it(`${method}: full rank computes the original conv in onnxruntime (plain and fitted on data)`, async () => {
      await fc.assert(
        fc.asyncProperty(
          method === 'separable' ? separableCase : stackedCase,
          fc.boolean(),
          async (raw, aware) => {
            const c = fitInput(raw);
            const x = input(c, c.seed + 1);
            const ref = (await ortRun(bytesOf(convModel(c)), { x })).y!;
            const samples = [0, 1, 2].map((i) => input(c, c.seed + 9 + i));
            const { model, ys } = await factorized(
              c,
              settings(method, { kind: 'percent', p: 100 }, aware),
              samples,
              [x],
            );
            const convs = model.graph.nodes.filter((n) => n.opType === 'Conv');
            expect(convs.length).toBe(method === 'separable' ? 2 : (c.kh - 1) / 2);
            if (method === 'separable') expect(convs[0]!.attrs.group).toBe(c.cig * c.group);
            const tol = 1e-4 * range(ref) * Math.sqrt(c.cig * c.kh * c.kw);
            expect(maxAbsDiff(ref, ys[0]!)).toBeLessThanOrEqual(tol);
          },
        ),
        { numRuns: 25 },
      );
    }, 120_000);

    it(`${method}: below full rank, fitted on the calibration samples, their output error is at most plain's`, async () => {
      await fc.assert(
        fc.asyncProperty(method === 'separable' ? separableCase : stackedCase, async (raw) => {
          const c = fitInput({ ...raw, cog: raw.cog + 2, autoPad: '' });
          const samples = [0, 1].map((i) => input(c, c.seed + 20 + i));
          const model = convModel(c);
          const refs: Float32Array[] = [];
          for (const x of samples) refs.push((await ortRun(bytesOf(model), { x })).y!);
          const spec = { kind: 'rank', n: 1 } as const;
          const plain = await factorized(c, settings(method, spec, false), samples, samples);
          const aware = await factorized(c, settings(method, spec, true), samples, samples);
          const err = (ys: Float32Array[]) =>
            ys.reduce((s, y, i) => s + y.reduce((a, v, j) => a + (v - refs[i]![j]!) ** 2, 0), 0);
          const [ep, ea] = [err(plain.ys), err(aware.ys)];
          expect(ea).toBeLessThanOrEqual(ep * (1 + 1e-3) + 1e-6);
        }),
        { numRuns: 15 },
      );
    }, 120_000);
  }

  it('energy 100% keeps the whole spectrum: exact in onnxruntime for both methods, and energy 50% is smaller', async () => {
    for (const method of ['separable', 'stacked'] as const) {
      const c = fitInput({
        group: 1,
        cog: 4,
        cig: 3,
        kh: method === 'separable' ? 3 : 5,
        kw: method === 'separable' ? 3 : 0,
        strides: [1, 1],
        dilations: [1, 1],
        pads: [1, 1, 1, 1],
        autoPad: '',
        bias: true,
        seed: 11,
      });
      const x = input(c, 12);
      const ref = (await ortRun(bytesOf(convModel(c)), { x })).y!;
      const all = await factorized(c, settings(method, { kind: 'energy', p: 100 }, false), [], [x]);
      expect(maxAbsDiff(ref, all.ys[0]!)).toBeLessThanOrEqual(1e-4 * range(ref) * Math.sqrt(c.cig * 25));
      const half = await factorized(c, settings(method, { kind: 'energy', p: 50 }, false), [], [x]);
      const params = (m: typeof half.model) =>
        m.graph.nodes.reduce((s, n) => s + (m.graph.constant(n.inputs[1] ?? '')?.data.length ?? 0), 0);
      expect(params(half.model), method).toBeLessThan(params(all.model));
    }
  });

  it('the weight error falls as the rank grows, to zero at full rank', () => {
    const sep = [1, 2, 3, 4, 6, 9].map((r) => separableDecompose(randn(8 * 4 * 9, 3), [8, 4, 3, 3], r).errSq);
    const stk = [1, 2, 4, 8, 45].map((m) => stackedDecompose(randn(6 * 5 * 25, 4), [6, 5, 5, 5], m).errSq);
    for (const errs of [sep, stk]) {
      for (let i = 1; i < errs.length; i++) expect(errs[i]!).toBeLessThanOrEqual(errs[i - 1]! * (1 + 1e-9));
      expect(errs[errs.length - 1]! / errs[0]!).toBeLessThan(1e-12);
    }
  });

  it('PP-OCR cls: stacked 5×5 depthwise and a separable stem compile from a recipe, run and shrink', async () => {
    const warnings: string[] = [];
    const r = await compileCls(
      `${clsHeader(4)}factorize conv where kernel == 5x5 { method stacked  rank 1 }\nfactorize conv where kernel == 3x3 and not depthwise { method separable  rank 2 }\n`,
      { warn: (w) => warnings.push(w) },
    );
    // 8 depthwise 5×5 and the stem: the two strided 5×5 are skipped (their first 3×3 would run at
    // the input's resolution: more MACs per output pixel), the other 7 gain one conv each
    const added = r.report.layers.filter((l) => l.part_of);
    expect(added.length).toBe(7);
    expect(
      warnings.some((w) =>
        /stacked at rank … would not reduce params or FLOPs \(p2o\.Conv\.13, p2o\.Conv\.38\)/.test(w),
      ),
    ).toBe(true);
    const g = readModel(r.model).graph;
    const convs = (x: typeof g) => x.nodes.filter((n) => n.opType === 'Conv').length;
    expect(convs(g)).toBe(convs(readModel(clsBytes()).graph) + 7);
    expect(r.report.after.params).toBeLessThan(r.report.before.params);
    const { share, count } = await agreementWithOriginal(r.model);
    console.log(
      `cls stacked 5×5 rank 1 + separable stem rank 2: top-1 agreement ${(share * 100).toFixed(1)}% of ${count} lines`,
    );
    expect(count).toBeGreaterThan(0);
  }, 180_000);
});
