// A plan with its ranges replaced by values: each unit takes one option (a candidate per knob),
// every other action stays as planned. Also the plans a search measures with: the reference (no
// lossy action at all) and one unit alone.

import { optionsText } from '../plan/options.ts';
import type { Plan } from '../plan/plan.ts';
import type { Candidate, Specializer } from './space.ts';
import { optionValues, type SearchUnit } from './units.ts';

/**
 * The plan where unit i takes option `choice[i]` (candidate indices per knob). `only`: layers outside
 * it lose every action (a unit measured alone); `none`: every action goes (the reference).
 */
export function choosePlan<P extends Plan>(
  plan: P,
  units: readonly SearchUnit[],
  choice: readonly (readonly number[])[],
  specializer: Specializer,
  scope: { only?: ReadonlySet<string>; none?: boolean } = {},
): P {
  const unitOf = new Map<string, number>();
  units.forEach((u, i) => {
    for (const l of u.layers) unitOf.set(l, i);
  });
  const layers = plan.layers.map((l) => {
    if (scope.none || (scope.only && !scope.only.has(l.name))) return { ...l, actions: [] };
    const i = unitOf.get(l.name);
    if (i === undefined) return l;
    const values = optionValues(units[i]!, choice[i]!);
    const actions = l.actions.map((a) => {
      const mine = new Map<string, Candidate>();
      for (const [k, c] of values) if (k.statement === a.statement) mine.set(k.option, c);
      if (!mine.size) return a;
      const statement = specializer.statement(a.statement, mine);
      return { ...a, statement, options: optionsText(statement.options) };
    });
    return { ...l, actions };
  });
  return { ...plan, layers };
}

/** Option index of a unit's choice (its candidate indices per knob) in unit.options. */
export function optionIndex(unit: SearchUnit, values: readonly number[]): number {
  return unit.options.findIndex((o) => o.every((v, i) => v === values[i]));
}
