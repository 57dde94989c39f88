// Shared by the det spec and scripts/factorize-det.ts: PP-OCRv4 det with its non-depthwise 3×3 convs
// factorized by one method at `rank 50%`, and its text maps compared with the original's (onnxruntime-node).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../../compiler/compile.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import type { Report } from '../../compiler/report/types.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { detInput, fixtures, textMapIoU } from '../support/ocr.ts';
import { MODELS, RECIPES } from '../support/paths.ts';
import { ortRunner } from './rec.ts';

/** With dataAware: a calibrate block over the fixture pages and `reconstruct least-squares`. */
export function detRecipe(method: string, rank = '50%', dataAware = false): string {
  const calibrate = [
    'calibrate {',
    '  images "../fixtures/ocr/pages/*.png"',
    '  samples 4',
    '  resize 640x640',
    '  normalize mean [0.485, 0.456, 0.406] std [0.229, 0.224, 0.225]',
    '  channels bgr',
    '}',
  ];
  return [
    `recipe "det-factorize-${method}"`,
    'model {',
    '  input x: float32[1, 3, 640, 640]',
    '}',
    ...(dataAware ? calibrate : []),
    `factorize conv where kernel == 3x3 and not depthwise { rank ${rank}  method ${method}${dataAware ? '  reconstruct least-squares' : ''} }`,
    '',
  ].join('\n');
}

export async function compileDet(
  recipe: string,
  warn?: (l: string) => void,
): Promise<{ model: Uint8Array; report: Report; ms: number }> {
  const t0 = performance.now();
  const r = await compileModel(readFileSync(MODELS.det), recipe, {
    recipeFile: join(RECIPES, 'det-factorize.squish'), // calibrate paths resolve from the recipes folder
    host: nodeHost(),
    runner: ortRunner,
    warn,
  });
  return { model: r.model, report: r.report, ms: performance.now() - t0 };
}

export const pageFiles = (): string[] => fixtures('pages').map((e) => e.file);

/** Text maps (first output) of a det model on pages, and the mean latency of the runs (ms). */
export async function textMaps(
  model: Uint8Array | string,
  files: string[],
  threads = 1,
): Promise<{ maps: Tensor[]; ms: number[] }> {
  const s = await ort.InferenceSession.create(model as Uint8Array, {
    logSeverityLevel: 3,
    intraOpNumThreads: threads,
  });
  try {
    const maps: Tensor[] = [];
    const ms: number[] = [];
    for (const f of files) {
      const x = await detInput(f);
      const feeds = { [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) };
      const t0 = performance.now();
      const r = await s.run(feeds);
      ms.push(performance.now() - t0);
      const y = r[s.outputNames[0]!]!;
      maps.push({ dtype: 'float32', dims: [...y.dims], data: y.data as Float32Array });
    }
    return { maps, ms };
  } finally {
    await s.release();
  }
}

export function meanIoU(a: Tensor[], b: Tensor[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += textMapIoU(a[i]!, b[i]!);
  return s / a.length;
}
