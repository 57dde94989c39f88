// examples/mnist: both LeNets build as ONNX that onnxruntime runs, and a few training steps on the
// `mnist` package's digits lower the loss (the full runs are the example script's job).

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type OrtLike, ortRunner, train } from '../../compiler/index.ts';
import { loadMnist, randomAffine } from '../../examples/mnist/data.ts';
import { buildLeNet, LENETS } from '../../examples/mnist/lenet.ts';
import { exportModel } from '../../runtime/onnx/export.ts';

describe('examples/mnist', () => {
  const { train: digits, test } = loadMnist();

  it('splits the package’s 10,000 digits 80/20 with no test digit in training', () => {
    expect(digits.size + test.size).toBe(10000);
    expect(test.size).toBe(2000);
  });

  for (const kind of LENETS)
    it(`${kind}: onnxruntime runs it; 30 steps of training lower the loss`, async () => {
      const model = buildLeNet(kind, 1);
      const params = [...model.graph.initializers.values()].reduce((s, t) => s + t.data.length, 0);
      expect(params).toBe(kind === 'lenet-5' ? 431080 : 266610);
      const s = await ort.InferenceSession.create(exportModel(model));
      const out = await s.run({
        image: new ort.Tensor('float32', new Float32Array(2 * 784), [2, 1, 28, 28]),
      });
      expect(out.logits!.dims).toEqual([2, 10]);
      await s.release();
      const { history } = await train(model, {
        data: digits,
        loss: { kind: 'cross-entropy', target: 'label' },
        steps: 30,
        batch: 32,
        optimizer: { kind: 'adamw', lr: 2e-3 },
        augment: randomAffine(),
        runner: ortRunner(ort as unknown as OrtLike),
      });
      const mean = (a: number[]) => a.reduce((p, v) => p + v, 0) / a.length;
      expect(mean(history.loss.slice(-5))).toBeLessThan(mean(history.loss.slice(0, 5)) * 0.7);
    });
});
