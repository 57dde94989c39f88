// sparsegpt over a statement's layers, sequentially as in the paper: layer by layer in graph order,
// each layer's Hessian comes from its inputs in the model with every earlier layer already pruned
// (a SampleCursor walks the samples forward, about one forward pass in all). With `correct` the
// weights are first refit so the layer's output on those inputs matches the ORIGINAL model's output
// on the original inputs (W' = W·(X + λI)·(H + λI)⁻¹, X = Σ x̄·xᵀ), so errors of earlier layers
// are compensated instead of passed on; then the mask and OBS updates are chosen with H.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32, type Tensor } from '../../../runtime/ir/tensor.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import type { Sample } from '../../data/calibration.ts';
import type { PassContext } from '../../engine/pass.ts';
import { choleskyDamped, choleskySolve } from '../../linalg/cholesky.ts';
import { readGroup, type WeightView, writeGroup } from '../weight-view.ts';
import { SampleCursor } from './cursor.ts';
import { addConvPairGrams, addMatrixPairGrams, type LayerGrams, newGrams, symmetrize } from './hessian.ts';
import { removedCount } from './masks.ts';
import { ensureBias } from './refit.ts';
import { setConstInput } from './shrink.ts';
import { obsSaliency, outputEnergy, type SparseGptMode, sparseGptGroups } from './sparsegpt.ts';

export interface GptTarget {
  layer: string;
  node: Node;
  view: WeightView;
}

export interface SparseGptRun {
  mode: SparseGptMode;
  /** Refit towards the original model's outputs before pruning (default true). */
  correct?: boolean;
  /** Dampening, share of the mean diagonal of H (default 0.01). */
  damp?: number;
  blockSize?: number;
  /**
   * scope global (unstructured): how many weights each layer loses comes from one ranking of all
   * layers' OBS saliencies w²/[H⁻¹]ᵢᵢ on the original model, each divided by its layer's output energy
   * tr(W·H·Wᵀ); round(p·all weights) in all.
   */
  global?: boolean;
}

/** Conv output positions per layer and group over all samples: 32 per column, at least 1024 (each sample its share, at least 16). */
const PER_COL = 32;

/** Targets in graph order, grouped into steps of layers that read the same value. */
function steps(model: Model, targets: GptTarget[]): GptTarget[][] {
  const order = new Map(model.graph.topoOrder().map((n, i) => [n, i]));
  const sorted = [...targets].sort((a, b) => order.get(a.node)! - order.get(b.node)!);
  const out: GptTarget[][] = [];
  for (const t of sorted) {
    const last = out[out.length - 1];
    if (last && last[0]!.node.inputs[0] === t.node.inputs[0]) last.push(t);
    else out.push([t]);
  }
  return out;
}

/** W' = W·(X + λI)·(H + λI)⁻¹ for rows of w (row-major rows × n); H, X symmetric/full n × n. */
export function refitToTarget(
  w: Float64Array,
  rows: number,
  n: number,
  h: Float64Array,
  x: Float64Array,
  damp: number,
): void {
  const a = h.slice();
  for (let i = 0; i < n; i++) if (a[i * n + i]! <= 0) a[i * n + i] = 1;
  const { L, lambda } = choleskyDamped({ rows: n, cols: n, data: a }, { damp });
  // solve (H + λI)·W'ᵀ = (X + λI)ᵀ·Wᵀ  (H symmetric)
  const rhs = new Float64Array(n * rows);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < rows; r++) {
      let s = lambda * w[r * n + i]!;
      for (let k = 0; k < n; k++) s += x[k * n + i]! * w[r * n + k]!;
      rhs[i * rows + r] = s;
    }
  const sol = choleskySolve(L, { rows: n, cols: rows, data: rhs }).data;
  for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) w[r * n + i] = sol[i * rows + r]!;
}

/**
 * Visits the targets in graph order with their calibration Grams: H from the inputs of `model` as it
 * is at that step (earlier targets already edited by `visit`), and with `original` the cross Grams X
 * against the same inputs in that (never edited) model.
 */
