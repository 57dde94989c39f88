// The factorize pass (kind 'factorize'): low-rank Gemm/MatMul (svd, plain or data-aware) and Conv
// (tucker by default, channel, spatial; grouped convs per group). Default method: svd for
// Gemm/MatMul, tucker for Conv; default rank: energy 95%. A factorization that would not reduce
// params or FLOPs is skipped with a warning (and listed among the plan's near-misses). Data-aware
// (`reconstruct least-squares`): Gemm/MatMul and Conv by every method, at the rank plain picks; the
// input Grams (rows, or sampled im2col patches per group) come from the original model's activations
// on the calibration samples, one executor run over them before any rewrite.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { Sample } from '../../data/calibration.ts';
import { addParts, nodesByLayer, type Pass, type PassContext } from '../../engine/pass.ts';
import type { Matrix } from '../../linalg/matrix.ts';
import { registerLossyPass, registerLossyPreview } from '../../plan/lower.ts';
import type { Plan } from '../../plan/plan.ts';
import { inputGrams } from './activations.ts';
import { factorizeConv } from './conv.ts';
import { factorizeMatMul, matmulWeight, type Outcome, weightMatrix } from './matmul.ts';
import { type FactorizeSettings, factorizeSettings } from './options.ts';
import { convGeometry } from './patches.ts';
import { factorizeSkips } from './preview.ts';

export type { Outcome } from './matmul.ts';
export type { FactorizeSettings } from './options.ts';

export interface LayerOutcome {
  layer: string;
  op: string;
  outcome: Outcome;
}

/** Factorizes the named layers of a model in place; returns what happened to each. */
export async function factorizeModel(
  model: Model,
  jobs: { layer: string; settings: FactorizeSettings }[],
  samples?: Sample[],
  progress?: (done: number, total: number) => void,
): Promise<LayerOutcome[]> {
  const byLayer = nodesByLayer(model);
  const work: { layer: string; node: Node | undefined; s: FactorizeSettings }[] = jobs.map((j) => ({
    layer: j.layer,
    node: byLayer.get(j.layer),
    s: j.settings,
  }));
  const dataNodes: Parameters<typeof inputGrams>[1] = [];
  for (const { node, s } of work) {
    if (!node || !s.dataAware) continue;
    if (!samples?.length)
      throw new Error(`${s.from}: reconstruct least-squares without samples passed the checks`);
    if (node.opType === 'Conv') {
      const w = model.graph.constant(node.inputs[1] ?? '');
      if (w?.dims.length !== 4) continue;
      const geometry = convGeometry(node, w.dims);
      dataNodes.push({
        node,
        width: geometry.cig * geometry.kh * geometry.kw,
        groups: geometry.group,
        geometry,
      });
      continue;
    }
    const w = matmulWeight(model.graph, node);
    if (typeof w !== 'string') dataNodes.push({ node, width: weightMatrix(node, w.w).rows });
  }
  const grams: Map<Node, Matrix[]> = dataNodes.length
    ? await inputGrams(model, dataNodes, samples!, progress)
    : new Map();
  return factorizeNow(model, jobs, grams);
}

/** The rewrite itself, synchronous: data-aware layers take their input Gram from `grams` (else plain). */
export function factorizeNow(
  model: Model,
  jobs: { layer: string; settings: FactorizeSettings }[],
  grams: Map<Node, Matrix[]> = new Map(),
): LayerOutcome[] {
  const byLayer = nodesByLayer(model);
  const out: LayerOutcome[] = [];
  for (const { layer, settings: s } of jobs) {
    const node = byLayer.get(layer);
    let outcome: Outcome;
    if (!node) outcome = { kind: 'skipped', reason: 'no such node in the model' };
    else if (node.opType === 'Gemm' || node.opType === 'MatMul')
      outcome = factorizeMatMul(model.graph, node, s, grams.get(node)?.[0]);
    else if (node.opType === 'Conv') outcome = factorizeConv(model.graph, node, s, grams.get(node));
    else
      outcome = {
        kind: 'skipped',
        reason: `${node.opType} layers cannot be factorized (only Gemm, MatMul, Conv)`,
      };
    out.push({ layer, op: node?.opType ?? '?', outcome });
  }
  return out;
}

/** One line per layer for the log, or the warning for a skipped one. */
export function describeOutcome(o: LayerOutcome, from: string): string {
  const x = o.outcome;
  if (x.kind === 'skipped') return `${from}: factorize skipped ${o.layer} (${o.op}): ${x.reason}`;
  return `factorize ${o.layer} (${o.op}): ${x.method} rank ${x.ranks.join('×')} of ${x.full.join('×')}, params ${x.paramsBefore} → ${x.paramsAfter}, relative error ${x.error.toPrecision(3)}`;
}

export function factorizePass(plan: Plan): Pass {
  const jobs: { layer: string; settings: FactorizeSettings }[] = [];
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'factorize');
    if (a) jobs.push({ layer: l.name, settings: factorizeSettings(a) });
  }
  return {
    name: 'factorize',
    run: async (model: Model, ctx: PassContext) => {
      const res = await factorizeModel(model, jobs, ctx.samples, (d, t) => ctx.progress?.('factorize', d, t));
      let changed = false;
      for (const [i, o] of res.entries()) {
        const line = describeOutcome(o, jobs[i]!.settings.from);
        if (o.outcome.kind === 'skipped') {
          (ctx.warn ?? ctx.log)?.(line);
          continue;
        }
        changed = true;
        ctx.log?.(line);
        ctx.layerError[o.layer] = Math.max(ctx.layerError[o.layer] ?? 0, o.outcome.error);
        addParts(ctx, o.layer, o.outcome.parts);
      }
      return { changed };
    },
  };
}

registerLossyPass('factorize', factorizePass);
registerLossyPreview('factorize', factorizeSkips);
