// Where the bytes of a .sqz go, on the four reference compilations: cls deep-compression (fixture
// calibration), cls-int8.squish, rec-int4.squish and det int8 (weights + activations, calibration
// mse): file bytes, bits per weight by how layers are stored (int8, int4, clustered, float32), the
// graph's share, pack/read time. Every decoded tensor is compared with the compiled model (identical
// but for scales kept with fewer mantissa bits); with `fidelity`, onnxruntime-node compares the
// unpacked .sqz with the compiled ONNX on the fixtures (cls top-1 on 96 lines, rec text on 48
// lines, det text-map IoU on 4 pages). Compiled models are cached as ONNX, keyed by recipe.
// `originals` packs the three original float models and checks pack ∘ unpack gives them back.
// Run: npm run bench:sqz [-- cls-deep|cls-int8|rec-int4|det-int8 … fidelity originals]   (env: SQZ_CACHE=dir)
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../compiler/compile.ts';
import { nodeHost } from '../compiler/io/host.ts';
import { sqzReport } from '../compiler/pack/report.ts';
import { packSqz } from '../compiler/pack/write.ts';
import '../compiler/passes/lossy.ts';
import type { Tensor } from '../runtime/ir/tensor.ts';
import { exportModel } from '../runtime/onnx/export.ts';
import { importModel } from '../runtime/onnx/import.ts';
import { readSqz } from '../runtime/sqz/read.ts';
import { tensorSlots } from '../runtime/sqz/slots.ts';
import { clsDeepRecipe, DEEP_RECIPE } from '../specs/pack/deep.ts';
import { clsInput, ctcDecode, detInput, fixtures, recInput, textMapIoU } from '../specs/support/ocr.ts';
import { MODELS, RECIPES } from '../specs/support/paths.ts';
import { DET_INT8_RECIPE } from './quantize-det.ts';

const CACHE = process.env.SQZ_CACHE ?? join(tmpdir(), 'squish-bench-sqz');
const shared = (f: string) => readFileSync(join(RECIPES, f), 'utf8');
type Task = 'cls' | 'rec' | 'det';
const CONFIGS: Record<string, { model: string; task: Task; recipe: () => string; file: string }> = {
  'cls-deep': { model: MODELS.cls, task: 'cls', recipe: () => clsDeepRecipe(), file: DEEP_RECIPE },
  'cls-int8': {
    model: MODELS.cls,
    task: 'cls',
    recipe: () => shared('cls-int8.squish'),
    file: join(RECIPES, 'cls-int8.squish'),
  },
  'rec-int4': {
    model: MODELS.rec,
    task: 'rec',
    recipe: () => shared('rec-int4.squish'),
    file: join(RECIPES, 'rec-int4.squish'),
  },
  'det-int8': {
    model: MODELS.det,
    task: 'det',
    recipe: () => DET_INT8_RECIPE('mse'),
    file: join(RECIPES, 'det-int8.squish'),
  },
};

