// Shared by specs/quantize/gptq.spec.ts and bench/quantize-gptq.mts: PP-OCRv4 rec after the exact
// cleanups (BN folded), calibration Grams of each weighted Conv/MatMul on fixture lines, and per layer
// the output error on those activations, tr(D·G·Dᵀ) with D = W − Ŵ, of GPTQ and of minmax rounding on
// the same grid.
import { readFileSync } from 'node:fs';
import { runPasses } from '../../compiler/engine/pass.ts';
import type { Matrix } from '../../compiler/linalg/matrix.ts';
import { cleanupPasses } from '../../compiler/passes/cleanup.ts';
import { quadraticForm } from '../../compiler/passes/factorize/patches.ts';
import { gptqHessians, gptqLayer } from '../../compiler/passes/quantize/gptq-layer.ts';
import type { WeightSettings } from '../../compiler/passes/quantize/options.ts';
import { dequantize, quantizeTensor } from '../../compiler/passes/quantize/uniform.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Node } from '../../runtime/ir/node.ts';
import { importModel } from '../../runtime/onnx/index.ts';
import { fixtures, recInput } from '../support/ocr.ts';
import { MODELS } from '../support/paths.ts';

export interface LayerErrors {
  name: string;
  op: string;
  dims: readonly number[];
  gptq: number;
  minmax: number;
}

export async function recWithGrams(
  lines: number,
  accept: (n: Node, dims: readonly number[]) => boolean,
): Promise<{ model: Model; grams: Map<Node, Matrix[]> }> {
  const model = importModel(readFileSync(MODELS.rec));
  await runPasses(model, cleanupPasses());
  const g = model.graph;
  const nodes = g.topoOrder().filter((n) => {
    if (n.opType !== 'Conv' && n.opType !== 'MatMul') return false;
    const w = g.constant(n.inputs[1] ?? '');
    return w?.dtype === 'float32' && (n.opType === 'Conv' || w.dims.length === 2) && accept(n, w.dims);
  });
  const samples = await Promise.all(
    fixtures('lines')
      .slice(0, lines)
      .map(async (e) => ({ x: await recInput(e.file) })),
  );
  return { model, grams: await gptqHessians(model, nodes, samples) };
}

/** GPTQ vs minmax output error of each layer, with `settings(node)` (bits, group or per-channel). */
export function layerErrors(
  model: Model,
  grams: Map<Node, Matrix[]>,
  settings: (n: Node) => WeightSettings,
  damp?: number,
): LayerErrors[] {
  const g = model.graph;
  const out: LayerErrors[] = [];
  for (const [n, hs] of grams) {
    const w = g.constant(n.inputs[1]!)!;
    const s = settings(n);
    const src = w.data as Float32Array;
    const a = dequantize(gptqLayer(n, w, s, hs, { damp }));
    const kxn = n.opType === 'MatMul';
    const b = dequantize(
      quantizeTensor(src, w.dims, {
        bits: s.bits ?? 8,
        symmetric: s.symmetric,
        granularity: s.group
          ? { kind: 'group', axis: kxn ? 0 : 1, size: s.group }
          : { kind: 'channel', axis: kxn ? 1 : 0 },
      }),
    );
    out.push({
      name: n.name,
      op: n.opType,
      dims: w.dims,
      gptq: err(src, a, w.dims, kxn, hs),
      minmax: err(src, b, w.dims, kxn, hs),
    });
  }
  return out;
}

/** Σ over groups of tr(D·G·Dᵀ), D = W − Ŵ as rows = outputs × cols = inputs. */
function err(
  w: Float32Array,
  what: Float32Array,
  dims: readonly number[],
  kxn: boolean,
  hs: Matrix[],
): number {
  if (kxn) {
    const [k, m] = dims as [number, number];
    const d = new Float64Array(m * k);
    for (let i = 0; i < k; i++) for (let o = 0; o < m; o++) d[o * k + i] = w[i * m + o]! - what[i * m + o]!;
    return quadraticForm(d, m, hs[0]!);
  }
  const M = dims[0]!;
  const per = w.length / M;
  const mg = M / hs.length;
  let s = 0;
  hs.forEach((h, gi) => {
    const d = new Float64Array(mg * per);
    for (let i = 0; i < d.length; i++) d[i] = w[gi * mg * per + i]! - what[gi * mg * per + i]!;
    s += quadraticForm(d, mg, h);
  });
  return s;
}
