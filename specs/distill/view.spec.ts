// The trainable view picks weights only from slots a gradient flows through: a Resize's float scales
// (PP-OCR det has three in its neck) are an input of a selected layer but no weight — distilling det
// with the default selection ("every layer with weights") stopped on them before this check.
// tinyWeights warns where AdamW's lr is larger than a trained weight itself: distilling det-12x at lr
// 2e-4 took the head conv's folded weights (RMS ~1e-4) apart within 4 steps (held-apart cosine 0.81 →
// 0.02); with that conv left out the same 4 steps kept 0.80.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPasses } from '../../compiler/engine/pass.ts';
import { cleanupPasses } from '../../compiler/passes/cleanup.ts';
import type { TrainingSettings } from '../../compiler/passes/distill/options.ts';
import { tinyWeights } from '../../compiler/passes/distill/run.ts';
import { trainingView } from '../../compiler/passes/distill/view.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { float32 } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { buildModel } from '../compiler/graphs.ts';
import { MODELS } from '../support/paths.ts';

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

describe('tinyWeights', () => {
  it("names det's head conv, whose folded weights are smaller than an AdamW lr of 2e-4", async () => {
    const model = importModel(new Uint8Array(readFileSync(MODELS.det)));
    await runPasses(model, cleanupPasses());
    const g = model.graph;
    const convs = g.nodes.filter((n) => n.opType === 'Conv');
    const view = trainingView(model, new Map(convs.map((n) => [n.name, { masked: false }])));
    const head = g.nodes.find((n) => n.name === 'p2o.Conv.61')!.inputs[1]!;
    const settings = (lr: number, kind: 'adamw' | 'sgd' = 'adamw') =>
      ({ optimizer: { kind, lr } }) as unknown as TrainingSettings;
    const line = tinyWeights(view, settings(2e-4));
    console.log(line);
    expect(line).toContain(`p2o.Conv.61 ('${head}', RMS `);
    expect(line).toMatch(/^\d+ trained weights? (is|are) smaller than lr 0\.0002: /);
    // a small enough lr, or SGD (steps scale with the gradient), says nothing
    expect(tinyWeights(view, settings(1e-6))).toBeUndefined();
    expect(tinyWeights(view, settings(2e-4, 'sgd'))).toBeUndefined();
  });
});
