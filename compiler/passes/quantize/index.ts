// The quantize passes: `quantize weights` (weights.ts: int8/int4/2-bit behind DequantizeLinear) and
// `quantize activations` (activations.ts: static QDQ calibrated on the samples). Options: options.ts.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Pass, PassContext } from '../../engine/pass.ts';
import { upgradeOpset } from '../../opset/convert.ts';
import { registerLossyPass } from '../../plan/lower.ts';
import type { Plan } from '../../plan/plan.ts';
import { quantizeActivationsPass } from './activations.ts';
import { type WeightSettings, weightSettings } from './options.ts';
import { nodesByLayer, quantizeLayerWeight } from './weights.ts';

export { quantizeActivationsPass } from './activations.ts';
export {
  type ActivationSettings,
  activationSettings,
  type WeightSettings,
  weightSettings,
} from './options.ts';
export { nodesByLayer, quantizeLayerWeight } from './weights.ts';

export function quantizeWeightsPass(plan: Plan): Pass {
  const jobs: { layer: string; s: WeightSettings }[] = [];
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'quantize-weights');
    if (a) jobs.push({ layer: l.name, s: weightSettings(a) });
  }
  return {
    name: 'quantize-weights',
    run: (model: Model, ctx: PassContext) => {
      if ((model.opset('') ?? 0) < 13) upgradeOpset(model, 13);
      // Blocked/int4 layers raise the opset to 21 themselves (quantizeLayerWeight).
      const byLayer = nodesByLayer(model);
      let changed = false;
      for (const { layer, s } of jobs) {
        const n = byLayer.get(layer);
        const r = n ? quantizeLayerWeight(model, n, s) : 'no such node';
        if (typeof r === 'string') {
          (ctx.warn ?? ctx.log)?.(`${s.from}: quantize weights skipped ${layer}: ${r}`);
          continue;
        }
        changed = true;
        ctx.layerError[layer] = Math.max(ctx.layerError[layer] ?? 0, r);
      }
      return { changed };
    },
  };
}

registerLossyPass('quantize-weights', quantizeWeightsPass);
registerLossyPass('quantize-activations', quantizeActivationsPass);
