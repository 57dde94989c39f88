// `npm run bench:int8`: PP-OCRv4 det with int8 weights and int8 activations (static QDQ, W8A8) in
// squish's own runtime against the fp32 original in the same runtime, interleaved run by run at the
// same thread count; also onnxruntime-node on both models for scale. Calibration: 1 page (the
// calibration method does not change the graph's shape, only its scales).
//
//   npx tsx bench/int8-det.ts [--threads 1] [--runs 7] [--backend webasm]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type Contender,
  interleaved,
  openOther,
  type Timing,
} from '../compiler/cli/commands/bench-timing.ts';
import { compileModel } from '../compiler/compile.ts';
import { nodeHost } from '../compiler/io/host.ts';
import type { BackendName } from '../runtime/backends/backend.ts';
import { createSession } from '../runtime/exec/index.ts';
import { importModel } from '../runtime/onnx/index.ts';
import { ortRunner } from '../specs/factorize/rec.ts';
import { detInput, fixtures } from '../specs/support/ocr.ts';
import { MODELS, RECIPES } from '../specs/support/paths.ts';
import { DET_INT8_RECIPE } from './quantize-det.ts';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '7' },
    backend: { type: 'string', default: 'webasm' },
  },
});
const threads = Number(args.threads);
const cell = (t: Timing) => `${t.median.toFixed(1)} (${t.min.toFixed(1)}–${t.max.toFixed(1)})`;

async function main(): Promise<void> {
  const original = readFileSync(MODELS.det);
  const t0 = performance.now();
  const { model: int8 } = await compileModel(original, DET_INT8_RECIPE('minmax', 1), {
    recipeFile: join(RECIPES, 'det-int8.squish'),
    host: nodeHost(),
    runner: ortRunner,
  });
  console.error(`compiled det W8A8 in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const x = await detInput(fixtures('pages')[0]!.file);
  const feeds = { x };
  const backend = args.backend as BackendName;
  const contenders: Contender[] = [];
  const sessions = [];
  for (const [name, bytes] of [
    ['squish fp32', new Uint8Array(original)],
    ['squish W8A8', int8],
  ] as const) {
    const s = await createSession(importModel(bytes), { backend, threads });
    await s.run(feeds);
    sessions.push(s);
    contenders.push({ name, run: () => s.run(feeds), close: async () => s.dispose() });
  }
  const ortFp32 = await openOther('onnxruntime', MODELS.det, feeds, threads);
  const ortInt8 = await openOther('onnxruntime', int8, feeds, threads);
  contenders.push({ ...ortFp32, name: 'ort-node fp32' }, { ...ortInt8, name: 'ort-node W8A8' });
  const ts = await interleaved(contenders, 2, Number(args.runs));
  const kernels = sessions.map((s) => s.acceleratedNodes).join(' / ');
  for (const c of contenders) await c.close();
  const [sf, si, of, oi] = ts as [Timing, Timing, Timing, Timing];
  console.log(
    `det [1,3,640,640], ${threads} thread(s), backend ${sessions[0]!.backend} (nodes on its own kernels, fp32 / W8A8: ${kernels}), ms median (min–max):`,
  );
  console.log('| squish fp32 | squish W8A8 | W8A8 / fp32 (squish) | ort-node fp32 | ort-node W8A8 |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(
    `| ${cell(sf)} | ${cell(si)} | ${(si.median / sf.median).toFixed(2)} | ${cell(of)} | ${cell(oi)} |`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
