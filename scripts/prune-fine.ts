// Measures the fine-grained prune figures of issue 6: cls `prune weights of conv { sparsity 50% }` with
// sparsegpt and l1 (top-1 agreement, lines upright + flipped), det `prune 2:4 of conv where kernel ==
// 1x1` with sparsegpt and l1 (mean text-map IoU on the pages). Usage: npx tsx scripts/prune-fine.ts [cls|det]

import { clsHead, clsInputs, compileWith, DET_HEAD, detInputs, detIoU, outputs } from '../specs/prune/ocr.ts';
import { argmax, fixtures } from '../specs/support/ocr.ts';
import { MODELS } from '../specs/support/paths.ts';

const only = process.argv[2];
if (!only || only === 'cls') {
  const xs = await clsInputs();
  const ref = await outputs(MODELS.cls, xs);
  const names = [...fixtures('lines'), ...fixtures('flipped')].map((e) => e.name);
  // held out: lines 30–47 (upright + flipped) when calibrating on lines 00–29
  const held = names.map((n, i) => (/line[34]\d/.test(n) ? i : -1)).filter((i) => i >= 0);
  const rows: [string, string, string][] = [
    ['sparsegpt', 'all 96 lines', clsHead()],
    ['sparsegpt  reconstruct none', 'all 96 lines', clsHead()],
    ['sparsegpt  scope global', 'all 96 lines', clsHead()],
    ['l1  scope global', '-', clsHead()],
    ['sparsegpt', 'lines 00–29 (60)', clsHead('{lines,flipped}/line[0-2]*.png')],
    ['sparsegpt', '48 random (seed 1)', clsHead(undefined, '\n  samples 48\n  seed 1')],
    ['sparsegpt', '24 upright (as cls-int8)', clsHead('lines/*.png', '\n  samples 24')],
    ['l1', '-', clsHead()],
    ['l1  reconstruct least-squares', 'all 96 lines', clsHead()],
    ['l1', '- (cleanup none: BN not folded first)', `${clsHead()}cleanup none\n`],
  ];
  for (const [c, cal, head] of rows) {
    const t0 = performance.now();
    const { model } = await compileWith(
      'cls',
      `${head}prune weights of conv { sparsity 50%  criterion ${c} }\n`,
    );
    const out = await outputs(model, xs);
    const same = out.map((o, i) => argmax(o)[0] === argmax(ref[i]!)[0]);
    const all = same.filter(Boolean).length;
    const ho = held.filter((i) => same[i]).length;
    console.log(
      `cls weights 50% ${c}, calibrated on ${cal}: top-1 agreement ${((all / xs.length) * 100).toFixed(2)}% (${all}/${xs.length}), on lines 30–47 ${ho}/${held.length} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}
if (!only || only === 'det') {
  const xs = await detInputs(4);
  const ref = await outputs(MODELS.det, xs);
  for (const c of ['sparsegpt', 'l1', 'l1  reconstruct least-squares', 'sparsegpt  reconstruct none']) {
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
