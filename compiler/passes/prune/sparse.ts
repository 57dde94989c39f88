// The fine-grained prune pass (kind 'prune-sparse'): weights, N:M, kernels, blocks RxC written as
// zeros; l1/l2/random masks per layer or across a statement's layers (scope global: one threshold),
// ranked on the weights as the source model has them (BN fold undone) or by taylor's |w·∂L/∂w|, then optionally refit
// (reconstruct least-squares); sparsegpt sequentially with the OBS update from calibration Hessians
// (sparsegpt-layers.ts). Layers whose weight is shared, not float32 or not constant are skipped
// with a warning; N:M skips a layer whose input count is not a multiple of M.

import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32 } from '../../../runtime/ir/tensor.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import { nodesByLayer, type Pass, type PassContext } from '../../engine/pass.ts';
import type { Plan } from '../../plan/plan.ts';
import { convView, matrixView, type WeightView } from '../weight-view.ts';
import { foldedScale } from './gamma.ts';
import { type MaskLayer, pruneNM, pruneUnits, unitScores, unitsOf } from './masks.ts';
import { obsUnitLayers } from './obs-units.ts';
import { type SparseSettings, sparseSettings } from './options.ts';
import { refitMasked } from './refit-masked.ts';
import { sparseGptLayers } from './sparsegpt-layers.ts';
import { taylorData, weightTaylor } from './taylor.ts';

interface Target {
  layer: string;
  node: Node;
  view: WeightView;
  /** The weight before pruning, for the layer error. */
  orig: Float32Array;
}

/** A private float32 copy of the node's weight (input 1), wired in, as a view; or why not. */
export function weightTarget(g: Graph, node: Node): { view: WeightView; orig: Float32Array } | string {
  if (node.opType !== 'Conv' && node.opType !== 'Gemm' && node.opType !== 'MatMul')
    return `${node.opType} layers have no weight to prune (Conv, Gemm, MatMul)`;
  const name = node.inputs[1] ?? '';
  const w = g.constant(name);
  if (!w) return 'its weight is not a constant';
  if (w.dtype !== 'float32') return `its weight is ${w.dtype}, not float32`;
  if (node.opType === 'Conv' && w.dims.length !== 4) return 'only 2-D convolutions are pruned';
  if (node.opType !== 'Conv' && w.dims.length !== 2) return 'only 2-D MatMul weights are pruned';
  const copy = float32(w.dims, w.data as Float32Array);
  const fresh = g.uniqueName(`${name}.pruned`);
  g.addInitializer(fresh, copy);
  node.setInput(1, fresh);
  const view =
    node.opType === 'Conv'
      ? convView(copy, (node.attrs.group as number | undefined) ?? 1)
      : matrixView(copy, node.opType === 'Gemm' && node.attrs.transB === 1);
  return { view, orig: (w.data as Float32Array).slice() };
}

/**
 * The weights as the source model has them: a conv whose BN the cleanups folded has each output row
 * divided back by the fold scale |γ/√(var + ε)| (rows with scale 0 are all zero anyway).
 */
function sourceMagnitudes(model: Model, t: Target, ctx: Pick<PassContext, 'data'>): Float32Array {
  const scale = t.node.opType === 'Conv' ? foldedScale(ctx, model, t.node) : undefined;
  const d = t.view.data;
  if (!scale || scale.length === 0 || d.length % scale.length !== 0) return d;
  const per = d.length / scale.length;
  return Float32Array.from(d, (x, i) => {
    const s = Math.abs(scale[Math.floor(i / per)]!);
    return s > 0 ? x / s : 0;
  });
}

/** criterion taylor: per target, |w·∂L/∂w| in the weight's own layout (taylor.ts). */
async function taylorScores(
  model: Model,
  targets: Target[],
  ctx: Pick<PassContext, 'samples' | 'trainRunner' | 'data' | 'log'>,
): Promise<Float32Array[]> {
  const names = targets.map((t) => t.node.inputs[1]!);
  const scores = await weightTaylor(model, names, await taylorData(ctx), ctx.trainRunner);
  return names.map((n) => scores.get(n)!);
}

function relativeChange(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += a[i]! ** 2;
  }
  return den > 0 ? Math.sqrt(num / den) : 0;
}

