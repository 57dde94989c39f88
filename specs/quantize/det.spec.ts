// PP-OCRv4 det with int8 weights and int8 activations (static QDQ, mse calibration) on one page:
// compiled with that page as calibration and onnxruntime-node as the fidelity runner, the text map
// (threshold 0.3) overlaps the original's with IoU ≥ 0.9 in onnxruntime-node. The 4-page mean and the
// latency are in bench/quantize-det.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DET_INT8_RECIPE } from '../../bench/quantize-det.ts';
import { compileModel } from '../../compiler/compile.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import { ortRunner } from '../factorize/rec.ts';
import { detInput, fixtures, runOrt, textMapIoU } from '../support/ocr.ts';
import { MODELS, RECIPES } from '../support/paths.ts';

describe('quantize det int8 weights + activations', () => {
  it('one page: text-map IoU ≥ 0.9 against the original (onnxruntime-node)', {
    timeout: 300_000,
  }, async () => {
    const original = readFileSync(MODELS.det);
    const r = await compileModel(original, DET_INT8_RECIPE('mse', 1), {
      recipeFile: join(RECIPES, 'det-int8.squish'),
      host: nodeHost(),
      runner: ortRunner,
    });
    const page = fixtures('pages')[0]!.file;
    const x = await detInput(page);
    const a = Object.values(await runOrt(new Uint8Array(original), { x }))[0]!;
    const b = Object.values(await runOrt(r.model, { x }))[0]!;
    const iou = textMapIoU(a, b, 0.3);
    console.log(
      `det int8 w+a, 1 calibration page: ${((100 * r.model.length) / original.length).toFixed(2)}% of the file, IoU ${iou.toFixed(4)}`,
    );
    expect(iou).toBeGreaterThanOrEqual(0.9);
    expect(r.model.length).toBeLessThan(0.3 * original.length);
  });
});
