// reconstruct least-squares: channels that are constant on the calibration data (weights 0, bias c
// → Relu → c) are the ones l1 removes; refitting the 1×1 consumer on [x; 1] moves their contribution
// into its bias, so the output is unchanged (onnxruntime-node), while without the refit it moves.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { buildModel, bytesOf, maxAbsDiff, ortRun } from '../compiler/graphs.ts';

function net(seed: number, dead: number[], level: number): Uint8Array {
  const r = normalSampler(seed);
  const w1 = Float32Array.from({ length: 6 * 27 }, () => r() * 0.5);
  const b1 = Float32Array.from({ length: 6 }, () => r() * 0.1);
  for (const d of dead) {
    w1.fill(0, d * 27, (d + 1) * 27);
    b1[d] = level;
  }
  return bytesOf(
    buildModel({
      inputs: [{ name: 'x', dims: [1, 3, 6, 6] }],
      outputs: ['y'],
      nodes: [
        {
          op: 'Conv',
          name: 'c1',
          inputs: ['x', 'w1', 'b1'],
          outputs: ['h'],
          attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        },
        { op: 'Relu', name: 'r', inputs: ['h'], outputs: ['a'] },
        { op: 'Conv', name: 'c2', inputs: ['a', 'w2'], outputs: ['y'], attrs: { kernel_shape: [1, 1] } },
      ],
      initializers: {
        w1: float32([6, 3, 3, 3], w1),
        b1: float32([6], b1),
        w2: float32(
          [4, 6, 1, 1],
          Float32Array.from({ length: 24 }, () => r()),
        ),
      },
    }),
  );
}

const HEAD = 'model {\n  input x: float32[1, 3, 6, 6]\n}\ncalibrate {\n  random\n  samples 4\n}\n';

describe('prune channels { reconstruct least-squares }', () => {
  it('refitting the consumer absorbs removed constant channels (exact), without it the output moves', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 2, maxLength: 2 }),
        fc.double({ min: 0.3, max: 2, noNaN: true }),
        async (seed, dead, level) => {
          const src = net(seed, dead, level);
          const x = float32([1, 3, 6, 6], Float32Array.from({ length: 108 }, normalSampler(seed + 1)));
          const ref = (await ortRun(src, { x })).y!;
          const scale = Math.max(1, ...Array.from(ref, Math.abs));
          for (const rec of ['least-squares', 'none']) {
            const r = await compileModel(
              src,
              `${HEAD}prune channels of conv[0] { sparsity 34%  criterion l1  reconstruct ${rec} }\n`,
              { recipeFile: 'spec.squish' },
            );
            const g = importModel(r.model).graph;
            expect(g.constant(g.nodes.find((n) => n.name === 'c2')!.inputs[1]!)!.dims).toEqual([4, 4, 1, 1]);
            const d = maxAbsDiff(ref, (await ortRun(r.model, { x })).y!);
            if (rec === 'none') expect(d).toBeGreaterThan(1e-3 * scale);
            else expect(d).toBeLessThanOrEqual(2e-3 * scale);
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
