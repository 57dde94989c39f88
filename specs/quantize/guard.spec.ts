// The measured guard for low-SNR activations: a candidate whose quantization barely moves the model's
// output joins the quantized values; one that ruins the output stays float; the model is not changed.
import { describe, expect, it } from 'vitest';
import { normalSampler } from '../../compiler/linalg/matrix.ts';
import { insertQdq } from '../../compiler/passes/quantize/activations.ts';
import { MAX_GROWTH, measuredCandidates, type QdqChoice } from '../../compiler/passes/quantize/guard.ts';
import type { ActivationSettings } from '../../compiler/passes/quantize/options.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel } from '../compiler/graphs.ts';

const s: ActivationSettings = { bits: 8, signed: false, method: { kind: 'minmax' }, from: 'spec:1' };
/** A uint8 grid with the given step, zero in the middle. */
const grid = (scale: number): QdqChoice => ({ params: { scale, zeroPoint: 128 }, s });

describe('measured guard for low-SNR activations', () => {
  it('keeps the candidate that barely moves the output, leaves the one that ruins it float', async () => {
    // y = a·1e-3 + b + c: a barely reaches the output, b is the output's bulk
    const model = buildModel({
      inputs: [
        { name: 'x', dims: [1, 64] },
        { name: 'z', dims: [1, 64] },
      ],
      outputs: ['y'],
      initializers: { small: float32([], [1e-3]) },
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { op: 'Relu', inputs: ['z'], outputs: ['b'] },
        { op: 'Abs', inputs: ['x'], outputs: ['c'] },
        { op: 'Mul', inputs: ['a', 'small'], outputs: ['as'] },
        { op: 'Add', inputs: ['as', 'b'], outputs: ['ab'] },
        { op: 'Add', inputs: ['ab', 'c'], outputs: ['y'] },
      ],
    });
    const r = normalSampler(3);
    const samples = [0, 1].map(() => ({
      x: float32(
        [1, 64],
        Array.from({ length: 64 }, () => r()),
      ),
      z: float32(
        [1, 64],
        Array.from({ length: 64 }, () => r()),
      ),
    }));
    const before = model.graph.nodes.length;
    const chosen = new Map([['c', grid(0.02)]]);
    // a step of 0.5 loses most of a and of b alike
    const m = await measuredCandidates(
      model,
      chosen,
      [
        ['a', grid(0.5)],
        ['b', grid(0.5)],
      ],
      samples,
      insertQdq,
    );
    expect(m.accepted).toEqual(['a']);
    expect(m.growth.get('a')!).toBeLessThanOrEqual(MAX_GROWTH);
    expect(m.growth.get('b')!).toBeGreaterThan(2 * MAX_GROWTH);
    expect(model.graph.nodes.length).toBe(before);
  });
});