export async function walkLayers(
  model: Model,
  targets: GptTarget[],
  samples: Sample[],
  original: Model | undefined,
  visit: (t: GptTarget, acc: LayerGrams) => void,
  ctx: Pick<PassContext, 'progress'> = {},
): Promise<void> {
  const cursor = new SampleCursor(model, samples);
  const orig = original ? new SampleCursor(original, samples, true) : undefined;
  let done = 0;
  try {
    for (const step of steps(model, targets)) {
      const input = step[0]!.node.inputs[0]!;
      const xs = (await cursor.walk([input])).map((v) => v[0]!);
      const xos = orig ? (await orig.walk([input])).map((v) => v[0]!) : undefined;
      for (const t of step) {
        visit(t, stepGrams(model, t, xs, xos));
        ctx.progress?.('prune', ++done, targets.length);
      }
    }
  } finally {
    orig?.dispose();
  }
}

/** Prunes the targets in place; returns each layer's relative output error √(tr ΔW·H·ΔWᵀ / tr W·H·Wᵀ). */
export async function sparseGptLayers(
  model: Model,
  targets: GptTarget[],
  samples: Sample[],
  run: SparseGptRun,
  ctx: Pick<PassContext, 'progress'> = {},
): Promise<Map<string, number>> {
  const correct = run.correct ?? true;
  const damp = run.damp ?? 0.01;
  const errors = new Map<string, number>();
  const counts =
    run.global && run.mode.kind === 'unstructured'
      ? await globalCounts(model, steps(model, targets), samples, run.mode.p, damp)
      : undefined;
  await walkLayers(
    model,
    targets,
    samples,
    correct ? cloneModel(model) : undefined,
    (t, acc) => {
      const mode: SparseGptMode = counts ? { kind: 'unstructured', p: 0, count: counts.get(t)! } : run.mode;
      errors.set(t.layer, pruneTarget(model, t, acc, { ...run, mode }, correct, damp));
    },
    ctx,
  );
  return errors;
}

/** A target's weight as per-group augmented matrices [rows × (cols + 1)] (the bias last; 0 when none). */
export function augmented(t: GptTarget, bias: ArrayLike<number> | undefined): Float64Array[] {
  const v = t.view;
  const cols = v.cols + (t.node.opType === 'Conv' ? 1 : 0);
  return Array.from({ length: v.groups }, (_, g) => {
    const m = readGroup(v, g);
    if (cols === v.cols) return m;
    const aug = new Float64Array(v.rows * cols);
    for (let r = 0; r < v.rows; r++) {
      aug.set(m.subarray(r * v.cols, (r + 1) * v.cols), r * cols);
      aug[r * cols + v.cols] = bias?.[g * v.rows + r] ?? 0;
    }
    return aug;
  });
}

function stepGrams(model: Model, t: GptTarget, xs: Tensor[], xos: Tensor[] | undefined): LayerGrams {
  const conv = t.node.opType === 'Conv';
  const v = t.view;
  const cols = v.cols + (conv ? 1 : 0);
  const acc = newGrams(v.groups, cols, !!xos);
  const wDims = conv ? model.graph.constant(t.node.inputs[1]!)!.dims : [];
  const perSample = Math.max(16, Math.ceil(Math.max(1024, PER_COL * cols) / xs.length));
  xs.forEach((x, i) => {
    if (conv) addConvPairGrams(acc, t.node, x, xos?.[i], wDims, perSample, true, i * 3);
    else addMatrixPairGrams(acc, x, xos?.[i], t.node.opType === 'Gemm' && t.node.attrs.transA === 1);
  });
  symmetrize(acc);
  return acc;
}

