// Shared by the distill specs: the cls model compiled by a recipe whose data is the transfer set
// (fixtures/ocr-transfer, never fixtures/ocr), the compiled model read back, and top-1 agreement with
// the original on the 96 fixture lines (upright + flipped) in onnxruntime-node.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { type CompileOptions, compileModel } from '../../compiler/compile.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import '../../compiler/passes/lossy.ts';
import { type OrtLike, ortRunner } from '../../compiler/train/runner.ts';
import type { Graph } from '../../runtime/ir/graph.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { clsInput, fixtures } from '../support/ocr.ts';
import { MODELS, ROOT, SHARED } from '../support/paths.ts';

/** A recipe file name beside the specs (relative paths in recipes resolve against it). */
export const RECIPE_FILE = join(ROOT, 'specs/distill/inline.squish');
export const TRANSFER = join(SHARED, 'fixtures/ocr-transfer');

/** The cls model block and `samples` transfer lines (upright and flipped, seeded order) as data. */
export function clsHeader(samples: number, extra = ''): string {
  return `recipe "distill-spec"
model { input x: float32[1, 3, 48, 192] }
calibrate {
  images "${TRANSFER}/*/line*.png"
  samples ${samples}
  seed 7
  resize 192x48
  normalize mean 0.5 std 0.5
  channels bgr
  ${extra}
}
`;
}

export const clsBytes = (): Uint8Array => new Uint8Array(readFileSync(MODELS.cls));

/** Compile the cls model by `recipe`, training on onnxruntime-node. */
export async function compileCls(recipe: string, options: CompileOptions = {}) {
  return compileModel(clsBytes(), recipe, {
    recipeFile: RECIPE_FILE,
    host: nodeHost(),
    trainRunner: ortRunner(ort as unknown as OrtLike, { threads: 1 }),
    ...options,
  });
}

export const readModel = (bytes: Uint8Array): Model => importModel(bytes);

/** The weight value of a layer (input 1 of its Conv/MatMul/Gemm). */
export function weightValue(g: Graph, layer: string): string {
  const n = g.nodes.find((x) => x.name === layer);
  if (!n) throw new Error(`no node ${layer}`);
  return n.inputs[1]!;
}

export const floats = (t: Tensor | undefined): Float32Array => {
  if (!t) throw new Error('missing tensor');
  return t.data as Float32Array;
};

let lines: Tensor[] | undefined;

/** Top-1 of a cls model on the 96 fixture lines. */
export async function top1(bytes: Uint8Array): Promise<number[]> {
  lines ??= await Promise.all(
    fixtures()
      .filter((f) => f.kind !== 'pages')
      .map((f) => clsInput(f.file)),
  );
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const out: number[] = [];
  for (const x of lines) {
    const r = await s.run({
      [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]),
    });
    const p = r[s.outputNames[0]!]!.data as Float32Array;
    out.push(p[1]! > p[0]! ? 1 : 0);
  }
  await s.release();
  return out;
}

/** Share of the 96 fixture lines on which `bytes` gives the original's top-1. */
export async function agreementWithOriginal(bytes: Uint8Array): Promise<{ share: number; count: number }> {
  const [a, b] = [await top1(clsBytes()), await top1(bytes)];
  return { share: a.filter((v, i) => v === b[i]).length / a.length, count: a.length };
}
