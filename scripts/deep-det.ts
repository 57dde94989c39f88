// Deep Compression on PP-OCRv4 det (issue 9): deep-compression.squish with the 4 fixture pages as
// calibration, compiled to .sqz: bytes (% of the original), mean IoU of the binarized (0.3) text map
// against the original on the 4 pages (onnxruntime-node), the stage totals. Usage:
// npx tsx scripts/deep-det.ts [prune-only] [sparsity …]   (default 40, the recipe’s)

import { compileDeep, detDeepRecipe, sqzToOnnx } from '../specs/pack/deep.ts';
import { detInputs, detIoU, ortRunner, outputs } from '../specs/prune/ocr.ts';
import { MODELS } from '../specs/support/paths.ts';

const args = process.argv.slice(2);
const pruneOnly = args.includes('prune-only'); // without the cluster statement, to separate the two losses
const list = args.filter((a) => a !== 'prune-only').map(Number);
const variant = (text: string) => (pruneOnly ? text.replace(/cluster weights[^}]*\}/, '') : text);
const xs = await detInputs(4);
const ref = await outputs(MODELS.det, xs);
for (const p of list.length ? list : [40]) {
  const t0 = performance.now();
  const r = await compileDeep(MODELS.det, variant(detDeepRecipe(p)), { runner: ortRunner });
  const iou = await detIoU(sqzToOnnx(r.model), xs, ref);
  const t = r.report.pack!.total;
  console.log(
    `det deep-compression${pruneOnly ? ' (prune only)' : ''} sparsity ${p}%: ${r.model.length} bytes of ${r.original.length} = ${((r.model.length / r.original.length) * 100).toFixed(2)}%, mean text-map IoU ${iou.toFixed(4)} on ${xs.length} pages (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  console.log(
    `  weights (${t.params} params in ${r.report.pack!.layers.length} layers, ${t.nonzero} non-zero): dense ${t.dense_bytes} → pruned ${t.pruned_bytes} → clustered ${t.clustered_bytes} → coded ${t.coded_bytes} bytes (${t.bits_per_weight.toFixed(2)} bits/weight); graph ${r.report.pack!.graph_bytes} bytes (${r.report.pack!.graph_coding})`,
  );
}
