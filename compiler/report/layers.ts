// The report's per-layer rows: parameters and bytes before and after, the actions each layer got,
// the error its lossy passes measured, and the layer a split part belongs to.

import type { ModelPlan } from '../plan/model-plan.ts';
import type { measure } from './stats.ts';
import type { LayerReport } from './types.ts';

export function layerReports(
  plan: ModelPlan,
  before: ReturnType<typeof measure>,
  after: ReturnType<typeof measure>,
  errors: Record<string, number>,
  parts: Map<string, string[]> = new Map(),
): LayerReport[] {
  const actions = new Map(plan.layers.map((l) => [l.name, l.actions.map((a) => `${a.action} (${a.from})`)]));
  const partOf = new Map([...parts].flatMap(([layer, ps]) => ps.map((p) => [p, layer] as const)));
  const out: LayerReport[] = [];
  const names = new Set([...before.layers.keys(), ...after.layers.keys()]);
  for (const name of names) {
    const b = before.layers.get(name);
    const a = after.layers.get(name);
    if (!(b?.params || a?.params)) continue;
    const parent = partOf.get(name);
    out.push({
      name,
      op: (b ?? a)!.op,
      actions: actions.get(parent ?? name) ?? [],
      params_before: b?.params ?? 0,
      params_after: a?.params ?? 0,
      bytes_before: b?.bytes ?? 0,
      bytes_after: a?.bytes ?? 0,
      error: errors[name] ?? 0,
      ...(parent ? { part_of: parent } : {}),
    });
  }
  return out;
}
