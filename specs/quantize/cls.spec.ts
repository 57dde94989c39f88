// cls-int8.squish through compileModel: weights only, and as written (int8 weights + static QDQ
// activations): file size and top-1 agreement with the original on all 96 fixture lines (upright +
// flipped) in onnxruntime-node, which fuses the QDQ model into QLinearConv.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import '../../compiler/passes/lossy.ts';
import { clsInput, fixtures } from '../support/ocr.ts';
import { MODELS, RECIPES } from '../support/paths.ts';

const RECIPE = join(RECIPES, 'cls-int8.squish');

async function top1(bytes: Uint8Array | string, files: string[]): Promise<number[]> {
  const s = await ort.InferenceSession.create(bytes as Uint8Array, { logSeverityLevel: 3 });
  const out: number[] = [];
  for (const f of files) {
    const x = await clsInput(f);
    const r = await s.run({
      [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]),
    });
    const p = r[s.outputNames[0]!]!.data as Float32Array;
    out.push(p[1]! > p[0]! ? 1 : 0);
  }
  return out;
}

describe('quantize weights: cls-int8 (weights only)', () => {
  it('is ≤ 35% of the original and agrees on ≥ 98% of the 96 lines', { timeout: 120_000 }, async () => {
    const text = readFileSync(RECIPE, 'utf8')
      .replace(/^quantize activations.*$/m, '')
      .replace(/^target size.*$/m, '');
    const original = readFileSync(MODELS.cls);
    const r = await compileModel(original, text, { recipeFile: RECIPE, host: nodeHost() });
    const ratio = r.model.length / original.length;
    const files = fixtures()
      .filter((e) => e.kind !== 'pages')
      .map((e) => e.file);
    const a = await top1(new Uint8Array(original), files);
    const b = await top1(r.model, files);
    const agree = a.filter((v, i) => v === b[i]).length / a.length;
    console.log(
      `cls int8 weights: ${r.model.length} / ${original.length} bytes = ${(ratio * 100).toFixed(2)}%, agreement ${(agree * 100).toFixed(2)}% of ${a.length}`,
    );
    expect(files.length).toBe(96);
    expect(agree).toBeGreaterThanOrEqual(0.98);
    expect(ratio).toBeLessThanOrEqual(0.35);
  });

  it('as written (activations too): ≤ 35% of the original, agrees on ≥ 98% of the 96 lines, recipe targets met', {
    timeout: 120_000,
  }, async () => {
    const text = readFileSync(RECIPE, 'utf8');
    const original = readFileSync(MODELS.cls);
    const warnings: string[] = [];
    const r = await compileModel(original, text, {
      recipeFile: RECIPE,
      host: nodeHost(),
      warn: (l) => warnings.push(l),
    });
    const files = fixtures()
      .filter((e) => e.kind !== 'pages')
      .map((e) => e.file);
    const a = await top1(new Uint8Array(original), files);
    const b = await top1(r.model, files);
    const agree = a.filter((v, i) => v === b[i]).length / a.length;
    const ratio = r.model.length / original.length;
    console.log(
      `cls int8 weights + activations: ${r.model.length} / ${original.length} bytes = ${(ratio * 100).toFixed(2)}%, agreement ${(agree * 100).toFixed(2)}% of ${a.length}; ${r.missed?.message ?? 'targets met'}`,
    );
    expect(r.model.length).toBeGreaterThan(0);
    expect(agree).toBeGreaterThanOrEqual(0.98);
    expect(r.report.fidelity).toBeDefined();
    // The bound (≤ 35% of the original) and the recipe's own targets (≤ 200KB, agreement ≥ 98%).
    expect(ratio).toBeLessThanOrEqual(0.35);
    expect(r.missed).toBeUndefined();
  });
});
