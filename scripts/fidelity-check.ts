// Issue 15's table: does the report's fidelity hold on data the compile never saw? Each recipe is
// compiled calibrating on ../shared/fixtures/ocr/ (the report measures its held-apart share), then
// onnxruntime-node runs the original and the compiled model on ../shared/fixtures/ocr-transfer/
// and this script scores them with its own metric code (top-1, greedy-CTC text through the key
// list, text-map IoU at 0.3). A row passes when the check lands inside the report's 95% interval.
//   npx tsx scripts/fidelity-check.ts [--lines N] [--pages N] [--only NAME,…]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../compiler/compile.ts';
import type { Fidelity } from '../compiler/fidelity/metrics.ts';
import { nodeHost } from '../compiler/io/host.ts';
import { loadImage } from '../compiler/io/images.ts';
import type { Model } from '../runtime/ir/model.ts';
import type { Tensor } from '../runtime/ir/tensor.ts';
import { exportModel } from '../runtime/onnx/export.ts';
import { FIXTURES, MODELS, RECIPES, SHARED } from '../specs/support/paths.ts';

type Kind = 'cls' | 'rec' | 'det';
interface Case {
  name: string;
  kind: Kind;
  model: string;
  /** A shared recipe file, or recipe text of this script's own (calibrating on the fixtures). */
  file?: string;
  text?: string;
  shapes?: Record<string, number[]>;
}

const LINES = `${FIXTURES}/lines/*.png`;
const CLS_CAL = `calibrate {\n  images "${FIXTURES}/{lines,flipped}/*.png"\n  samples 32  seed 1\n  resize 192x48\n  normalize mean 0.5 std 0.5\n  channels bgr\n}\n`;
const CASES: Case[] = [
  { name: 'cls-int8', kind: 'cls', model: MODELS.cls, file: join(RECIPES, 'cls-int8.squish') },
  {
    name: 'deep-compression (cls)',
    kind: 'cls',
    model: MODELS.cls,
    file: join(RECIPES, 'deep-compression.squish'),
    shapes: { x: [1, 3, 48, 192] },
  },
  { name: 'rec-int4', kind: 'rec', model: MODELS.rec, file: join(RECIPES, 'rec-int4.squish') },
  { name: 'det-slim', kind: 'det', model: MODELS.det, file: join(RECIPES, 'det-slim.squish') },
  {
    name: 'cls int4 per-channel gptq',
    kind: 'cls',
    model: MODELS.cls,
    text: `model { input x: float32[1, 3, 48, 192] }\n${CLS_CAL}quantize weights of conv, matmul { bits 4  per-channel  method gptq }\n`,
  },
  {
    name: 'cls 16 clusters',
    kind: 'cls',
    model: MODELS.cls,
    text: `model { input x: float32[1, 3, 48, 192] }\n${CLS_CAL}cluster weights of conv, matmul where params > 1k { clusters 16 }\n`,
  },
  {
    name: 'rec 16 clusters',
    kind: 'rec',
    model: MODELS.rec,
    text: `model { input x: float32[1, 3, 48, 320] }\ncalibrate {\n  images "${LINES}"\n  samples 16\n  resize 320x48\n  normalize mean 0.5 std 0.5\n  channels bgr\n}\ncluster weights of conv, matmul where params > 4k { clusters 16 }\n`,
  },
];

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const N_LINES = Number(arg('lines') ?? 200);
const N_PAGES = Number(arg('pages') ?? 48);
const ONLY = arg('only')?.split(',');
const TRANSFER = join(SHARED, 'fixtures/ocr-transfer');

/** Inputs as each recipe's calibrate block prepares them (resize to the fixed shape, normalize, BGR). */
function input(kind: Kind, file: string): Promise<Tensor> {
  if (kind === 'det')
    return loadImage(file, {
      width: 640,
      height: 640,
      fit: 'fill',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      channels: 'bgr',
    });
  return loadImage(file, {
    width: kind === 'cls' ? 192 : 320,
    height: 48,
    fit: 'fill',
    mean: [0.5],
    std: [0.5],
    channels: 'bgr',
  });
}

