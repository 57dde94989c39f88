// Resize (nearest, integer upscale), GlobalAveragePool and Concat kernels (wasm and gpu.js) vs onnxruntime-node.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareWithOrt, KERNEL_SETS, rand, t32 } from './support.ts';

describe.each(KERNEL_SETS)('%s: Resize and GlobalAveragePool vs onnxruntime-node', (_, backend) => {
  it('nearest / asymmetric / floor upscale by integer factors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (n, c, h, w, sy, sx) => {
          const x = t32([n, c, h, w], rand(n * c * h * w, h * 13 + w));
          const r = await compareWithOrt(
            backend(),
            { x },
            [
              {
                op: 'Resize',
                inputs: ['x', 'roi', 'scales'],
                outputs: ['y'],
                attrs: {
                  mode: 'nearest',
                  coordinate_transformation_mode: 'asymmetric',
                  nearest_mode: 'floor',
                },
              },
            ],
            { roi: t32([0], new Float32Array(0)), scales: t32([4], Float32Array.from([1, 1, sy, sx])) },
          );
          expect(r.accelerated).toBe(1);
          expect(r.dims).toEqual([n, c, h * sy, w * sx]);
          expect(r.excess).toBeLessThanOrEqual(0);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('GlobalAveragePool over small and large planes', async () => {
    for (const dims of [
      [1, 3, 1, 1],
      [2, 5, 7, 9],
      [1, 8, 96, 80],
    ]) {
      const n = dims.reduce((a, b) => a * b, 1);
      const x = t32(dims, rand(n, n));
      const r = await compareWithOrt(
        backend(),
        { x },
        [{ op: 'GlobalAveragePool', inputs: ['x'], outputs: ['y'] }],
        {},
      );
      expect(r.accelerated).toBe(1);
      expect(r.dims).toEqual([dims[0], dims[1], 1, 1]);
      expect(r.excess).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe.each(KERNEL_SETS)('%s: Concat (block copies) vs onnxruntime-node', (_, backend) => {
  it('concatenates along every axis, negative axes included', async () => {
    for (const axis of [0, 1, 2, 3, -1]) {
      const a = t32([2, 3, 4, 5], rand(120, 1));
      const dims = [2, 3, 4, 5];
      dims[(axis + 4) % 4] = 2;
      const b = t32(
        dims,
        rand(
          dims.reduce((p, q) => p * q, 1),
          2,
        ),
      );
      const r = await compareWithOrt(
        backend(),
        { a, b },
        [{ op: 'Concat', inputs: ['a', 'b'], outputs: ['y'], attrs: { axis } }],
        {},
      );
      expect(r.accelerated).toBe(1);
      expect(r.excess).toBeLessThanOrEqual(0);
    }
  });
});
