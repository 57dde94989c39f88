// rec-int4.squish without its factorize lines (8-bit per-channel convs, 4-bit group-32 GPTQ
// MatMuls) through compileModel: file size and decoded-text agreement with the original on the 48
// fixture lines (onnxruntime-node runs both). Agreement compares the decoded text with spaces
// aside: the fp32 model's own space decisions between CJK and digits sit at the argmax boundary
// (it reads its manifest text only spaces aside, specs/support/ocr.spec.ts), and any 4-bit model
// flips some of them; the exact figure is printed beside it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../../compiler/passes/lossy.ts';
import { compileRec, decodeLines, REC_RECIPE } from '../factorize/rec.ts';
import { fixtures } from '../support/ocr.ts';
import { MODELS } from '../support/paths.ts';

/** The shared recipe minus its `factorize … { … }` statement. */
function withoutFactorize(): string {
  const text = readFileSync(REC_RECIPE, 'utf8').replace(/^factorize[^{\n]*\{[^}]*\}\s*$/m, '');
  if (/^\s*factorize\b/m.test(text)) throw new Error('a factorize statement is left');
  return text;
}

describe('quantize PP-OCRv4 rec: rec-int4.squish without factorize', () => {
  it('≤ 24% of the original; decoded text agrees on ≥ 98% of the 48 lines', {
    timeout: 300_000,
  }, async () => {
    const warnings: string[] = [];
    const r = await compileRec(withoutFactorize(), (l) => warnings.push(l));
    const originalBytes = readFileSync(MODELS.rec).length;
    const files = fixtures('lines').map((e) => e.file);
    const a = await decodeLines(MODELS.rec, files);
    const b = await decodeLines(r.model, files);
    const strip = (s: string) => s.replace(/\s+/g, '');
    const same = a.filter((t, i) => strip(t) === strip(b[i]!)).length;
    const exact = a.filter((t, i) => t === b[i]).length;
    const ratio = r.model.length / originalBytes;
    console.log(
      `rec int4 MatMuls (GPTQ) + int8 convs: ${r.model.length} / ${originalBytes} bytes = ${(ratio * 100).toFixed(2)}%, ` +
        `text agreement ${same}/${files.length} spaces aside (${exact}/${files.length} exact), compile ${(r.ms / 1000).toFixed(1)} s`,
    );
    for (const [i, t] of a.entries()) if (strip(t) !== strip(b[i]!)) console.log(`  differs: ${t} → ${b[i]}`);
    expect(warnings.join('\n')).toMatch(/bias correction applied/);
    expect(ratio).toBeLessThanOrEqual(0.24);
    expect(same / files.length).toBeGreaterThanOrEqual(0.98);
  });
});
