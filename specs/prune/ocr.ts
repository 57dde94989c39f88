// Shared by the prune specs and scripts/prune-*.ts: compile a real OCR model with a recipe (recipe
// file placed in the shared recipes folder so its relative globs resolve), then measure with
// onnxruntime-node: cls top-1 agreement on the fixture lines (upright + flipped), det text-map IoU.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../../compiler/compile.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import type { Report } from '../../compiler/report/types.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { argmax, clsInput, detInput, fixtures, textMapIoU } from '../support/ocr.ts';
import { MODELS, RECIPES } from '../support/paths.ts';

/** cls recipe head calibrating on the fixture lines, upright and flipped (default: all 96). */
export const clsHead = (images = '{lines,flipped}/*.png', more = ''): string => `model {
  input x: float32[1, 3, 48, 192]
}
calibrate {
  images "../fixtures/ocr/${images}"${more}
  resize 192x48
  normalize mean 0.5 std 0.5
  channels bgr
}
`;
export const CLS_HEAD = clsHead();

export const DET_HEAD = `model {
  input x: float32[1, 3, 640, 640]
}
calibrate {
  images "../fixtures/ocr/pages/*.png"
  samples 4
  resize 640x640
  normalize mean [0.485, 0.456, 0.406] std [0.229, 0.224, 0.225]
  channels bgr
}
`;

/** det-slim.squish as written (withQuantize) or without its quantize line. */
export function detSlimRecipe(withQuantize = false): string {
  const raw = readFileSync(join(RECIPES, 'det-slim.squish'), 'utf8');
  if (withQuantize) return raw;
  const text = raw.replace(/^quantize[^\n]*$/gm, '');
  if (/\bquantize\b/.test(text.replace(/#.*$/gm, ''))) throw new Error('a quantize statement is left');
  return text;
}

function toOrt(feeds: Record<string, Tensor>): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds))
    f[k] = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
  return f;
}

export async function ortRunner(model: Model) {
  const s = await ort.InferenceSession.create(exportModel(model), { logSeverityLevel: 3 });
  return async (feeds: Record<string, Tensor>) => {
    const r = await s.run(toOrt(feeds));
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(r))
      out[k] = { dtype: 'float32', dims: [...v.dims], data: v.data as Float32Array };
    return out;
  };
}

export async function compileWith(
  which: 'cls' | 'det',
  recipe: string,
  log?: (l: string) => void,
): Promise<{ model: Uint8Array; report: Report }> {
  const r = await compileModel(readFileSync(MODELS[which]), recipe, {
    recipeFile: join(RECIPES, `prune-${which}.squish`),
    host: nodeHost(),
    runner: ortRunner,
    warn: log,
    log,
  });
  return { model: r.model, report: r.report };
}

/** The first output of a model (path or bytes) on each input, by onnxruntime-node. */
export async function outputs(model: string | Uint8Array, inputs: Tensor[]): Promise<Tensor[]> {
  const s = await ort.InferenceSession.create(model as Uint8Array, { logSeverityLevel: 3 });
  try {
    const out: Tensor[] = [];
    for (const x of inputs) {
      const r = await s.run({
        [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]),
      });
      const y = r[s.outputNames[0]!]!;
      out.push({ dtype: 'float32', dims: [...y.dims], data: (y.data as Float32Array).slice() });
    }
    return out;
  } finally {
    await s.release();
  }
}

export const clsInputs = (): Promise<Tensor[]> =>
  Promise.all([...fixtures('lines'), ...fixtures('flipped')].map((e) => clsInput(e.file)));
export const detInputs = (n = 4): Promise<Tensor[]> =>
  Promise.all(
    fixtures('pages')
      .slice(0, n)
      .map((e) => detInput(e.file)),
  );

/** Share of inputs where both cls models pick the same class. */
export async function clsAgreement(model: Uint8Array, inputs: Tensor[], ref?: Tensor[]): Promise<number> {
  const a = ref ?? (await outputs(MODELS.cls, inputs));
  const b = await outputs(model, inputs);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (argmax(a[i]!)[0] === argmax(b[i]!)[0]) same++;
  return same / a.length;
}

/** Mean IoU of the binarized (0.3) text maps against the original det model's. */
export async function detIoU(model: Uint8Array, inputs: Tensor[], ref?: Tensor[]): Promise<number> {
  const a = ref ?? (await outputs(MODELS.det, inputs));
  const b = await outputs(model, inputs);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += textMapIoU(a[i]!, b[i]!, 0.3);
  return s / a.length;
}
