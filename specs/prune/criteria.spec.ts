// Channel criteria through compile(): bn-gamma removes the channels with the smallest |γ|, with
// `cleanup none` (BN still in the graph) and with the default cleanups (γ read before BN is folded);
// l1 weight/kernel/block masks are the same with and without BN folded first; apoz and activation read calibration data (also
// where a ConvTranspose consumes the pruned channels, as in PP-OCR det's head); every result runs in
// onnxruntime-node with the shrunk shapes.
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { buildModel, bytesOf, maxAbsDiff, ortRun } from '../compiler/graphs.ts';

const GAMMA = [0.9, -0.05, 1.3, 0.02, -0.7, 0.4, 0.01, 2.0];

function bnNet(): Uint8Array {
  const r = normalSampler(3);
  const rand = (n: number) => Float32Array.from({ length: n }, () => r() * 0.5);
  return bytesOf(
    buildModel({
      inputs: [{ name: 'x', dims: [1, 3, 6, 6] }],
      outputs: ['y'],
      nodes: [
        {
          op: 'Conv',
          name: 'c1',
          inputs: ['x', 'w1'],
          outputs: ['h'],
          attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        },
        { op: 'BatchNormalization', name: 'bn', inputs: ['h', 'g', 'b', 'm', 'v'], outputs: ['n'] },
        { op: 'Relu', name: 'r', inputs: ['n'], outputs: ['a'] },
        { op: 'Conv', name: 'c2', inputs: ['a', 'w2'], outputs: ['y'], attrs: { kernel_shape: [1, 1] } },
      ],
      initializers: {
        w1: float32([8, 3, 3, 3], rand(216)),
        g: float32([8], GAMMA),
        b: float32([8], rand(8)),
        m: float32([8], rand(8)),
        v: float32(
          [8],
          Float32Array.from({ length: 8 }, (_, i) => 0.5 + i / 8),
        ),
        w2: float32([2, 8, 1, 1], rand(16)),
      },
    }),
  );
}

const HEAD = 'model {\n  input x: float32[1, 3, 6, 6]\n}\ncalibrate {\n  random\n  samples 3\n}\n';
const x = float32([1, 3, 6, 6], Float32Array.from({ length: 108 }, normalSampler(9)));

describe('prune channels criteria', () => {
  it('bn-gamma (cleanup none) keeps the channels with the largest |γ|', async () => {
    const r = await compileModel(
      bnNet(),
      `${HEAD}cleanup none\nprune channels of conv[0] { sparsity 50%  criterion bn-gamma }\n`,
      {
        recipeFile: 'spec.squish',
      },
    );
    const g = importModel(r.model).graph;
    const bn = g.nodes.find((n) => n.opType === 'BatchNormalization')!;
    const kept = Array.from(g.constant(bn.inputs[1]!)!.data as Float32Array);
    const want = GAMMA.map((v, i) => [Math.abs(v), i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 4)
      .map(([, i]) => i)
      .sort((a, b) => a - b)
      .map((i) => Math.fround(GAMMA[i]!));
    expect(kept).toEqual(want);
    expect((await ortRun(r.model, { x })).y!.length).toBe(72);
  });

  it('bn-gamma with the default cleanups (BN folded first) keeps the same channels as with cleanup none', async () => {
    const stmt = 'prune channels of conv[0] { sparsity 50%  criterion bn-gamma }\n';
    const opts = { recipeFile: 'spec.squish' };
    const folded = await compileModel(bnNet(), `${HEAD}${stmt}`, opts);
    const plain = await compileModel(bnNet(), `${HEAD}cleanup none\n${stmt}`, opts);
    const g = importModel(folded.model).graph;
    expect(g.nodes.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    expect(g.constant(g.nodes.find((n) => n.name === 'c2')!.inputs[1]!)!.dims).toEqual([2, 4, 1, 1]);
    const a = (await ortRun(folded.model, { x })).y!;
    const b = (await ortRun(plain.model, { x })).y!;
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-4 * Math.max(1, ...Array.from(b, Math.abs)));
  });

  for (const unit of ['weights', 'kernels', 'blocks 2x3']) {
    it(`prune ${unit} { criterion l1 }: the same mask with the default cleanups (BN folded) as with cleanup none`, async () => {
      const stmt = `prune ${unit} of conv[0] { sparsity 50%  criterion l1 }\n`;
      const opts = { recipeFile: 'spec.squish' };
      const zerosOf = async (recipe: string) => {
        const g = importModel((await compileModel(bnNet(), recipe, opts)).model).graph;
        const w = g.constant(g.nodes.find((n) => n.name === 'c1')!.inputs[1]!)!.data as Float32Array;
        return Array.from(w, (v) => v === 0);
      };
      const folded = await zerosOf(`${HEAD}${stmt}`);
      expect(folded.filter(Boolean).length).toBeGreaterThan(50);
      expect(folded).toEqual(await zerosOf(`${HEAD}cleanup none\n${stmt}`));
    });
  }

  for (const crit of ['apoz', 'activation', 'l2', 'random']) {
    it(`criterion ${crit}: 8 → 4 channels, runs in onnxruntime`, async () => {
      const r = await compileModel(
        bnNet(),
        `${HEAD}prune channels of conv[0] { sparsity 50%  criterion ${crit} }\n`,
        {
          recipeFile: 'spec.squish',
        },
      );
      const g = importModel(r.model).graph;
      expect(g.constant(g.nodes.find((n) => n.name === 'c2')!.inputs[1]!)!.dims).toEqual([2, 4, 1, 1]);
      expect((await ortRun(r.model, { x })).y!.length).toBe(72);
    });
  }

  it('activation with a ConvTranspose consumer removes the channels whose activations are smallest', async () => {
    const r = normalSampler(5);
    // channels 0–3 of c1 have weights 1000× smaller than 4–7, so their activations are the smallest
    const w1 = Float32Array.from({ length: 216 }, (_, i) => r() * (i < 108 ? 1e-3 : 1));
    const model = bytesOf(
      buildModel({
        inputs: [{ name: 'x', dims: [1, 3, 6, 6] }],
        outputs: ['y'],
        nodes: [
          {
            op: 'Conv',
            name: 'c1',
            inputs: ['x', 'w1'],
            outputs: ['h'],
            attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
          },
          { op: 'Relu', name: 'r', inputs: ['h'], outputs: ['a'] },
          {
            op: 'ConvTranspose',
            name: 'ct',
            inputs: ['a', 'wt'],
            outputs: ['y'],
            attrs: { kernel_shape: [2, 2], strides: [2, 2] },
          },
        ],
        initializers: {
          w1: float32([8, 3, 3, 3], w1),
          wt: float32(
            [8, 2, 2, 2],
            Float32Array.from({ length: 64 }, () => r()),
          ),
        },
      }),
    );
    const out = await compileModel(
      model,
      `${HEAD}prune channels of conv[0] { sparsity 50%  criterion activation }\n`,
      {
        recipeFile: 'spec.squish',
      },
    );
    const g = importModel(out.model).graph;
    const c1 = g.constant(g.nodes.find((n) => n.name === 'c1')!.inputs[1]!)!;
    expect(c1.dims).toEqual([4, 3, 3, 3]);
    expect(Array.from(c1.data as Float32Array)).toEqual(Array.from(w1.subarray(108)));
    expect(g.constant(g.nodes.find((n) => n.name === 'ct')!.inputs[1]!)!.dims).toEqual([4, 2, 2, 2]);
    expect((await ortRun(out.model, { x })).y!.length).toBe(2 * 12 * 12);
  });
});