/** The compiled model as ONNX (the recipe's `output` block dropped), cached by recipe text. */
async function compiled(name: string): Promise<Uint8Array> {
  const c = CONFIGS[name]!;
  const text = c.recipe().replace(/^output \{[^}]*\}\s*$/m, '');
  const key = createHash('sha256').update(name).update(text).digest('hex').slice(0, 16);
  const path = join(CACHE, `${name}-${key}.onnx`);
  if (existsSync(path)) return new Uint8Array(readFileSync(path));
  console.log(`${name}: compiling (cached in ${CACHE}) …`);
  const t0 = performance.now();
  const r = await compileModel(new Uint8Array(readFileSync(c.model)), text, {
    recipeFile: c.file,
    host: nodeHost(),
  });
  console.log(`${name}: compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(path, r.model);
  return r.model;
}

/** Tensors of `b` whose bits differ from `a`'s, and the largest relative change among them. */
function compareTensors(a: ReturnType<typeof importModel>, b: ReturnType<typeof importModel>) {
  const sa = tensorSlots(a.graph);
  const sb = tensorSlots(b.graph);
  let differ = 0;
  let rel = 0;
  for (const [i, s] of sa.entries()) {
    const x = s.get();
    const y = sb[i]!.get();
    const bx = new Uint8Array(
      (x.data as Uint8Array).buffer,
      (x.data as Uint8Array).byteOffset,
      (x.data as Uint8Array).byteLength,
    );
    const by = new Uint8Array(
      (y.data as Uint8Array).buffer,
      (y.data as Uint8Array).byteOffset,
      (y.data as Uint8Array).byteLength,
    );
    if (bx.length === by.length && bx.every((v, k) => v === by[k])) continue;
    differ++;
    if (x.dtype !== 'float32') throw new Error(`${s.label}: a ${x.dtype} tensor changed`);
    const fx = x.data as Float32Array;
    const fy = y.data as Float32Array;
    for (let k = 0; k < fx.length; k++) rel = Math.max(rel, Math.abs(fy[k]! - fx[k]!) / Math.abs(fx[k]!));
  }
  return { differ, rel };
}

/** CPU milliseconds since `from` (process.cpuUsage): steadier than wall time on a shared machine. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

const ortT = (t: Tensor) => new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);

/** Agreement of the two models on the task's fixtures (onnxruntime-node). */
async function agreement(task: Task, a: Uint8Array, b: Uint8Array): Promise<string> {
  const [sa, sb] = await Promise.all(
    [a, b].map((m) => ort.InferenceSession.create(m, { logSeverityLevel: 3, intraOpNumThreads: 1 })),
  );
  const out = async (s: ort.InferenceSession, x: Tensor) => {
    const r = await s.run({ [s.inputNames[0]!]: ortT(x) });
    const o = r[s.outputNames[0]!]!;
    return { dtype: 'float32', dims: [...o.dims], data: o.data as Float32Array } as Tensor;
  };
  if (task === 'det') {
    const pages = fixtures('pages');
    let iou = 0;
    for (const p of pages) {
      const x = await detInput(p.file);
      iou += textMapIoU(await out(sa, x), await out(sb, x));
    }
    return `text-map IoU ${(iou / pages.length).toFixed(4)} (mean of ${pages.length} pages)`;
  }
  const lines = fixtures().filter((e) => (task === 'cls' ? e.kind !== 'pages' : e.kind === 'lines'));
  let same = 0;
  for (const l of lines) {
    const x = task === 'cls' ? await clsInput(l.file) : await recInput(l.file);
    const [ya, yb] = [await out(sa, x), await out(sb, x)];
    if (task === 'cls') {
      const [p, q] = [ya.data as Float32Array, yb.data as Float32Array];
      if (p[1]! > p[0]! === q[1]! > q[0]!) same++;
    } else if (ctcDecode(ya) === ctcDecode(yb)) same++;
  }
  return `${task === 'cls' ? 'top-1' : 'decoded text'} ${same}/${lines.length}`;
}

const args = process.argv.slice(2);
const withFidelity = args.includes('fidelity');
if (args.includes('originals')) {
  // the original float models: lossless, every tensor back bit for bit
  for (const [task, path] of Object.entries({ cls: MODELS.cls, det: MODELS.det, rec: MODELS.rec })) {
    const model = importModel(new Uint8Array(readFileSync(path)));
    const t0 = performance.now();
    const packed = packSqz(model);
    const ms = performance.now() - t0;
    const same = Buffer.from(exportModel(readSqz(packed.bytes))).equals(Buffer.from(exportModel(model)));
    console.log(
      `original ${task}: ${readFileSync(path).length} → ${packed.bytes.length} bytes of .sqz, pack ∘ unpack ${same ? 'identical' : 'DIFFERS'} (pack ${ms.toFixed(0)} ms)`,
    );
  }
}
const names = args.filter((a) => a !== 'fidelity' && a !== 'originals');
for (const name of names.length || args.includes('originals') ? names : Object.keys(CONFIGS)) {
  const onnx = await compiled(name);
  const model = importModel(onnx);
  let c0 = process.cpuUsage();
  const packed = packSqz(model);
  const packMs = cpuMs(c0);
  c0 = process.cpuUsage();
  const back = readSqz(packed.bytes);
  const readMs = cpuMs(c0);
  const { report: r } = sqzReport(packed.bytes);
  const { differ, rel } = compareTensors(model, back);
  console.log(
    `${name}: .sqz ${r.file_bytes} bytes (compiled ONNX ${onnx.length}); graph ${r.graph_bytes} bytes (${r.graph_coding}) = ${(100 * r.graph_share).toFixed(1)}% of the file; weights ${r.total.coded_bytes} bytes, ${r.total.bits_per_weight.toFixed(2)} bits/weight`,
  );
  for (const [kind, k] of Object.entries(r.by_storage))
    console.log(
      `  ${kind.padEnd(9)} ${String(k.layers).padStart(3)} layers ${String(k.params).padStart(8)} params: ${k.bits_per_weight.toFixed(2)} bits/weight (codes + scales/codebook)`,
    );
  const rs = r.rounded_scales;
  console.log(
    `  tensors coded: ${Object.entries(r.codings)
      .map(([k, v]) => `${v} ${k}`)
      .join(
        ', ',
      )}; ${rs ? `scales: ${rs.tensors} tensors (${rs.elements} values) keep ${rs.mantissa_bits.join('/')} mantissa bits` : 'no scale rounded'}`,
  );
  console.log(
    `  decoded vs compiled: ${differ} tensors differ${differ ? ` (float32 scales, largest relative change ${rel.toExponential(2)})` : ''}; CPU time: pack ${packMs.toFixed(0)} ms, read ${readMs.toFixed(0)} ms`,
  );
  if (withFidelity) {
    const { task, model: path } = CONFIGS[name]!;
    const original = new Uint8Array(readFileSync(path));
    const unpacked = exportModel(back);
    console.log(`  unpacked .sqz vs compiled ONNX: ${await agreement(task, onnx, unpacked)}`);
    console.log(`  vs the original: compiled ONNX ${await agreement(task, original, onnx)}`);
    console.log(`  vs the original: unpacked .sqz ${await agreement(task, original, unpacked)}`);
  }
}
