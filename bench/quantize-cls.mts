// cls-int8.squish as written (int8 weights + static QDQ activations) through compileModel: size ratio,
// the recipe's targets, top-1 agreement on the 96 fixture lines and onnxruntime-node latency vs fp32.
// Run: npx tsx bench/quantize-cls.mts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../compiler/compile.ts';
import { nodeHost } from '../compiler/io/host.ts';
import '../compiler/passes/lossy.ts';
import { clsInput, fixtures } from '../specs/support/ocr.ts';
import { MODELS, RECIPES } from '../specs/support/paths.ts';

const RECIPE = join(RECIPES, 'cls-int8.squish');
const text = readFileSync(RECIPE, 'utf8');
const original = readFileSync(MODELS.cls);
const r = await compileModel(original, text, { recipeFile: RECIPE, host: nodeHost(), warn: console.warn });
const files = fixtures()
  .filter((e) => e.kind !== 'pages')
  .map((e) => e.file);
const xs = await Promise.all(files.map((f) => clsInput(f)));

async function session(bytes: Uint8Array) {
  return ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
}
async function top1(s: ort.InferenceSession): Promise<number[]> {
  const out: number[] = [];
  for (const x of xs) {
    const res = await s.run({
      [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]),
    });
    const p = res[s.outputNames[0]!]!.data as Float32Array;
    out.push(p[1]! > p[0]! ? 1 : 0);
  }
  return out;
}
async function median(s: ort.InferenceSession, n = 40): Promise<number> {
  const x = xs[0]!;
  const feeds = { [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) };
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(n / 2)]!;
}
const sa = await session(new Uint8Array(original));
const sb = await session(r.model);
const a = await top1(sa);
const b = await top1(sb);
const agree = a.filter((v, i) => v === b[i]).length;
const [ta, tb] = [await median(sa), await median(sb)];
console.log(
  `cls-int8: ${r.model.length}/${original.length} bytes = ${((100 * r.model.length) / original.length).toFixed(2)}%, top-1 agreement ${agree}/${a.length}, targets ${JSON.stringify(r.report.targets)}${r.missed ? ` MISSED: ${r.missed.message}` : ''}`,
);
console.log(
  `latency (onnxruntime-node, 1 thread, median of 40): fp32 ${ta.toFixed(3)} ms, int8 ${tb.toFixed(3)} ms = ${(tb / ta).toFixed(3)}×`,
);
