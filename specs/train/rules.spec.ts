// Every gradient rule against central finite differences (float64, squish's reference kernels), on
// random shapes and attributes, through onnxruntime-node and squish's runtime alike.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARITHMETIC_OPS, arithmetic, type Case, LINEAR, UNARY_OPS, unary } from './cases.ts';
import { CONV, LAYOUT_CASES, NORM, POOL } from './cases-conv.ts';
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
  for (const op of ARITHMETIC_OPS) property(`${op} with broadcasting`, arithmetic(op), 3);
  for (const op of UNARY_OPS) property(op, unary(op), 2);
  property('MatMul (1-D and batched) and Gemm (transposes, alpha, beta, C broadcast)', LINEAR, 14);
  property('Conv and ConvTranspose (groups, depthwise, stride, dilation, pads, auto_pad)', CONV, 16);
  property('pooling: AveragePool, MaxPool, GlobalAveragePool', POOL, 12);
  for (const [i, c] of LAYOUT_CASES.entries())
    property(`layout, reductions, Gather, Resize, Sum (${i + 1}/${LAYOUT_CASES.length})`, c, 3);
  property('BatchNormalization (stored and batch statistics) and LayerNormalization', NORM, 8);
});
