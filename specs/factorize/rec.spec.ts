// PP-OCRv4 rec with rec-int4.squish minus its quantize lines (energy 95%, data-aware): the selected
// MatMuls' params fall, the one that would not shrink is skipped with a warning, and the decoded text
// agrees with the original model's on ≥ 95% of the fixture lines (onnxruntime-node runs both).
import { describe, expect, it } from 'vitest';
import { MODELS } from '../support/paths.ts';
import { agreement, compileRec, decodeLines, factorizedLayers, lineFiles, recRecipe } from './rec.ts';

describe('factorize PP-OCRv4 rec (energy 95%, least-squares)', () => {
  it('shrinks the selected MatMuls and keeps ≥ 95% of the decoded lines', async () => {
    const warnings: string[] = [];
    const { model, report } = await compileRec(recRecipe(95, true), (l) => warnings.push(l));
    const layers = factorizedLayers(report);
    expect(layers.map((l) => l.name).sort()).toEqual(['p2o.MatMul.0', 'p2o.MatMul.12', 'p2o.MatMul.24']);
    const sum = (k: 'before' | 'after') => layers.reduce((s, l) => s + l[k], 0);
    expect(sum('after')).toBeLessThan(sum('before'));
    const shrunk = layers.filter((l) => l.after < l.before).map((l) => l.name);
    const kept = layers.filter((l) => l.after === l.before).map((l) => l.name);
    expect(shrunk.length).toBeGreaterThanOrEqual(2);
    for (const k of kept) expect(warnings.some((w) => w.includes(`skipped ${k}`))).toBe(true);
    for (const s of shrunk) expect(report.layers.find((l) => l.name === s)!.error).toBeGreaterThan(0);
    const files = lineFiles();
    const [a, b] = [await decodeLines(MODELS.rec, files), await decodeLines(model, files)];
    const agree = agreement(a, b);
    console.log(`rec energy 95% data-aware: agreement ${(agree * 100).toFixed(1)}% of ${files.length} lines`);
    expect(agree).toBeGreaterThanOrEqual(0.95);
  }, 120_000);
});
