// The uniform floor of a search: the least lossy setting all units can share — every knob at the same
// rung of its ladder — whose estimated costs fit the budgets. An allocation restricted to options no
// lossier than that rung changes no layer for the worse against the uniform setting, so where
// fidelity only falls with lossier options it keeps at least the uniform setting's fidelity, and
// spends what the budget leaves on the layers the measurements call sensitive. The additive estimate
// alone can prefer a mix of extremes (rec: 2- and 8-bit layers at 12% of the file, 25/48 lines read
// alike, where every layer at 4 bits took 9.6% and kept 41/48): the search compiles both and keeps
// the one whose measured error on the fitting samples is least.

import type { AllocationUnit } from './allocate.ts';
import type { SearchUnit } from './units.ts';

/** The option of `unit` with every knob at rung `level` (its last rung where the ladder is shorter). */
function optionAt(unit: SearchUnit, level: number): number {
  const want = unit.knobs.map((k) => Math.min(level, k.candidates.length - 1));
  return unit.options.findIndex((o) => o.every((v, j) => v === want[j]));
}

/**
 * The least lossy rung whose uniform allocation fits every budget by the estimate (costs summed in
 * unit order, as the allocation sums them), with that allocation's option per unit; undefined when no
 * rung fits.
 */
export function uniformFloor(
  units: readonly SearchUnit[],
  problem: readonly AllocationUnit[],
  budgets: readonly number[],
): { level: number; choice: number[] } | undefined {
  const rungs = Math.max(0, ...units.flatMap((u) => u.knobs.map((k) => k.candidates.length)));
  for (let level = 0; level < rungs; level++) {
    const choice = units.map((u) => optionAt(u, level));
    const cost = budgets.map(() => 0);
    for (const [u, o] of choice.entries())
      problem[u]!.options[o]!.cost.forEach((c, k) => {
        cost[k]! += c;
      });
    if (cost.every((c, k) => c <= budgets[k]!)) return { level, choice };
  }
  return undefined;
}

/**
 * The problem with each unit's options cut to those no lossier than rung `level` on every knob, and
 * per unit the original index of each option kept.
 */
export function restrictToFloor(
  units: readonly SearchUnit[],
  problem: readonly AllocationUnit[],
  level: number,
): { problem: AllocationUnit[]; original: number[][] } {
  const original = units.map((u) =>
    u.options.flatMap((o, i) =>
      o.every((v, j) => v <= Math.min(level, u.knobs[j]!.candidates.length - 1)) ? [i] : [],
    ),
  );
  return {
    problem: problem.map((p, u) => ({ options: original[u]!.map((i) => p.options[i]!) })),
    original,
  };
}
