// From measurements to an allocation problem: each unit's options (a candidate per knob) with their
// sensitivity and costs, added knob by knob from the least lossy option (exact for one knob; for
// several, the sum of each knob's change), and one budget per cost target: the target less what
// the base model spends outside the units.

import type { AllocationUnit } from './allocate.ts';
import type { CostMetric, Costs } from './costs.ts';
import type { Measurements, Point } from './measure.ts';
import type { SearchUnit } from './units.ts';

/** How a point's measured scores become one sensitivity figure. */
export interface SensitivityRule {
  /** Add 1 − agreement (a target names the task metric and the outputs are class scores). */
  agreement: boolean;
}

export function sensitivityOf(p: Point, rule: SensitivityRule): number {
  const a = rule.agreement && p.score.agreement !== undefined ? 1 - p.score.agreement : 0;
  return p.score.error + a;
}

/** A unit's option: its summed sensitivity and costs (from the base, knob by knob). */
export function optionFigures(
  m: Measurements,
  u: number,
  unit: SearchUnit,
  option: readonly number[],
  rule: SensitivityRule,
): { sensitivity: number; costs: Costs } {
  const rows = m.points[u]!;
  const base = rows[0]![0]!;
  let sensitivity = sensitivityOf(base, rule);
  const costs: Costs = { ...base.costs };
  unit.knobs.forEach((_, j) => {
    const p = rows[j]![option[j]!]!;
    sensitivity += sensitivityOf(p, rule) - sensitivityOf(base, rule);
    for (const k of Object.keys(costs) as CostMetric[]) costs[k] += p.costs[k] - base.costs[k];
  });
  return { sensitivity: Math.max(0, sensitivity), costs };
}

/** Allocation units over the given cost metrics (their order is the budgets' order). */
export function allocationUnits(
  m: Measurements,
  units: readonly SearchUnit[],
  metrics: readonly CostMetric[],
  rule: SensitivityRule,
): AllocationUnit[] {
  return units.map((unit, u) => ({
    options: unit.options.map((o) => {
      const f = optionFigures(m, u, unit, o, rule);
      return { sensitivity: f.sensitivity, cost: metrics.map((k) => f.costs[k]) };
    }),
  }));
}
