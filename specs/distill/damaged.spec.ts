// A short distillation on transfer data raises the agreement of a deliberately damaged cls: 50% of
// every larger conv's weights pruned by magnitude, then `distill` (teacher original, kl) on 32 augmented
// lines of fixtures/ocr-transfer. Top-1 agreement with the original is measured on the 96 lines of
// fixtures/ocr (upright + flipped), which training never sees, against the same recipe without
// distill; the report's training section records agreement on its held-back lines before and after.

import { describe, expect, it } from 'vitest';
import { DEFAULT_HOLDOUT, heldApartCount } from '../../compiler/data/split.ts';
import { agreementWithOriginal, clsHeader, compileCls } from './support.ts';

const AUGMENT = 'augment { crop 0.9..1  rotate 2  jitter 0.1  noise 0.02 }';
const DAMAGE = 'prune weights of conv where params > 1k { sparsity 50% }';
const DISTILL =
  'distill { teacher original  loss kl  temperature 2  steps 20  batch 8  lr 1e-3  holdout 25%  seed 1 }';

describe('distill repairs a damaged cls', () => {
  it('raises top-1 agreement on the 96 fixture lines it never saw', { timeout: 600_000 }, async () => {
    const damaged = await compileCls(`${clsHeader(48, AUGMENT)}\n${DAMAGE}\n`);
    const repaired = await compileCls(`${clsHeader(48, AUGMENT)}\n${DAMAGE}\n${DISTILL}\n`);
    const before = await agreementWithOriginal(damaged.model);
    const after = await agreementWithOriginal(repaired.model);
    const t = repaired.report.training!;
    console.log(
      `damaged cls: agreement on ${before.count} fixture lines ${(before.share * 100).toFixed(1)}% → ${(after.share * 100).toFixed(1)}% after ${t.steps} steps (${t.time_ms} ms); held-back top-1 (${t.agreement.samples} lines) ${t.agreement.before.top1} → ${t.agreement.after.top1}`,
    );
    expect(before.count).toBe(96);
    expect(after.share).toBeGreaterThan(before.share);
    expect(t.agreement.measured_on).toBe('held-back');
    // distill's holdout 25% of what training sees: the 48 samples minus those held apart for fidelity
    expect(t.agreement.samples).toBe(Math.round((48 - heldApartCount(48, DEFAULT_HOLDOUT)) * 0.25));
    expect(t.agreement.after.cosine_mean).toBeGreaterThan(t.agreement.before.cosine_mean);
  });
});
