// The training graph's shape: standard ONNX ops only, weights in, loss and gradients out; ops without
// a gradient stop the flow; an op on a trainable path with no rule is one clear error naming it and the path.

import { describe, expect, it } from 'vitest';
import { gradients } from '../../compiler/api.ts';
import { buildTrainingGraph } from '../../compiler/train/graph/training-graph.ts';
import { isUserError } from '../../runtime/errors.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { caseModel } from './cases.ts';

describe('gradients()', () => {
  it('takes model bytes and returns ∂loss/∂w by weight name (sum of Mul(x, w) → x)', async () => {
    const model = caseModel(
      {
        label: 'mul',
        nodes: [{ op: 'Mul', inputs: ['x', 'w'], outputs: ['y'] }],
        operands: { w: { dims: [3] } },
        outputs: ['y'],
      },
      4,
    );
    model.graph.inputs = [{ name: 'x', type: { dtype: 'float32', shape: [2, 3] } }];
    const x = float32([2, 3], [1, 2, 3, 4, 5, 6]);
    const g = await gradients(exportModel(model), { x });
    expect(Object.keys(g)).toEqual(['w']);
    expect([...(g.w!.data as Float32Array)]).toEqual([5, 7, 9]);
  });
});

describe('training graph', () => {
  it('holds standard ops only, takes the weights as inputs and returns the loss and one gradient per weight', () => {
    const model = caseModel(
      {
        label: 'conv net',
        nodes: [
          {
            op: 'Conv',
            inputs: ['x', 'w'],
            outputs: ['c'],
            attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
          },
          { op: 'Relu', inputs: ['c'], outputs: ['r'] },
          { op: 'MaxPool', inputs: ['r'], outputs: ['y'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
        ],
        operands: { x: { dims: [1, 2, 4, 4] }, w: { dims: [3, 2, 3, 3] } },
        outputs: ['y'],
      },
      1,
    );
    const tg = buildTrainingGraph(model, { inputShapes: {}, loss: [{ kind: 'sum' }] });
    const g = tg.model.graph;
    expect(g.nodes.every((n) => n.domain === '')).toBe(true);
    expect(tg.weights.map((w) => w.name).sort()).toEqual(['w', 'x']);
    expect(g.inputs.map((i) => i.name).sort()).toEqual(['w', 'x']);
    expect(new Set(g.outputs.map((o) => o.name))).toEqual(
      new Set([tg.loss, tg.gradients.get('x'), tg.gradients.get('w')]),
    );
    expect(g.outputs.find((o) => o.name === tg.gradients.get('w'))!.type!.shape).toEqual([3, 2, 3, 3]);
  });

  it('lets Shape stop the flow without a rule', () => {
    const model = caseModel(
      {
        label: 'shape',
        nodes: [
          { op: 'Mul', inputs: ['x', 'w'], outputs: ['m'] },
          { op: 'Shape', inputs: ['m'], outputs: ['s'] },
          { op: 'Reshape', inputs: ['m', 's'], outputs: ['y'] },
        ],
        operands: { x: { dims: [2, 3] }, w: { dims: [3] } },
        outputs: ['y'],
      },
      2,
    );
    expect(buildTrainingGraph(model, { inputShapes: {}, loss: [{ kind: 'sum' }] }).gradients.size).toBe(2);
  });

  it('names the op without a rule and the path from the weight to it', () => {
    const model = caseModel(
      {
        label: 'mish',
        nodes: [
          { op: 'Mul', inputs: ['x', 'w'], outputs: ['m'] },
          { op: 'Mish', inputs: ['m'], outputs: ['y'] },
        ],
        operands: { x: { dims: [2, 3] }, w: { dims: [3] } },
        outputs: ['y'],
      },
      3,
    );
    let caught: unknown;
    try {
      buildTrainingGraph(model, { inputShapes: {}, loss: [{ kind: 'sum' }], weights: ['w'] });
    } catch (e) {
      caught = e;
    }
    expect(isUserError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/no gradient rule for op Mish .*weight 'w' → Mul '.*' → Mish/);
  });
});
