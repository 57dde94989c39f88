// The trainable view picks weights only from slots a gradient flows through: a Resize's float scales
// (PP-OCR det has three in its neck) are an input of a selected layer but no weight — distilling det
// with the default selection ("every layer with weights") stopped on them before this check.
import { describe, expect, it } from 'vitest';
import { trainingView } from '../../compiler/passes/distill/view.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { buildModel } from '../compiler/graphs.ts';

describe('trainingView', () => {
  it('trains the conv weight and bias, not the Resize scales of a selected Resize', () => {
    const m: Model = buildModel({
      inputs: [{ name: 'x', dims: [1, 2, 4, 4] }],
      outputs: ['y'],
      nodes: [
        { op: 'Conv', name: 'c', inputs: ['x', 'w', 'b'], outputs: ['h'], attrs: { kernel_shape: [1, 1] } },
        { op: 'Resize', name: 'r', inputs: ['h', '', 'scales'], outputs: ['y'], attrs: { mode: 'nearest' } },
      ],
      initializers: {
        w: float32([3, 2, 1, 1], [1, 2, 3, 4, 5, 6]),
        b: float32([3], [0.1, 0.2, 0.3]),
        scales: float32([4], [1, 1, 2, 2]),
      },
    });
    const view = trainingView(
      m,
      new Map([
        ['c', { masked: false }],
        ['r', { masked: false }],
      ]),
    );
    expect(view.trainable.sort()).toEqual(['b', 'w']);
    expect(view.nodes).toEqual(['c', 'r']);
  });
});
