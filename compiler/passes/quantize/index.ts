// The quantize passes: `quantize weights` (weights.ts: int8/int4/2-bit behind DequantizeLinear; method
// gptq: gptq-layer.ts with Hessians from the calibration samples) and
// `quantize activations` (activations.ts: static QDQ calibrated on the samples). Options: options.ts.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { nodesByLayer, type Pass, type PassContext, withParts } from '../../engine/pass.ts';
import type { Matrix } from '../../linalg/matrix.ts';
import { upgradeOpset } from '../../opset/convert.ts';
import { registerLossyCheck, registerLossyPass } from '../../plan/lower.ts';
import type { Plan } from '../../plan/plan.ts';
import { quantizeActivationsPass } from './activations.ts';
import { inputMeans } from './bias-correct.ts';
import { quantizeChecks } from './checks.ts';
import { gptqHessians } from './gptq-layer.ts';
import { type WeightSettings, weightSettings } from './options.ts';
import { type LayerData, quantizeLayerWeight } from './weights.ts';

export { quantizeActivationsPass } from './activations.ts';
export { gptqHessians, gptqLayer } from './gptq-layer.ts';
export {
  type ActivationSettings,
  activationSettings,
  type WeightSettings,
  weightSettings,
} from './options.ts';
export { quantizeLayerWeight } from './weights.ts';

/** Bias correction on calibration data after weight quantization (on by default; off for comparisons). */
export function quantizeWeightsPass(plan: Plan, biasCorrection = true): Pass {
  // Layers whose activations are quantized too (`activations`) get no bias correction: on PP-OCRv4 det
  // (int8 weights and activations, mse calibration) it took the mean text-map IoU from 0.962 to 0.835,
  // while it helps weight-only quantization (det 0.991 → 0.995, rec-int4 40 → 43 of 48 lines).
  const planned: { layer: string; s: WeightSettings; activations: boolean }[] = [];
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'quantize-weights');
    const activations = l.actions.some((x) => x.kind === 'quantize-activations');
    if (a) planned.push({ layer: l.name, s: weightSettings(a), activations });
  }
  return {
    name: 'quantize-weights',
    run: async (model: Model, ctx: PassContext) => {
      // parts of a factorized layer take its job (settings and activation flag)
      const jobs = withParts(planned, ctx);
      if ((model.opset('') ?? 0) < 13) upgradeOpset(model, 13);
      // Blocked/int4 layers raise the opset to 21 themselves (quantizeLayerWeight).
      const byLayer = nodesByLayer(model);
      // GPTQ: every gptq layer's Hessian from the model as it is before this pass quantizes anything.
      const gptqJobs = jobs.filter((j) => j.s.method === 'gptq');
      let hessians = new Map<Node, Matrix[]>();
      if (gptqJobs.length) {
        if (!ctx.samples?.length)
          throw new Error(`${gptqJobs[0]!.s.from}: method gptq without samples passed the checks`);
        const g = model.graph;
        const nodes = gptqJobs
          .map((j) => byLayer.get(j.layer))
          .filter((n): n is Node => !!n && g.constant(n.inputs[1] ?? '')?.dtype === 'float32');
        const samples = ctx.samples;
        hessians = await byLayerName(ctx, 'gptq-hessians', nodes, byLayer, (todo) =>
          gptqHessians(model, todo, samples, (d, t) =>
            ctx.progress?.('quantize weights: gptq calibration', d, t),
          ),
        );
      }
      // Bias correction whenever calibration data exists (the recipe has no option for it), except on
      // layers whose activations are quantized as well (see planned).
      let means = new Map<Node, Float64Array>();
      if (ctx.samples?.length && biasCorrection) {
        const g = model.graph;
        const nodes = jobs
          .filter((j) => !j.activations)
          .map((j) => byLayer.get(j.layer))
          .filter((n): n is Node => !!n && g.constant(n.inputs[1] ?? '')?.dtype === 'float32');
        const samples = ctx.samples;
        means = await byLayerName(ctx, 'input-means', nodes, byLayer, (todo) =>
          inputMeans(model, todo, samples),
        );
      }
      let corrected = 0;
      let changed = false;
      for (const { layer, s } of jobs) {
        const n = byLayer.get(layer);
        const data: LayerData = {
          ...(n && hessians.get(n) ? { hs: hessians.get(n) } : {}),
          ...(n && means.get(n) ? { mean: means.get(n) } : {}),
        };
        if (plan.settings.opset !== undefined) data.maxOpset = plan.settings.opset;
        const r = n ? quantizeLayerWeight(model, n, s, data) : 'no such node';
        if (data.corrected) corrected++;
        if (data.widened) (ctx.warn ?? ctx.log)?.(`${s.from}: quantize weights ${layer}: ${data.widened}`);
        if (typeof r === 'string') {
          (ctx.warn ?? ctx.log)?.(`${s.from}: quantize weights skipped ${layer}: ${r}`);
          continue;
        }
        changed = true;
        ctx.layerError[layer] = Math.max(ctx.layerError[layer] ?? 0, r);
      }
      if (corrected) {
        (ctx.warn ?? ctx.log)?.(
          `${jobs[0]!.s.from}: quantize weights: bias correction applied to ${corrected} layer${corrected === 1 ? '' : 's'} (each output's mean on the calibration data shifted back)`,
        );
      }
      return { changed };
    },
  };
}

/**
 * Per-node calibration facts through the search's solve cache (keyed by layer name, so another
 * candidate run's nodes find them); only the nodes not cached yet are computed.
 */
async function byLayerName<T>(
  ctx: PassContext,
  what: string,
  nodes: Node[],
  byLayer: Map<string, Node>,
  compute: (nodes: Node[]) => Promise<Map<Node, T>>,
): Promise<Map<Node, T>> {
  const nameOf = new Map([...byLayer].map(([name, n]) => [n, name]));
  const key = (n: Node) => `${what}:${nameOf.get(n) ?? n.name}`;
  const todo = ctx.cache ? nodes.filter((n) => !ctx.cache!.has(key(n))) : nodes;
  const fresh = todo.length ? await compute(todo) : new Map<Node, T>();
  if (!ctx.cache) return fresh;
  for (const [n, v] of fresh) ctx.cache.set(key(n), v);
  return new Map(nodes.filter((n) => ctx.cache!.has(key(n))).map((n) => [n, ctx.cache!.get(key(n)) as T]));
}

registerLossyPass('quantize-weights', (plan) => quantizeWeightsPass(plan));
registerLossyCheck('quantize-weights', quantizeChecks);
registerLossyPass('quantize-activations', quantizeActivationsPass);
