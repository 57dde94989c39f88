// PP-OCRv4 det with int8 weights (per-channel) and int8 activations (static QDQ, calibrated on the 4
// pages): onnxruntime-node latency of the fp32 original vs the quantized model in the same run (median
// of N, 1 thread, interleaved) and the mean text-map IoU (threshold 0.3) on the 4 pages.
// Run: npx tsx bench/quantize-det.ts   (env: RUNS=N, CALIB=minmax|"percentile 99.99"|entropy|mse|none (weights only), THREADS=n)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../compiler/compile.ts';
import { nodeHost } from '../compiler/io/host.ts';
import '../compiler/passes/lossy.ts';
import type { Tensor } from '../runtime/ir/tensor.ts';
import { detInput, fixtures, textMapIoU } from '../specs/support/ocr.ts';
import { MODELS, RECIPES } from '../specs/support/paths.ts';

const RUNS = Number(process.env.RUNS ?? 9);
const THREADS = Number(process.env.THREADS ?? 1);
const CALIB = process.env.CALIB ?? 'mse';

export const DET_INT8_RECIPE = (calibration: string, samples = 4) => `recipe "ppocr-det-int8"
model {
  input x: float32[1, 3, 640, 640]
}
calibrate {
  images "../fixtures/ocr/pages/*.png"
  samples ${samples}
  resize 640x640
  normalize mean [0.485, 0.456, 0.406] std [0.229, 0.224, 0.225]
  channels bgr
}
quantize weights of conv { bits 8  per-channel  symmetric }
${calibration === 'none' ? '' : `quantize activations { bits 8  calibration ${calibration} }`}
`;

async function main(): Promise<void> {
  const original = readFileSync(MODELS.det);
  const t0 = performance.now();
  const r = await compileModel(original, DET_INT8_RECIPE(CALIB), {
    recipeFile: join(RECIPES, 'det-int8.squish'),
    host: nodeHost(),
    warn: (l) => console.warn(l),
  });
  const compileMs = performance.now() - t0;
  const opts: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: THREADS };
  const sa = await ort.InferenceSession.create(new Uint8Array(original), opts);
  const sb = await ort.InferenceSession.create(r.model, opts);
  const pages = fixtures('pages').map((e) => e.file);
  const xs = await Promise.all(pages.map((f) => detInput(f)));
  const feed = (x: Tensor) => ({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) });
  const out = async (s: ort.InferenceSession, x: Tensor): Promise<Tensor> => {
    const o = (await s.run(feed(x)))[s.outputNames[0]!]!;
    return { dtype: 'float32', dims: [...o.dims], data: o.data as Float32Array };
  };
  const ious: number[] = [];
  for (const x of xs) ious.push(textMapIoU(await out(sa, x), await out(sb, x), 0.3));
  const ta: number[] = [];
  const tb: number[] = [];
  await out(sa, xs[0]!);
  await out(sb, xs[0]!);
  for (let i = 0; i < RUNS; i++) {
    for (const [s, t] of [
      [sa, ta],
      [sb, tb],
    ] as const) {
      const s0 = performance.now();
      await s.run(feed(xs[i % xs.length]!));
      t.push(performance.now() - s0);
    }
  }
  const med = (t: number[]) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
  const mean = ious.reduce((a, b) => a + b, 0) / ious.length;
  console.log(
    `det int8 (calibration ${CALIB}): ${r.model.length}/${original.length} bytes = ${((100 * r.model.length) / original.length).toFixed(2)}%, compile ${(compileMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `text-map IoU@0.3 per page: ${ious.map((v) => v.toFixed(4)).join(', ')}; mean ${mean.toFixed(4)}`,
  );
  console.log(
    `onnxruntime-node ${THREADS} thread(s), median of ${RUNS}: fp32 ${med(ta).toFixed(1)} ms, int8 ${med(tb).toFixed(1)} ms = ${(med(tb) / med(ta)).toFixed(3)}×`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
