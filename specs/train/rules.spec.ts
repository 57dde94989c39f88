// Every gradient rule against central finite differences (float64, squish's reference kernels), on
// random shapes and attributes, through onnxruntime-node and squish's runtime alike.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARITHMETIC, type Case, LINEAR, UNARY } from './cases.ts';
import { CONV, LAYOUT, NORM, POOL } from './cases-conv.ts';
import { checkCase } from './fd.ts';

function property(name: string, cases: fc.Arbitrary<Case>, numRuns: number) {
  it(name, async () => {
    await fc.assert(
      fc.asyncProperty(cases, fc.integer({ min: 1, max: 2 ** 30 }), async (c, seed) => {
        expect(await checkCase(c, seed)).toBe('');
      }),
      { numRuns, endOnFailure: true },
    );
  });
}

describe('gradient rules equal finite differences (onnxruntime-node and squish runtime)', () => {
  property('arithmetic with broadcasting: Add Sub Mul Div Pow Where', ARITHMETIC, 14);
  property('pointwise ops and softmaxes', UNARY, 24);
  property('MatMul (1-D and batched) and Gemm (transposes, alpha, beta, C broadcast)', LINEAR, 14);
  property('Conv and ConvTranspose (groups, depthwise, stride, dilation, pads, auto_pad)', CONV, 16);
  property('pooling: AveragePool, MaxPool, GlobalAveragePool', POOL, 12);
  property('layout: Reshape … Slice, Pad, Gather, Resize, reductions', LAYOUT, 24);
  property('BatchNormalization (stored and batch statistics) and LayerNormalization', NORM, 8);
});
