// PP-OCRv4 det, non-depthwise 3×3 convs at rank 50% by tucker, channel and spatial: every emitted model
// runs in onnxruntime-node on a fixture page, params and FLOPs fall, and the text map stays close to
// the original's (full figures over every page: scripts/factorize-det.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importModel } from '../../runtime/onnx/import.ts';
import { MODELS } from '../support/paths.ts';
import { compileDet, detRecipe, meanIoU, pageFiles, textMaps } from './det.ts';

describe('factorize PP-OCRv4 det at rank 50%', () => {
  const page = pageFiles().slice(0, 1);
  for (const method of ['tucker', 'channel', 'spatial']) {
    it(`${method}: 6 convs factorized, params and FLOPs fall, the text map overlaps the original's`, async () => {
      const { model, report } = await compileDet(detRecipe(method));
      const layers = report.layers.filter(
        (l) => !l.part_of && l.actions.some((a) => a.startsWith('factorize')),
      );
      expect(layers.length).toBe(6);
      // each added stage is listed as part of its layer
      expect(report.layers.filter((l) => l.part_of).length).toBe(6 * ((method === 'tucker' ? 3 : 2) - 1));
      for (const l of layers) expect(l.error).toBeGreaterThan(0);
      expect(report.after.params).toBeLessThan(report.before.params);
      expect(report.after.flops).toBeLessThan(report.before.flops);
      const chain = method === 'tucker' ? 3 : 2;
      const convs = (b: Uint8Array) => importModel(b).graph.nodes.filter((n) => n.opType === 'Conv').length;
      expect(convs(model)).toBe(convs(readFileSync(MODELS.det)) + 6 * (chain - 1));
      const [a, b] = [await textMaps(MODELS.det, page), await textMaps(model, page)];
      const iou = meanIoU(a.maps, b.maps);
      console.log(`det ${method} rank 50%: text-map IoU ${iou.toFixed(4)} on ${page.length} page`);
      expect(iou).toBeGreaterThanOrEqual(0.3);
    }, 60_000);
  }
});