function transferFiles(kind: Kind): string[] {
  const rows = readFileSync(join(TRANSFER, 'manifest.tsv'), 'utf8').trim().split('\n').slice(1);
  const names = rows.map((r) => r.split('\t')[0]!);
  if (kind === 'det')
    return names
      .filter((n) => n.startsWith('pages/'))
      .slice(0, N_PAGES)
      .map((n) => join(TRANSFER, n));
  const lines = names.filter((n) => n.startsWith('lines/')).slice(0, N_LINES);
  const withFlipped =
    kind === 'cls' ? [...lines, ...lines.map((n) => n.replace(/^lines\//, 'flipped/'))] : lines;
  return withFlipped.map((n) => join(TRANSFER, n));
}

async function session(bytes: Uint8Array) {
  const s = await ort.InferenceSession.create(bytes);
  return async (x: Tensor): Promise<{ dims: readonly number[]; data: Float32Array }> => {
    const r = await s.run({
      [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]),
    });
    const y = r[s.outputNames[0]!]!;
    return { dims: y.dims, data: y.data as Float32Array };
  };
}

/** The compile's fidelity runner: onnxruntime on the model as exported. */
async function ortRunner(model: Model) {
  const s = await ort.InferenceSession.create(exportModel(model));
  return async (feeds: Record<string, Tensor>) => {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(feeds))
      f[k] = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
    const r = await s.run(f);
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(r))
      out[k] = { dtype: 'float32', dims: [...v.dims], data: v.data as Float32Array };
    return out;
  };
}

const keys = [
  '',
  ...readFileSync(MODELS.keys, 'utf8')
    .split('\n')
    .filter((l, i, a) => i < a.length - 1 || l),
  ' ',
];

/** This script's own metric code: the answer of one output, and whether two answers agree (or their IoU). */
function answer(
  kind: Kind,
  y: { dims: readonly number[]; data: Float32Array },
): number | string | Uint8Array {
  if (kind === 'cls') {
    const row = Array.from(y.data);
    return row.indexOf(Math.max(...row));
  }
  if (kind === 'rec') {
    const [, steps, classes] = y.dims as [number, number, number];
    let text = '';
    let last = 0;
    for (let t = 0; t < steps; t++) {
      const row = Array.from(y.data.subarray(t * classes, (t + 1) * classes));
      const k = row.indexOf(Math.max(...row));
      if (k !== 0 && k !== last) text += keys[k] ?? '?';
      last = k;
    }
    return text;
  }
  return Uint8Array.from(y.data, (v) => (v > 0.3 ? 1 : 0));
}

function score(a: number | string | Uint8Array, b: number | string | Uint8Array): number {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) return a === b ? 1 : 0;
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i]! & b[i]!;
    either += a[i]! | b[i]!;
  }
  return either === 0 ? 1 : both / either;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
function reportCell(f: Fidelity): string {
  const i = f.interval;
  const on = f.measured_on!;
  return `${f.metric} ${pct(f.value)} [${i ? `${pct(i.low)}, ${pct(i.high)}` : 'no interval'}] on ${on.samples} held-apart ${on.source}${on.source === 'random' ? ' (random inputs, not evidence of accuracy)' : ''}; cosine ${f.cosine_mean.toFixed(4)}, SNR ${f.snr_db.toFixed(1)} dB`;
}

const rows: string[] = [
  '| compile | report (held-apart fixtures) | independent check (ocr-transfer, onnxruntime) | within the interval |',
  '| --- | --- | --- | --- |',
];
for (const c of CASES) {
  if (ONLY && !ONLY.some((o) => c.name.startsWith(o))) continue;
  const t0 = performance.now();
  const text = (c.text ?? readFileSync(c.file!, 'utf8')).replace(
    'output { format sqz }',
    'output { format onnx }',
  );
  const warnings: string[] = [];
  const r = await compileModel(new Uint8Array(readFileSync(c.model)), text, {
    recipeFile: c.file ?? join(RECIPES, 'fidelity-check.squish'),
    host: nodeHost(),
    runner: ortRunner,
    warn: (w) => warnings.push(w),
    ...(c.shapes ? { inputShapes: c.shapes } : {}),
  });
  const f = r.report.fidelity!;
  const ref = await session(new Uint8Array(readFileSync(c.model)));
  const cand = await session(r.model);
  const files = transferFiles(c.kind);
  let sum = 0;
  for (const file of files) {
    const x = await input(c.kind, file);
    sum += score(answer(c.kind, await ref(x)), answer(c.kind, await cand(x)));
  }
  const check = sum / files.length;
  const i = f.interval;
  const within = i ? check >= i.low - 1e-12 && check <= i.high + 1e-12 : false;
  const factor = (r.report.before.bytes / r.report.after.bytes).toFixed(1);
  rows.push(
    `| ${c.name} (${factor}× smaller) | ${reportCell(f)} | ${f.metric} ${pct(check)} on ${files.length} ${c.kind === 'det' ? 'pages' : 'lines'} | ${within ? 'yes' : 'NO'} |`,
  );
  console.error(
    `${c.name}: ${((performance.now() - t0) / 1000).toFixed(0)} s; ${warnings.filter((w) => /WARNING|random/.test(w)).join(' | ')}`,
  );
  console.log(rows.at(-1));
}
console.log(`\n${rows.join('\n')}`);
