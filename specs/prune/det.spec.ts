// PP-OCRv4 det, onnxruntime-node as the oracle: det-slim.squish as written (prune channels + int8
// weights) removes ≥ 10% of params and FLOPs and keeps mean text-map IoU ≥ 0.85 on the fixture pages; `prune 2:4 of
// conv where kernel == 1x1 { criterion sparsegpt }` keeps mean IoU ≥ 0.8 with 2 of every 4 zero.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { MODELS } from '../support/paths.ts';
import { compileWith, DET_HEAD, detInputs, detIoU, detSlimRecipe, outputs } from './ocr.ts';

let cache: { xs: Tensor[]; ref: Tensor[] } | undefined;
async function pages() {
  if (!cache) {
    const xs = await detInputs(4);
    cache = { xs, ref: await outputs(MODELS.det, xs) };
  }
  return cache;
}

describe('prune PP-OCRv4 det', () => {
  it('det-slim as written: params and FLOPs −10% or more, int8 weights, mean IoU ≥ 0.85', async () => {
    const { xs, ref } = await pages();
    const { model, report } = await compileWith('det', detSlimRecipe(true));
    const iou = await detIoU(model, xs, ref);
    const dp = 1 - report.after.params / report.before.params;
    const df = 1 - report.after.flops / report.before.flops;
    console.log(
      `det-slim: params −${(dp * 100).toFixed(2)}%, FLOPs −${(df * 100).toFixed(2)}%, bytes ${report.before.bytes} → ${model.length}, mean IoU ${iou.toFixed(4)}`,
    );
    expect(model.length).toBeLessThan(report.before.bytes / 3);
    expect(dp).toBeGreaterThanOrEqual(0.1);
    expect(df).toBeGreaterThanOrEqual(0.1);
    expect(iou).toBeGreaterThanOrEqual(0.85);
    // keep conv[0], conv[-1]: their weights keep their shapes (BN folding may add a bias)
    const orig = importModel(readFileSync(MODELS.det)).graph;
    const out = importModel(model).graph;
    expect(out.nodes.filter((n) => n.opType === 'DequantizeLinear').length).toBeGreaterThan(40);
    const convs = (g: typeof orig) => g.topoOrder().filter((n) => n.opType === 'Conv');
    for (const i of [0, -1]) {
      const a = convs(orig).at(i)!;
      const b = convs(out).at(i)!;
      expect(out.constant(b.inputs[1]!)!.dims).toEqual(orig.constant(a.inputs[1]!)!.dims);
    }
  }, 180_000);

  it('prune 2:4 of conv where kernel == 1x1 { criterion sparsegpt }: mean IoU ≥ 0.8', async () => {
    const { xs, ref } = await pages();
    const { model } = await compileWith(
      'det',
      `${DET_HEAD}prune 2:4 of conv where kernel == 1x1 { criterion sparsegpt }\n`,
    );
    const iou = await detIoU(model, xs, ref);
    console.log(`det 2:4 sparsegpt: mean IoU ${iou.toFixed(4)}`);
    expect(iou).toBeGreaterThanOrEqual(0.8);
    const m = importModel(model);
    let groups = 0;
    for (const n of m.graph.nodes) {
      if (n.opType !== 'Conv' || (n.attrs.group !== 1 && n.attrs.group !== undefined)) continue;
      const w = m.graph.constant(n.inputs[1]!)!;
      const [co, ci, kh, kw] = w.dims as number[];
      if (kh !== 1 || kw !== 1 || ci! % 4 !== 0) continue;
      const d = w.data as Float32Array;
      for (let o = 0; o < co!; o++)
        for (let c0 = 0; c0 < ci!; c0 += 4) {
          let nz = 0;
          for (let j = 0; j < 4; j++) if (d[o * ci! + c0 + j] !== 0) nz++;
          expect(nz).toBeLessThanOrEqual(2);
          groups++;
        }
    }
    expect(groups).toBeGreaterThan(1000);
  }, 180_000);
});
