// Deep Compression on PP-OCR for specs and scripts/deep-*.ts: deep-compression.squish with the
// fixture lines as calibration (cls-int8.squish's model + calibrate blocks instead of `random`),
// compiled to .sqz; top-1 agreement on the lines upright + flipped with onnxruntime-node.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { type CompileOptions, compileModel } from '../../compiler/compile.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import '../../compiler/passes/lossy.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { readSqz } from '../../runtime/sqz/read.ts';
import { DET_HEAD } from '../prune/ocr.ts';
import { clsInput, fixtures } from '../support/ocr.ts';
import { MODELS, RECIPES } from '../support/paths.ts';

export const DEEP_RECIPE = join(RECIPES, 'deep-compression.squish');

/** deep-compression.squish with cls-int8's model + calibrate blocks; optionally another sparsity. */
export function clsDeepRecipe(sparsity?: number): string {
  const deep = readFileSync(DEEP_RECIPE, 'utf8');
  const int8 = readFileSync(join(RECIPES, 'cls-int8.squish'), 'utf8');
  const blocks = /model \{[\s\S]*?\}\s*calibrate \{[\s\S]*?\}/.exec(int8);
  if (!blocks) throw new Error('cls-int8.squish has no model + calibrate blocks');
  let text = deep.replace(/^calibrate \{[^}]*\}/m, blocks[0]);
  if (text === deep) throw new Error('deep-compression.squish has no calibrate line');
  if (sparsity !== undefined) text = text.replace(/sparsity \d+%/, `sparsity ${sparsity}%`);
  return text;
}

/** deep-compression.squish with a det model block and the 4 fixture pages as calibration. */
export function detDeepRecipe(sparsity?: number): string {
  const deep = readFileSync(DEEP_RECIPE, 'utf8');
  let text = deep.replace(/^calibrate \{[^}]*\}/m, DET_HEAD.trim());
  if (text === deep) throw new Error('deep-compression.squish has no calibrate line');
  if (sparsity !== undefined) text = text.replace(/sparsity \d+%/, `sparsity ${sparsity}%`);
  return text;
}

/** Compile the original model by a recipe (recipe file = deep-compression.squish for relative paths). */
export async function compileDeep(model: string, recipe: string, opts: Partial<CompileOptions> = {}) {
  const bytes = new Uint8Array(readFileSync(model));
  const r = await compileModel(bytes, recipe, { recipeFile: DEEP_RECIPE, host: nodeHost(), ...opts });
  return { ...r, original: bytes };
}

/** The ONNX model a .sqz holds (what `squish unpack` writes), for onnxruntime. */
export function sqzToOnnx(sqz: Uint8Array): Uint8Array {
  return exportModel(readSqz(sqz));
}

export async function clsLines(): Promise<ort.Tensor[]> {
  const files = fixtures()
    .filter((e) => e.kind !== 'pages')
    .map((e) => e.file);
  const out: ort.Tensor[] = [];
  for (const f of files) {
    const x = await clsInput(f);
    out.push(new ort.Tensor('float32', x.data as Float32Array, [...x.dims]));
  }
  return out;
}

export async function clsTop1(model: Uint8Array, xs: ort.Tensor[]): Promise<number[]> {
  const s = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  const out: number[] = [];
  for (const x of xs) {
    const r = await s.run({ [s.inputNames[0]!]: x });
    const p = r[s.outputNames[0]!]!.data as Float32Array;
    out.push(p[1]! > p[0]! ? 1 : 0);
  }
  return out;
}

export const CLS_MODEL = MODELS.cls;
