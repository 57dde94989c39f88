// Issue 6 det figures: det-slim.squish without its quantize line (params, FLOPs, mean IoU on the 4
// pages, onnxruntime-node latency original vs pruned), then with `curve` the IoU-vs-sparsity curve
// (5–30%) for l1 and activation, each with and without reconstruct least-squares.
// Usage: npx tsx scripts/prune-det.ts [slim|curve|one SPARSITY CRITERION RECONSTRUCT]
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { compileWith, DET_HEAD, detInputs, detIoU, detSlimRecipe, outputs } from '../specs/prune/ocr.ts';
import { MODELS } from '../specs/support/paths.ts';

const xs = await detInputs(4);
const ref = await outputs(MODELS.det, xs);

async function latency(model: Uint8Array, runs = 10): Promise<number> {
  const s = await ort.InferenceSession.create(model, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  const feed = {
    [s.inputNames[0]!]: new ort.Tensor('float32', xs[0]!.data as Float32Array, [...xs[0]!.dims]),
  };
  for (let i = 0; i < 2; i++) await s.run(feed);
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await s.run(feed);
    t.push(performance.now() - t0);
  }
  await s.release();
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

function recipe(p: number, criterion: string, reconstruct: boolean): string {
  return `${DET_HEAD}prune channels of conv where out_channels >= 32 and not depthwise {
  sparsity ${p}%
  criterion ${criterion}
  round 8
  reconstruct ${reconstruct ? 'least-squares' : 'none'}
}
keep conv[0], conv[-1]
`;
}

const mode = process.argv[2] ?? 'slim';
if (mode === 'slim') {
  const t0 = performance.now();
  const warn: string[] = [];
  const { model, report } = await compileWith('det', detSlimRecipe(), (l) => {
    if (l.includes('cannot prune') || l.startsWith('prune channels')) warn.push(l);
  });
  console.log(warn.join('\n'));
  const iou = await detIoU(model, xs, ref);
  const b = report.before;
  const a = report.after;
  console.log(`det-slim (no quantize): compile ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`params ${b.params} → ${a.params} (${((1 - a.params / b.params) * 100).toFixed(2)}% fewer)`);
  console.log(`flops ${b.flops} → ${a.flops} (${((1 - a.flops / b.flops) * 100).toFixed(2)}% fewer)`);
  console.log(`mean IoU ${iou.toFixed(4)} on ${xs.length} pages`);
  const orig = new Uint8Array(readFileSync(MODELS.det));
  const [lo, lp] = [await latency(orig), await latency(model)];
  const [lo2, lp2] = [await latency(orig), await latency(model)];
  console.log(
    `onnxruntime-node median latency (1 thread, 640×640): original ${lo.toFixed(1)} / ${lo2.toFixed(1)} ms, pruned ${lp.toFixed(1)} / ${lp2.toFixed(1)} ms`,
  );
} else if (mode === 'curve') {
  for (const c of ['l1', 'activation'])
    for (const r of [false, true])
      for (const p of [5, 10, 20, 30]) {
        const { model } = await compileWith('det', recipe(p, c, r));
        console.log(
          `${c} reconstruct ${r ? 'least-squares' : 'none'} sparsity ${p}%: mean IoU ${(await detIoU(model, xs, ref)).toFixed(4)}`,
        );
      }
} else {
  const [p, c, r] = process.argv.slice(3);
  const { model, report } = await compileWith('det', recipe(Number(p), c!, r === 'ls'));
  console.log(
    `${c} ${r} ${p}%: IoU ${(await detIoU(model, xs, ref)).toFixed(4)} params ${report.before.params} → ${report.after.params} flops ${report.before.flops} → ${report.after.flops}`,
  );
}
