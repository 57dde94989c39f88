// PP-OCRv4 det, non-depthwise 3×3 convs factorized by tucker / channel / spatial at rank 50%:
// params, FLOPs (at 1×3×640×640), mean text-map IoU vs the original over the fixture pages, and
// onnxruntime-node latency (1 intra-op thread, median of REPEAT runs per page after a warm-up).
// Run: npx tsx scripts/factorize-det.ts
import * as ort from 'onnxruntime-node';
import { compileDet, detRecipe, meanIoU, pageFiles, textMaps } from '../specs/factorize/det.ts';
import { detInput } from '../specs/support/ocr.ts';
import { MODELS } from '../specs/support/paths.ts';

const REPEAT = 9;
const files = pageFiles();

async function latency(model: Uint8Array | string): Promise<number> {
  const s = await ort.InferenceSession.create(model as Uint8Array, {
    logSeverityLevel: 3,
    intraOpNumThreads: 1,
  });
  const x = await detInput(files[0]!);
  const feeds = { [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) };
  await s.run(feeds);
  const ms: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    ms.push(performance.now() - t0);
  }
  await s.release();
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}

const ref = await textMaps(MODELS.det, files);
console.log(`pages: ${files.length}; original latency ${(await latency(MODELS.det)).toFixed(1)} ms`);
const runs: [string, boolean][] = [
  ['tucker', false],
  ['channel', false],
  ['spatial', false],
  ['tucker', true],
  ['channel', true],
  ['spatial', true],
];
for (const [method, aware] of runs) {
  const warnings: string[] = [];
  const { model, report, ms } = await compileDet(detRecipe(method, '50%', aware), (l) => warnings.push(l));
  const got = await textMaps(model, files);
  const layers = report.layers.filter((l) => !l.part_of && l.actions.some((a) => a.startsWith('factorize')));
  console.log(
    `${method}${aware ? ' data-aware (calibrated on the 4 pages)' : ''}: params ${report.before.params} → ${report.after.params}, FLOPs ${report.before.flops} → ${report.after.flops}, mean text-map IoU ${meanIoU(ref.maps, got.maps).toFixed(4)}, latency ${(await latency(model)).toFixed(1)} ms (original re-measured ${(await latency(MODELS.det)).toFixed(1)} ms), ${layers.length} layers selected, compile ${(ms / 1000).toFixed(1)} s`,
  );
  for (const w of warnings) console.log(`    warn: ${w}`);
}