/** scope global: weights removed per layer (see SparseGptRun.global), from the unpruned model. */
async function globalCounts(
  model: Model,
  plan: GptTarget[][],
  samples: Sample[],
  p: number,
  damp: number,
): Promise<Map<GptTarget, number>> {
  const cursor = new SampleCursor(model, samples, true);
  const scores: { t: GptTarget; s: Float64Array }[] = [];
  try {
    for (const step of plan) {
      const xs = (await cursor.walk([step[0]!.node.inputs[0]!])).map((v) => v[0]!);
      for (const t of step) {
        const acc = stepGrams(model, t, xs, undefined);
        const b = t.node.inputs[2] ? model.graph.constant(t.node.inputs[2])?.data : undefined;
        const ws = augmented(t, b as Float32Array | undefined);
        const tail = acc.cols - t.view.cols;
        let energy = 0;
        const parts = ws.map((w, g) => {
          energy += outputEnergy(w, t.view.rows, acc.cols, acc.h[g]!);
          return obsSaliency(w, t.view.rows, acc.cols, acc.h[g]!, damp, tail);
        });
        const s = new Float64Array(t.view.groups * t.view.rows * t.view.cols);
        let o = 0;
        for (const part of parts)
          for (let r = 0; r < t.view.rows; r++)
            for (let c = 0; c < t.view.cols; c++) s[o++] = energy > 0 ? part[r * acc.cols + c]! / energy : 0;
        scores.push({ t, s });
      }
    }
  } finally {
    cursor.dispose();
  }
  const all = new Float64Array(scores.reduce((a, x) => a + x.s.length, 0));
  let o = 0;
  for (const { s } of scores) {
    all.set(s, o);
    o += s.length;
  }
  const want = removedCount(p, all.length);
  const out = new Map<GptTarget, number>(scores.map(({ t }) => [t, 0]));
  if (want === 0) return out;
  const thr = all.slice().sort()[want - 1]!;
  let left = want;
  for (const { t, s } of scores) {
    let k = 0;
    for (const v of s) if (v < thr) k++;
    out.set(t, k);
    left -= k;
  }
  for (const { t, s } of scores) {
    if (left === 0) break;
    let ties = 0;
    for (const v of s) if (v === thr) ties++;
    const k = Math.min(ties, left);
    out.set(t, out.get(t)! + k);
    left -= k;
  }
  return out;
}

function pruneTarget(
  model: Model,
  t: GptTarget,
  acc: LayerGrams,
  run: SparseGptRun,
  correct: boolean,
  damp: number,
): number {
  const v = t.view;
  const bias = privateBias(model, t);
  const cols = acc.cols;
  const ws = augmented(t, bias);
  if (correct && acc.x && enoughRows(acc))
    ws.forEach((w, g) => {
      refitToTarget(w, v.rows, cols, acc.h[g]!, acc.x![g]!, damp);
    });
  const err = sparseGptGroups(ws, v.rows, cols, acc.h, run.mode, {
    fixedTail: bias ? 1 : 0,
    damp,
    blockSize: run.blockSize,
  });
  writeAugmented(t, ws, bias);
  return Math.sqrt(err);
}

/**
 * A least-squares refit (ridge towards the original weights) needs enough calibration rows: with
 * fewer than one per 4 columns (e.g. a Gemm seeing one long vector per sample) it would fit the
 * samples, not the layer, so it is skipped. (PP-OCR's squeeze-excitation convs see one row per
 * sample, 96 for 201 columns, and their refit still helps.)
 */
export const enoughRows = (acc: LayerGrams): boolean => 4 * (acc.count ?? 0) >= acc.cols;

/** Conv: a private copy of the bias (added as zeros when missing), the weight of a constant-1 input. */
export function privateBias(model: Model, t: GptTarget): Float32Array | undefined {
  if (t.node.opType !== 'Conv') return undefined;
  ensureBias(model, t.node);
  const b = model.graph.constant(t.node.inputs[2]!)!;
  const copy = float32(b.dims, b.data as Float32Array);
  setConstInput(model.graph, t.node, 2, copy);
  return copy.data as Float32Array;
}

/** Writes augmented per-group matrices back into the weight (and the bias column into `bias`). */
export function writeAugmented(t: GptTarget, ws: Float64Array[], bias: Float32Array | undefined): void {
  const v = t.view;
  const cols = v.cols + (bias ? 1 : 0);
  for (let g = 0; g < v.groups; g++) {
    const aug = ws[g]!;
    const m = bias ? new Float64Array(v.rows * v.cols) : aug;
    if (bias)
      for (let r = 0; r < v.rows; r++) {
        m.set(aug.subarray(r * cols, r * cols + v.cols), r * v.cols);
        bias[g * v.rows + r] = aug[r * cols + v.cols]!;
      }
    writeGroup(v, g, m);
  }
}
