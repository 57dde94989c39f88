// PP-OCR cls with `prune weights of conv { sparsity 50%  criterion sparsegpt }`, calibrated on the 96
// fixture lines (upright + flipped), onnxruntime-node as the oracle: top-1 agreement ≥ 95% on those
// lines (l1's figure printed beside it), and exactly half of every conv's weights are zero, the
// first conv and the depthwise ones included.
import { describe, expect, it } from 'vitest';
import { removedCount } from '../../compiler/passes/prune/masks.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { MODELS } from '../support/paths.ts';
import { CLS_HEAD, clsAgreement, clsInputs, compileWith, outputs } from './ocr.ts';

let cache: { xs: Tensor[]; ref: Tensor[] } | undefined;
async function lines() {
  if (!cache) {
    const xs = await clsInputs();
    cache = { xs, ref: await outputs(MODELS.cls, xs) };
  }
  return cache;
}

describe('prune PP-OCR cls weights 50%', () => {
  it('sparsegpt: top-1 agreement ≥ 95% on 96 lines (l1 beside it); exactly 50% zeros in every conv', async () => {
    const { xs, ref } = await lines();
    const recipe = (c: string) => `${CLS_HEAD}prune weights of conv { sparsity 50%  criterion ${c} }\n`;
    const sg = await compileWith('cls', recipe('sparsegpt'));
    const l1 = await compileWith('cls', recipe('l1'));
    const aSg = await clsAgreement(sg.model, xs, ref);
    const aL1 = await clsAgreement(l1.model, xs, ref);
    console.log(
      `cls weights 50%: sparsegpt top-1 agreement ${(aSg * 100).toFixed(2)}%, l1 ${(aL1 * 100).toFixed(2)}% (${xs.length} lines)`,
    );
    expect(aSg).toBeGreaterThanOrEqual(0.95);
    expect(aSg).toBeGreaterThan(aL1);
    const g = importModel(sg.model).graph;
    const convs = g.topoOrder().filter((n) => n.opType === 'Conv');
    expect(convs.length).toBe(53);
    let depthwise = 0;
    for (const n of convs) {
      const w = g.constant(n.inputs[1]!)!.data as Float32Array;
      let zeros = 0;
      for (const x of w) if (x === 0) zeros++;
      expect(zeros, n.name).toBe(removedCount(0.5, w.length));
      if (((n.attrs.group as number | undefined) ?? 1) > 1) depthwise++;
    }
    expect(depthwise).toBeGreaterThan(5);
  }, 120_000);
});
