// OCR fixtures for specs: PaddleOCR preprocessing of the shared images, CTC decoding, text-map IoU,
// and an onnxruntime-node runner (the oracle).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadImage } from '../../compiler/io/images.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { FIXTURES, MODELS } from './paths.ts';

export interface FixtureEntry {
  file: string; // absolute path
  name: string; // as in the manifest, e.g. lines/line00.png
  text: string;
  kind: 'lines' | 'flipped' | 'pages';
}

/** The manifest's lines and pages, plus every flipped line (same text as its upright twin). */
export function fixtures(kind?: FixtureEntry['kind']): FixtureEntry[] {
  const rows = readFileSync(join(FIXTURES, 'manifest.tsv'), 'utf8').trim().split('\n').slice(1);
  const out: FixtureEntry[] = [];
  for (const row of rows) {
    const [name, text = ''] = row.split('\t');
    const k = name.split('/')[0] as FixtureEntry['kind'];
    out.push({ file: join(FIXTURES, name), name, text, kind: k });
    if (k === 'lines') {
      const flipped = name.replace(/^lines\//, 'flipped/');
      out.push({ file: join(FIXTURES, flipped), name: flipped, text, kind: 'flipped' });
    }
  }
  return kind ? out.filter((e) => e.kind === kind) : out;
}

/** cls input: height 48, width up to 192 keeping the ratio, right-padded; (x/255−0.5)/0.5, BGR. */
export function clsInput(file: string): Promise<Tensor> {
  return loadImage(file, { width: 192, height: 48, fit: 'pad', mean: 0.5, std: 0.5, channels: 'bgr' });
}

/** rec input: height 48, width max(320, ratio-preserving), right-padded; (x/255−0.5)/0.5, BGR. */
export async function recInput(file: string, minWidth = 320): Promise<Tensor> {
  const probe = await loadImage(file, { channels: 'bgr' });
  const [, , h, w] = probe.dims;
  const width = Math.max(minWidth, Math.ceil((48 * w) / h));
  return loadImage(file, { width, height: 48, fit: 'pad', mean: 0.5, std: 0.5, channels: 'bgr' });
}

/** det input: 640×640, ImageNet mean/std, BGR (as PaddleOCR's DetResizeForTest + NormalizeImage). */
export function detInput(file: string): Promise<Tensor> {
  return loadImage(file, {
    width: 640,
    height: 640,
    fit: 'fill',
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    channels: 'bgr',
  });
}

let keysCache: string[] | undefined;
/** The rec model's character list: index 0 is the CTC blank, then the keys file, then a space. */
export function recKeys(): string[] {
  keysCache ??= [
    '',
    ...readFileSync(MODELS.keys, 'utf8')
      .split('\n')
      .filter((l, i, a) => i < a.length - 1 || l),
    ' ',
  ];
  return keysCache;
}

/** Greedy CTC decoding of rec output [1, T, C]: argmax per step, repeats collapsed, blanks dropped. */
export function ctcDecode(probs: Tensor): string {
  const [, T, C] = probs.dims;
  const p = probs.data as Float32Array;
  const keys = recKeys();
  let out = '';
  let prev = -1;
  for (let t = 0; t < T; t++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (p[t * C + c] > p[t * C + best]) best = c;
    if (best !== prev && best !== 0) out += keys[best] ?? '';
    prev = best;
  }
  return out;
}

/** Index of the largest value per row of a [N, K] tensor. */
export function argmax(t: Tensor): number[] {
  const k = t.dims[t.dims.length - 1];
  const d = t.data as Float32Array;
  const out: number[] = [];
  for (let r = 0; r < d.length / k; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (d[r * k + c] > d[r * k + best]) best = c;
    out.push(best);
  }
  return out;
}

/** IoU of two text maps binarized at `threshold` (1 when both are empty). */
export function textMapIoU(a: Tensor, b: Tensor, threshold = 0.3): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let inter = 0;
  let union = 0;
  for (let i = 0; i < x.length; i++) {
    const p = x[i] > threshold;
    const q = y[i] > threshold;
    if (p && q) inter++;
    if (p || q) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Run a model (path or bytes) in onnxruntime-node on one input; returns every output as a Tensor. */
export async function runOrt(
  model: string | Uint8Array,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Tensor>> {
  const session = await ort.InferenceSession.create(model as string);
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(feeds))
      ortFeeds[k] = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
    const res = await session.run(ortFeeds);
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(res))
      out[k] = { dtype: 'float32', dims: [...v.dims], data: v.data as Float32Array };
    return out;
  } finally {
    await session.release();
  }
}
