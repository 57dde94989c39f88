// A plan's ranges at their ends: plan-time checks and previews read single values, so a plan with
// ranges is checked as two plans, every range at its least lossy end and every range at its most
// lossy end (values between them pass a check the ends pass for the options checks look at).

import type { Plan } from '../plan/plan.ts';
import { choosePlan } from './choose.ts';
import { knobsOf, Specializer } from './space.ts';
import { searchUnits } from './units.ts';

/** [plan] without ranges, else the plan at the least lossy ends and at the most lossy ends. */
export function rangeEnds<P extends Plan>(plan: P): P[] {
  const knobs = knobsOf(plan.layers, 2);
  if (!knobs.length) return [plan];
  // every unit at the same end: coupling channel groups (search.ts) would not change these plans
  const units = searchUnits(plan.layers, knobs);
  const specializer = new Specializer();
  const at = (end: 'first' | 'last') =>
    units.map((u) => u.knobs.map((k) => (end === 'first' ? 0 : k.candidates.length - 1)));
  return [
    choosePlan(plan, units, at('first'), specializer),
    choosePlan(plan, units, at('last'), specializer),
  ];
}
