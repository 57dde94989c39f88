// Property: the im2col reader gives, at every output position, the patch whose dot product with the
// weight is the Conv's output there (onnxruntime-node), for groups, strides, dilations, asymmetric
// pads and every auto_pad; both orders hold the same values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convGeometry, PatchReader } from '../../compiler/linalg/patches.ts';
import { Node } from '../../runtime/ir/node.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel, bytesOf, floats, ortRun } from '../compiler/graphs.ts';

const vals = (n: number) => floats(n);

describe('PatchReader', () => {
  it('patch · weight = Conv output at each position (pads, auto_pad, strides, dilations, groups)', async () => {
    const arb = fc
      .record({
        group: fc.constantFrom(1, 2),
        cinPer: fc.integer({ min: 1, max: 2 }),
        coutPer: fc.integer({ min: 1, max: 2 }),
        kh: fc.integer({ min: 1, max: 3 }),
        kw: fc.integer({ min: 1, max: 3 }),
        stride: fc.integer({ min: 1, max: 2 }),
        dilation: fc.integer({ min: 1, max: 2 }),
        pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
        autoPad: fc.constantFrom('NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
        h: fc.integer({ min: 5, max: 7 }),
        w: fc.integer({ min: 5, max: 7 }),
      })
      .chain((s) =>
        fc.record({
          s: fc.constant(s),
          wt: vals(s.group * s.coutPer * s.cinPer * s.kh * s.kw),
          x: vals(s.group * s.cinPer * s.h * s.w),
        }),
      );
    await fc.assert(
      fc.asyncProperty(arb, async ({ s, wt, x }) => {
        const cin = s.group * s.cinPer;
        const cout = s.group * s.coutPer;
        const attrs = {
          group: s.group,
          strides: [s.stride, s.stride],
          // onnxruntime rejects dilation under SAME_* padding
          dilations: s.autoPad.startsWith('SAME') ? [1, 1] : [s.dilation, s.dilation],
          ...(s.autoPad === 'NOTSET' ? { pads: s.pads } : { auto_pad: s.autoPad }),
        };
        const wdims = [cout, s.cinPer, s.kh, s.kw];
        const model = buildModel({
          inputs: [{ name: 'x', dims: [1, cin, s.h, s.w] }],
          outputs: ['y'],
          initializers: { w: float32(wdims, wt) },
          nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs }],
        });
        const y = (await ortRun(bytesOf(model), { x: float32([1, cin, s.h, s.w], x) })).y!;
        const geo = convGeometry(new Node({ op: 'Conv', attrs }), wdims);
        const cyx = new PatchReader([1, cin, s.h, s.w], geo, 'cyx');
        const yxc = new PatchReader([1, cin, s.h, s.w], geo, 'yxc');
        expect(cout * cyx.positions).toBe(y.length);
        const xd = Float32Array.from(x);
        const p = new Float64Array(cyx.size);
        const q = new Float64Array(cyx.size);
        for (let o = 0; o < cout; o++) {
          const g = Math.floor(o / s.coutPer);
          for (let pos = 0; pos < cyx.positions; pos++) {
            cyx.read(xd, 0, g, pos, p);
            yxc.read(xd, 0, g, pos, q);
            let dot = 0;
            for (let i = 0; i < p.length; i++) dot += p[i]! * wt[o * p.length + i]!;
            expect(Math.abs(dot - y[o * cyx.positions + pos]!)).toBeLessThanOrEqual(1e-4);
            // same values, other order (−0 and 0 alike)
            const bag = (v: Float64Array) => [...v].map((t) => t + 0).sort((a, b) => a - b);
            expect(bag(q)).toEqual(bag(p));
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
