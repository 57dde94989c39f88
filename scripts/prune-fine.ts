// Measures the fine-grained prune figures of issue 6: cls `prune weights of conv { sparsity 50% }` with
// sparsegpt and l1 (top-1 agreement, lines upright + flipped), det `prune 2:4 of conv where kernel ==
// 1x1` with sparsegpt and l1 (mean text-map IoU on the pages). Usage: npx tsx scripts/prune-fine.ts [cls|det]
import {
  CLS_HEAD,
  clsAgreement,
  clsInputs,
  compileWith,
  DET_HEAD,
  detInputs,
  detIoU,
  outputs,
} from '../specs/prune/ocr.ts';
import { MODELS } from '../specs/support/paths.ts';

const only = process.argv[2];
if (!only || only === 'cls') {
  const xs = await clsInputs();
  const ref = await outputs(MODELS.cls, xs);
  for (const c of ['sparsegpt', 'l1']) {
    const t0 = performance.now();
    const { model } = await compileWith(
      'cls',
      `${CLS_HEAD}prune weights of conv { sparsity 50%  criterion ${c} }\n`,
    );
    const a = await clsAgreement(model, xs, ref);
    console.log(
      `cls weights 50% ${c}: top-1 agreement ${(a * 100).toFixed(2)}% of ${xs.length} lines (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}
if (!only || only === 'det') {
  const xs = await detInputs(4);
  const ref = await outputs(MODELS.det, xs);
  for (const c of ['sparsegpt', 'l1']) {
    const t0 = performance.now();
    const { model } = await compileWith(
      'det',
      `${DET_HEAD}prune 2:4 of conv where kernel == 1x1 { criterion ${c} }\n`,
    );
    const iou = await detIoU(model, xs, ref);
    console.log(
      `det 2:4 1x1 ${c}: mean IoU ${iou.toFixed(4)} on ${xs.length} pages (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}
