// Plan-time preview of the factorize pass: which selected layers it would skip (no params/FLOPs saved),
// found by factorizing a copy of the model with the weights' spectrum (the rank data-aware runs pick too).

import type { Model } from '../../../runtime/ir/model.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import type { Plan } from '../../plan/plan.ts';
import { factorizeNow, type LayerOutcome } from './index.ts';
import { type FactorizeSettings, factorizeSettings } from './options.ts';

/** Selected layers the factorize pass would leave as they are, with why (plan near-misses). */
export function factorizeSkips(
  model: Model,
  plan: Plan,
): { layer: string; statement: string; from: string; reason: string }[] {
  const jobs: { layer: string; settings: FactorizeSettings }[] = [];
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'factorize');
    if (a) jobs.push({ layer: l.name, settings: { ...factorizeSettings(a), dataAware: false } });
  }
  if (!jobs.length) return [];
  const res: LayerOutcome[] = factorizeNow(cloneModel(model), jobs);
  return res.flatMap((o, i) =>
    o.outcome.kind === 'skipped'
      ? [
          {
            layer: o.layer,
            statement: 'factorize',
            from: jobs[i]!.settings.from,
            reason: `skipped: ${o.outcome.reason}`,
          },
        ]
      : [],
  );
}