/** Applies one statement's settings to its layers (model edited in place). */
export async function pruneSparse(
  model: Model,
  layers: string[],
  s: SparseSettings,
  ctx: Pick<
    PassContext,
    'samples' | 'warn' | 'log' | 'layerError' | 'progress' | 'parts' | 'data' | 'trainRunner'
  >,
): Promise<Target[]> {
  const byLayer = nodesByLayer(model);
  const targets: Target[] = [];
  for (const layer of layers.flatMap((l) => [l, ...(ctx.parts?.get(l) ?? [])])) {
    const node = byLayer.get(layer);
    const t = node ? weightTarget(model.graph, node) : 'no such node in the model';
    const skip = (why: string) => (ctx.warn ?? ctx.log)?.(`${s.from}: ${s.action} skipped ${layer}: ${why}`);
    if (typeof t === 'string') {
      skip(t);
      continue;
    }
    const gr = s.granularity;
    if (gr.kind === 'nm' && t.view.cols % gr.m !== 0) {
      skip(`its ${t.view.cols} inputs per output are not a multiple of ${gr.m}`);
      continue;
    }
    targets.push({ layer, node: node!, ...t });
  }
  const gr = s.granularity;
  const outErr = new Map<string, number>();
  if ((s.criterion === 'sparsegpt' || s.reconstruct) && !ctx.samples?.length) {
    throw new Error(`${s.from}: ${s.action} needs calibration samples, and the checks let it through`);
  }
  // reconstruct least-squares after a magnitude mask: the unpruned model is the refit's target
  const original = s.reconstruct && s.criterion !== 'sparsegpt' ? cloneModel(model) : undefined;
  if (s.criterion === 'sparsegpt' && (gr.kind === 'kernels' || gr.kind === 'blocks')) {
    await obsUnitLayers(
      model,
      s.reconstruct ? cloneModel(model) : undefined,
      targets,
      gr,
      s.p,
      ctx.samples!,
      ctx,
      s.scope === 'global',
    );
  } else if (s.criterion === 'sparsegpt') {
    const mode =
      gr.kind === 'nm'
        ? ({ kind: 'nm', n: gr.n, m: gr.m } as const)
        : ({ kind: 'unstructured', p: s.p } as const);
    const errs = await sparseGptLayers(
      model,
      targets,
      ctx.samples!,
      { mode, correct: s.reconstruct, global: s.scope === 'global' },
      ctx,
    );
    for (const [k, e] of errs) outErr.set(k, e);
  } else {
    // taylor: |w·∂L/∂w| per weight, summed over a unit as l1 sums |w|
    const taylor = s.criterion === 'taylor' ? await taylorScores(model, targets, ctx) : undefined;
    const criterion = s.criterion === 'taylor' ? 'l1' : (s.criterion as 'l1');
    if (gr.kind === 'nm')
      targets.forEach((t, i) => {
        pruneNM(t.view, gr.n, gr.m, criterion, s.seed, taylor?.[i]);
      });
    else {
      const masks: MaskLayer[] = targets.map((t, i) => {
        const units = unitsOf(t.view, gr);
        const by = taylor?.[i] ?? sourceMagnitudes(model, t, ctx);
        return { data: t.view.data, units, scores: unitScores(by, units, criterion, s.seed + i) };
      });
      pruneUnits(masks, s.p, s.scope);
    }
  }
  if (original) await refitMasked(model, original, targets, ctx.samples!, ctx);
  for (const t of targets) {
    const err = outErr.get(t.layer) ?? relativeChange(t.orig, t.view.data);
    ctx.layerError[t.layer] = Math.max(ctx.layerError[t.layer] ?? 0, err);
    let zeros = 0;
    for (const x of t.view.data) if (x === 0) zeros++;
    ctx.log?.(
      `${s.action} ${t.layer}: ${zeros} of ${t.view.data.length} weights zero, ${outErr.has(t.layer) ? 'relative output error' : 'relative change'} ${err.toPrecision(3)}`,
    );
  }
  return targets;
}

export function sparsePass(plan: Plan): Pass {
  // by statement object: a search hands layers of one statement different values as distinct objects
  const byStatement = new Map<object, { layers: string[]; settings: SparseSettings }>();
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'prune-sparse');
    if (!a) continue;
    let e = byStatement.get(a.statement);
    if (!e) byStatement.set(a.statement, (e = { layers: [], settings: sparseSettings(a) }));
    e.layers.push(l.name);
  }
  return {
    name: 'prune-sparse',
    run: async (model, ctx) => {
      let changed = false;
      for (const { layers, settings } of byStatement.values()) {
        const done = await pruneSparse(model, layers, settings, ctx);
        if (done.length) changed = true;
      }
      return { changed };
    },
  };
}
