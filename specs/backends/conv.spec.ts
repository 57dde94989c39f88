// Conv kernels (wasm and gpu.js) agree with onnxruntime-node: random grouped / depthwise / strided /
// padded / dilated convolutions, with and without bias.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareWithOrt, KERNEL_SETS, rand, t32 } from './support.ts';

const convCase = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 5 }),
    ocg: fc.integer({ min: 1, max: 5 }),
    depthwise: fc.boolean(),
    h: fc.integer({ min: 1, max: 14 }),
    w: fc.integer({ min: 1, max: 14 }),
    kh: fc.integer({ min: 1, max: 5 }),
    kw: fc.integer({ min: 1, max: 5 }),
    sy: fc.integer({ min: 1, max: 3 }),
    sx: fc.integer({ min: 1, max: 3 }),
    dy: fc.integer({ min: 1, max: 2 }),
    dx: fc.integer({ min: 1, max: 2 }),
    pads: fc.tuple(
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
    ),
    bias: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  })
  .filter((c) => {
    const oh = c.h + c.pads[0] + c.pads[2] - c.dy * (c.kh - 1) - 1;
    const ow = c.w + c.pads[1] + c.pads[3] - c.dx * (c.kw - 1) - 1;
    return oh >= 0 && ow >= 0;
  });

describe.each(KERNEL_SETS)('%s: Conv vs onnxruntime-node', (_, backend) => {
  it('random convolutions agree (rtol 1e-4, atol 1e-5) and run on the backend', async () => {
    await fc.assert(
      fc.asyncProperty(convCase, async (c) => {
        const groups = c.depthwise ? c.cg * c.groups : c.groups;
        const cg = c.depthwise ? 1 : c.cg;
        const ocg = c.depthwise ? 1 : c.ocg;
        const C = cg * groups;
        const OC = ocg * groups;
        const x = t32([c.n, C, c.h, c.w], rand(c.n * C * c.h * c.w, c.seed));
        const W = t32([OC, cg, c.kh, c.kw], rand(OC * cg * c.kh * c.kw, c.seed + 1, 0.5));
        const inits: Record<string, ReturnType<typeof t32>> = { W };
        if (c.bias) inits.B = t32([OC], rand(OC, c.seed + 2));
        const r = await compareWithOrt(
          backend(),
          { x },
          [
            {
              op: 'Conv',
              inputs: c.bias ? ['x', 'W', 'B'] : ['x', 'W'],
              outputs: ['y'],
              attrs: {
                group: groups,
                kernel_shape: [c.kh, c.kw],
                strides: [c.sy, c.sx],
                dilations: [c.dy, c.dx],
                pads: [...c.pads],
              },
            },
          ],
          inits,
        );
        expect(r.accelerated).toBe(1);
        expect(r.excess).toBeLessThanOrEqual(1e-5);
      }),
      { numRuns: 30 },
    );
  });

  it('SAME_UPPER auto_pad, 4 output channels per cell over a row width that is not a multiple of 4', async () => {
    const x = t32([1, 8, 9, 13], rand(8 * 9 * 13, 7));
    const W = t32([12, 8, 3, 3], rand(12 * 8 * 9, 8, 0.5));
    const r = await compareWithOrt(
      backend(),
      { x },
      [
        {
          op: 'Conv',
          inputs: ['x', 'W'],
          outputs: ['y'],
          attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] },
        },
      ],
      { W },
    );
    expect(r.dims).toEqual([1, 12, 5, 7]);
    expect(r.excess).toBeLessThanOrEqual(1e-5);
  });

  it('1×1 conv with input channels unrolled ×4 and a bias', async () => {
    const x = t32([2, 16, 7, 10], rand(2 * 16 * 70, 21));
    const W = t32([8, 16, 1, 1], rand(8 * 16, 22, 0.5));
    const B = t32([8], rand(8, 23));
    const r = await compareWithOrt(
      backend(),
      { x },
      [{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'] }],
      {
        W,
        B,
      },
    );
    expect(r.accelerated).toBe(1);
    expect(r.excess).toBeLessThanOrEqual(1e-5);
  });
});
