// deep-compression.squish on PP-OCR cls (issue 9), the fixture lines as calibration (cls-int8.squish's
// calibrate block instead of `random`): the .sqz is ≤ 18% of the original file and the model it holds
// agrees on the top-1 direction of ≥ 90% of the 96 lines (upright + flipped) in onnxruntime-node.
import { describe, expect, it } from 'vitest';
import { CLS_MODEL, clsDeepRecipe, clsLines, clsTop1, compileDeep, sqzToOnnx } from './deep.ts';

describe('deep compression: PP-OCR cls', () => {
  it('.sqz ≤ 18% of the original, top-1 agreement ≥ 90% on the 96 lines', { timeout: 180_000 }, async () => {
    const r = await compileDeep(CLS_MODEL, clsDeepRecipe());
    const xs = await clsLines();
    expect(xs).toHaveLength(96);
    const a = await clsTop1(r.original, xs);
    const b = await clsTop1(sqzToOnnx(r.model), xs);
    const agree = a.filter((v, i) => v === b[i]).length / a.length;
    const ratio = r.model.length / r.original.length;
    const t = r.report.pack!.total;
    console.log(
      `cls deep compression: ${r.model.length} / ${r.original.length} bytes = ${(ratio * 100).toFixed(2)}%, agreement ${(agree * 100).toFixed(2)}% of ${a.length}; ` +
        `weights dense ${t.dense_bytes} → pruned ${t.pruned_bytes} → clustered ${t.clustered_bytes} → coded ${t.coded_bytes} bytes`,
    );
    expect(ratio).toBeLessThanOrEqual(0.18);
    expect(agree).toBeGreaterThanOrEqual(0.9);
    expect(r.report.after.bytes).toBe(r.model.length);
    expect(t.coded_bytes).toBeLessThan(t.clustered_bytes);
    expect(t.clustered_bytes).toBeLessThan(t.pruned_bytes);
    expect(t.pruned_bytes).toBeLessThan(t.dense_bytes);
  });
});
