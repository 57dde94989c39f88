// Issue 6 det figures: det-slim.squish as written (`full`: prune + int8 weights) and without its
// quantize line (`slim`): params, FLOPs, bytes, mean IoU on the 4 pages, onnxruntime-node latency
// original vs result; `curve`: the IoU-vs-sparsity curve (5–30%) for l1 and activation, each with and
// without reconstruct least-squares.
// Usage: npx tsx scripts/prune-det.ts [full|slim|both|curve|one SPARSITY CRITERION RECONSTRUCT]
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { compileWith, DET_HEAD, detInputs, detIoU, detSlimRecipe, outputs } from '../specs/prune/ocr.ts';
import { MODELS } from '../specs/support/paths.ts';

const xs = await detInputs(4);
const ref = await outputs(MODELS.det, xs);

type Opts = ort.InferenceSession.SessionOptions;

/** Interleaved timing (A, B, A, B, …; 1 thread) so load from other processes hits both alike. */
async function race(a: Uint8Array, b: Uint8Array, optsB: Opts = {}, runs = 25) {
  const mk = (m: Uint8Array, o: Opts) =>
    ort.InferenceSession.create(m, { logSeverityLevel: 3, intraOpNumThreads: 1, ...o });
  const [sa, sb] = [await mk(a, {}), await mk(b, optsB)];
  const feed = (s: ort.InferenceSession) => ({
    [s.inputNames[0]!]: new ort.Tensor('float32', xs[0]!.data as Float32Array, [...xs[0]!.dims]),
  });
  const time = async (s: ort.InferenceSession) => {
    const t0 = performance.now();
    await s.run(feed(s));
    return performance.now() - t0;
  };
  for (let i = 0; i < 2; i++) {
    await time(sa);
    await time(sb);
  }
  const ta: number[] = [];
  const tb: number[] = [];
  let wins = 0;
  for (let i = 0; i < runs; i++) {
    const x = i % 2 ? await time(sb) : await time(sa);
    const y = i % 2 ? await time(sa) : await time(sb);
    const [da, db] = i % 2 ? [y, x] : [x, y];
    ta.push(da);
    tb.push(db);
    if (db < da) wins++;
  }
  await sa.release();
  await sb.release();
  const med = (t: number[]) => t.slice().sort((p, q) => p - q)[Math.floor(t.length / 2)]!;
  const f = (v: number) => v.toFixed(1);
  return `original min ${f(Math.min(...ta))} / median ${f(med(ta))} ms, result min ${f(Math.min(...tb))} / median ${f(med(tb))} ms, result faster in ${wins} of ${runs} interleaved pairs`;
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

async function slim(label: string, text: string): Promise<void> {
  const t0 = performance.now();
  const warn: string[] = [];
  const { model, report } = await compileWith('det', text, (l) => {
    if (l.includes('cannot prune') || l.startsWith('prune channels')) warn.push(l);
  });
  if (warn.length) console.log(warn.join('\n'));
  const iou = await detIoU(model, xs, ref);
  const b = report.before;
  const a = report.after;
  const pct = (x: number, y: number) => ((1 - y / x) * 100).toFixed(2);
  console.log(`${label}: compile ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`  params ${b.params} → ${a.params} (${pct(b.params, a.params)}% fewer)`);
  console.log(`  flops ${b.flops} → ${a.flops} (${pct(b.flops, a.flops)}% fewer)`);
  console.log(`  bytes ${b.bytes} → ${model.length} (${pct(b.bytes, model.length)}% smaller)`);
  console.log(`  mean IoU ${iou.toFixed(4)} on ${xs.length} pages`);
  const orig = new Uint8Array(readFileSync(MODELS.det));
  console.log(`  onnxruntime-node latency (1 thread, 640×640): ${await race(orig, model)}`);
  if (text.includes('quantize')) {
    // session.disable_quant_qdq lets onnxruntime constant-fold the weight DequantizeLinear at load
    const fold = { extra: { session: { disable_quant_qdq: '1' } } } as Opts;
    console.log(`  same, result loaded with session.disable_quant_qdq = 1: ${await race(orig, model, fold)}`);
  }
}

const mode = process.argv[2] ?? 'both';
if (mode === 'full' || mode === 'slim' || mode === 'both') {
  if (mode !== 'slim')
    await slim('det-slim.squish as written (prune + quantize weights int8)', detSlimRecipe(true));
  if (mode !== 'full') await slim('det-slim.squish without its quantize line', detSlimRecipe());
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
