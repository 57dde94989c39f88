// Lossy-with-bound contracts of the emitted factorizations, onnxruntime-node running the rewritten
// ONNX: rank-r MatMul factors miss W by exactly the discarded spectrum (Eckart–Young, 1e-4 relative);
// data-aware factors never have a larger output error on the calibration data than plain ones at the
// same rank; and the compile-level behaviour (skip with a warning, UserErrors for what is missing).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plan } from '../../compiler/api.ts';
import { compileModel } from '../../compiler/compile.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { truncationError } from '../../compiler/linalg/rank.ts';
import { svd } from '../../compiler/linalg/svd.ts';
import { addGram } from '../../compiler/passes/factorize/activations.ts';
import { factorizeModel } from '../../compiler/passes/factorize/index.ts';
import type { FactorizeSettings } from '../../compiler/passes/factorize/options.ts';
import { addPatchGrams, convGeometry } from '../../compiler/passes/factorize/patches.ts';
import { isUserError } from '../../runtime/errors.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { buildModel, bytesOf, ortRun } from '../compiler/graphs.ts';

const randn = (n: number, seed: number) => {
  const r = normalSampler(seed);
  return Float32Array.from({ length: n }, () => r());
};
const settings = (r: number, dataAware = false): FactorizeSettings => ({
  spec: { kind: 'rank', n: r },
  dataAware,
  from: 'spec:1',
  force: true,
});
const matmul = (n: number, m: number, W: Float32Array, rows: number) =>
  buildModel({
    inputs: [{ name: 'x', dims: [rows, n] }],
    outputs: ['y'],
    nodes: [{ op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['y'] }],
    initializers: { w: float32([n, m], W) },
  });

function diffNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

describe('factorize: rank-r contracts in onnxruntime', () => {
  it('the emitted MatMul pair misses W by sqrt(Σ discarded σ²) (Eckart–Young, 1e-4 relative)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ n: fc.integer({ min: 2, max: 16 }), m: fc.integer({ min: 2, max: 16 }), seed: fc.nat() }),
        fc.integer({ min: 1, max: 15 }),
        async ({ n, m, seed }, rr) => {
          const r = 1 + (rr % (Math.min(n, m) - 1 || 1));
          const W = randn(n * m, seed);
          const model = matmul(n, m, W, n);
          const [o] = await factorizeModel(model, [{ layer: 'mm', settings: settings(r) }]);
          expect(o!.outcome.kind).toBe('done');
          const eye = float32([n, n]);
          for (let i = 0; i < n; i++) (eye.data as Float32Array)[i * n + i] = 1;
          const pq = (await ortRun(bytesOf(model), { x: eye })).y!; // I·P·Q = the product of the factors
          const got = diffNorm(W, pq);
          const want = truncationError(svd({ rows: n, cols: m, data: Float64Array.from(W) }).S, r);
          expect(Math.abs(got - want)).toBeLessThanOrEqual(
            1e-4 * want + 1e-6 * diffNorm(W, new Float32Array(W.length)),
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('data-aware factors have no larger output error on the calibration data than plain ones', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 3, max: 14 }),
          m: fc.integer({ min: 3, max: 14 }),
          seed: fc.nat(),
          rr: fc.nat(),
        }),
        async ({ n, m, seed, rr }) => {
          const r = 1 + (rr % (Math.min(n, m) - 1));
          const W = randn(n * m, seed);
          // correlated activations: a random mixing of a few latent directions plus noise
          const rows = 3 * n;
          const mix = randn(n * n, seed + 7);
          const z = randn(rows * n, seed + 8);
          const xs = new Float32Array(rows * n);
          for (let i = 0; i < rows; i++)
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let k = 0; k < n; k++) s += z[i * n + k]! * mix[k * n + j]! * (k < 2 ? 5 : 0.2);
              xs[i * n + j] = s;
            }
          const x = float32([rows, n], xs);
          const ref = (await ortRun(bytesOf(matmul(n, m, W, rows)), { x })).y!;
          const errOf = async (aware: boolean) => {
            const model = matmul(n, m, W, rows);
            await factorizeModel(model, [{ layer: 'mm', settings: settings(r, aware) }], [{ x }]);
            return diffNorm(ref, (await ortRun(bytesOf(model), { x })).y!);
          };
          const [plain, aware] = [await errOf(false), await errOf(true)];
          expect(aware).toBeLessThanOrEqual(
            plain * (1 + 1e-4) + 1e-4 * diffNorm(ref, new Float32Array(ref.length)),
          );
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('input Grams', () => {
  it("a Gemm's transA input gives the Gram of its columns (= the Gram of the transposed rows)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.nat(), (n, b, seed) => {
        const a = randn(n * b, seed);
        const at = new Float32Array(n * b);
        for (let i = 0; i < n; i++) for (let j = 0; j < b; j++) at[j * n + i] = a[i * b + j]!;
        const g1 = new Float64Array(n * n);
        const g2 = new Float64Array(n * n);
        addGram(g1, n, float32([n, b], a), true);
        addGram(g2, n, float32([b, n], at));
        expect(Array.from(g1)).toEqual(Array.from(g2));
      }),
      { numRuns: 50 },
    );
  });
});

describe('conv patch Grams', () => {
  it('w·G·wᵀ equals Σ y² of the conv in onnxruntime, per group (pads, auto_pad, strides, dilations)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          group: fc.integer({ min: 1, max: 2 }),
          cig: fc.integer({ min: 1, max: 3 }),
          kh: fc.integer({ min: 1, max: 3 }),
          kw: fc.integer({ min: 1, max: 3 }),
          s: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          d: fc.integer({ min: 1, max: 2 }),
          pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
          autoPad: fc.constantFrom('', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
          seed: fc.nat(),
        }),
        async ({ group, cig, kh, kw, s, d, pads, autoPad, seed }) => {
          const ci = cig * group;
          const attrs: Record<string, number | number[] | string> = {
            group,
            kernel_shape: [kh, kw],
            strides: s,
            dilations: autoPad.startsWith('SAME') ? [1, 1] : [d, d],
          };
          if (autoPad) attrs.auto_pad = autoPad;
          else attrs.pads = [...pads];
          const w = randn(group * cig * kh * kw, seed);
          const model = buildModel({
            inputs: [{ name: 'x', dims: [1, ci, 7, 8] }],
            outputs: ['y'],
            nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs }],
            initializers: { w: float32([group, cig, kh, kw], w) },
          });
          const x = float32([1, ci, 7, 8], randn(ci * 56, seed + 1));
          const y = (await ortRun(bytesOf(model), { x })).y!;
          const n = cig * kh * kw;
          const grams = Array.from({ length: group }, () => new Float64Array(n * n));
          addPatchGrams(grams, x, convGeometry(model.graph.nodes[0]!, [group, cig, kh, kw]), 10_000, 1);
          const per = y.length / group;
          for (let gi = 0; gi < group; gi++) {
            let want = 0;
            for (let i = 0; i < per; i++) want += y[gi * per + i]! ** 2;
            const g = grams[gi]!;
            let got = 0;
            for (let i = 0; i < n; i++)
              for (let j = 0; j < n; j++)
                got += w[gi * n + i]! * w[gi * n + j]! * g[Math.max(i, j) * n + Math.min(i, j)]!;
            expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-4 * (1 + want));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('factorize conv data-aware (channel, tucker, spatial)', () => {
  it('has no larger output error on the calibration inputs than plain at the same rank', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          cig: fc.integer({ min: 2, max: 4 }),
          co: fc.integer({ min: 4, max: 8 }),
          group: fc.integer({ min: 1, max: 2 }),
          stride: fc.integer({ min: 1, max: 2 }),
          r: fc.integer({ min: 1, max: 3 }),
          method: fc.constantFrom('channel' as const, 'tucker' as const, 'spatial' as const),
          seed: fc.nat(),
        }),
        async ({ cig, co, group, stride, r, method, seed }) => {
          const ci = cig * group;
          const cout = co * group;
          const mk = () =>
            buildModel({
              inputs: [{ name: 'x', dims: [1, ci, 5, 5] }],
              outputs: ['y'],
              nodes: [
                {
                  op: 'Conv',
                  name: 'c',
                  inputs: ['x', 'w'],
                  outputs: ['y'],
                  attrs: { group, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] },
                },
              ],
              initializers: { w: float32([cout, cig, 3, 3], randn(cout * cig * 9, seed)) },
            });
          // smooth inputs (a low-frequency pattern per channel) so that the patches are correlated
          const samples = [0, 1, 2, 3].map((i) => {
            const z = randn(ci * 2, seed + 11 + i);
            const d = new Float32Array(ci * 25);
            for (let c = 0; c < ci; c++)
              for (let p = 0; p < 25; p++) d[c * 25 + p] = z[2 * c]! + z[2 * c + 1]! * (p % 5) * 0.3;
            return { x: float32([1, ci, 5, 5], d) };
          });
          const run = async (bytes: Uint8Array) => {
            const out: number[] = [];
            for (const f of samples) out.push(...(await ortRun(bytes, f)).y!);
            return out;
          };
          const ref = await run(bytesOf(mk()));
          const errOf = async (dataAware: boolean) => {
            const m = mk();
            const s: FactorizeSettings = { ...settings(r, dataAware), method };
            await factorizeModel(m, [{ layer: 'c', settings: s }], samples);
            return diffNorm(ref, await run(bytesOf(m)));
          };
          const [plain, aware] = [await errOf(false), await errOf(true)];
          expect(aware).toBeLessThanOrEqual(
            plain * (1 + 1e-3) + 1e-4 * diffNorm(ref, new Float32Array(ref.length)),
          );
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('factorize in compile', () => {
  const tiny = (op: 'MatMul' | 'Conv') =>
    bytesOf(
      op === 'MatMul'
        ? matmul(8, 8, randn(64, 1), 2)
        : buildModel({
            inputs: [{ name: 'x', dims: [1, 4, 6, 6] }],
            outputs: ['y'],
            nodes: [
              {
                op: 'Conv',
                name: 'c',
                inputs: ['x', 'w'],
                outputs: ['y'],
                attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
              },
            ],
            initializers: { w: float32([8, 4, 3, 3], randn(288, 2)) },
          }),
    );
  const recipe = (body: string) => `recipe "t"\n${body}\n`;

  it('skips a factorization that would not shrink, with a warning (and in the report) naming the statement, model unchanged', async () => {
    const warnings: string[] = [];
    const r = await compileModel(tiny('MatMul'), recipe('factorize matmul { rank 100% }'), {
      recipeFile: 'r.squish',
      warn: (l) => warnings.push(l),
    });
    expect(
      warnings.some(
        (w) => w.startsWith('r.squish:2: factorize skipped mm') && w.includes('would not reduce'),
      ),
    ).toBe(true);
    expect(importModel(r.model).graph.nodes.map((n) => n.opType)).toEqual(['MatMul']);
    expect(r.report.warnings).toEqual(warnings);
  });

  it('round N rounds the rank up to a multiple of N', async () => {
    const src = bytesOf(matmul(16, 16, randn(256, 4), 2));
    const r = await compileModel(src, recipe('factorize matmul { rank 3  round 4 }'), {
      recipeFile: 'r.squish',
    });
    const w = importModel(r.model).graph.initializers;
    expect([...w.values()].map((t) => t.dims.join('x')).sort()).toEqual(['16x4', '4x16']);
  });

  it('the plan lists the skip among its near-misses (squish plan --explain)', () => {
    const p = plan(tiny('MatMul'), recipe('factorize matmul { rank 100% }'), {
      recipeFile: 'r.squish',
      explain: true,
    });
    const miss = p.near_misses?.find((m) => m.layer === 'mm' && m.statement === 'factorize');
    expect(miss?.from).toBe('r.squish:2');
    expect(miss?.reason).toMatch(/^skipped: rank 8 of 8 would not reduce params or FLOPs/);
    const none = plan(tiny('MatMul'), recipe('factorize matmul { rank 2 }'), {
      recipeFile: 'r.squish',
      explain: true,
    });
    expect(none.near_misses?.some((m) => m.statement === 'factorize')).toBe(false);
  });

  it('factorizes a conv by channel at rank 50%: fewer params, report error set, runs in onnxruntime', async () => {
    const src = tiny('Conv');
    const r = await compileModel(src, recipe('factorize conv { rank 50%  method channel }'), {
      recipeFile: 'r.squish',
    });
    expect(importModel(r.model).graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Conv']);
    expect(r.report.after.params).toBeLessThan(r.report.before.params);
    expect(r.report.layers.find((l) => l.name === 'c')!.error).toBeGreaterThan(0);
    const x = float32([1, 4, 6, 6], randn(144, 3));
    const [a, b] = [(await ortRun(src, { x })).y!, (await ortRun(r.model, { x })).y!];
    expect(a.length).toBe(b.length);
  });

  it('reconstruct least-squares without calibration data is a UserError naming the statement', async () => {
    for (const [bytes, body] of [
      [tiny('Conv'), 'factorize conv { rank 50%  method spatial  reconstruct least-squares }'],
      [tiny('MatMul'), 'factorize matmul { rank 2  reconstruct least-squares }'],
    ] as const) {
      const e = await compileModel(bytes, recipe(body), { recipeFile: 'r.squish' }).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(isUserError(e)).toBe(true);
      expect((e as Error).message).toMatch(
        /r\.squish:2:\d+: error\[SQ322\]: 'reconstruct least-squares' needs calibration data/,
      );
    }
  });
});
