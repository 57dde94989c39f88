// The uniform floor (compiler/search/floor.ts) on synthetic tables: it is the least lossy rung whose
// uniform choice fits every budget, and the allocation restricted to it takes no option lossier than
// that rung on any knob, fits the budgets, and has a summed sensitivity no worse than the uniform
// choice's (which stays among its options).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AllocationUnit, allocate } from '../../compiler/search/allocate.ts';
import { restrictToFloor, uniformFloor } from '../../compiler/search/floor.ts';
import type { Knob } from '../../compiler/search/space.ts';
import type { SearchUnit } from '../../compiler/search/units.ts';

const knob = (id: string, rungs: number) =>
  ({
    id,
    option: 'bits',
    candidates: Array.from({ length: rungs }, (_, i) => ({ text: `r${i}` })),
  }) as unknown as Knob;

function product(sizes: number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of sizes) out = out.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i]));
  return out;
}

/** Units of one or two knobs; an option's cost falls and its sensitivity rises with each rung. */
const table = fc
  .array(
    fc.record({
      rungs: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }),
      size: fc.integer({ min: 1, max: 50 }),
      weight: fc.double({ min: 0, max: 5, noNaN: true }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((rows) => {
    const units: SearchUnit[] = rows.map((r, u) => {
      const knobs = r.rungs.map((n, j) => knob(`u${u}k${j}`, n));
      return { id: `u${u}`, layers: [`u${u}`], knobs, options: product(r.rungs) };
    });
    const problem: AllocationUnit[] = rows.map((r, u) => ({
      options: units[u]!.options.map((o) => ({
        cost: [o.reduce((s, v) => s + r.size / 2 ** v, 0)],
        sensitivity: o.reduce((s, v) => s + r.weight * v * v, 0),
      })),
    }));
    return { units, problem };
  });

describe('uniform floor', () => {
  it('is the least lossy fitting rung; the allocation under it is never lossier and never worse', () => {
    fc.assert(
      fc.property(table, fc.double({ min: 0, max: 300, noNaN: true }), ({ units, problem }, budget) => {
        const floor = uniformFloor(units, problem, [budget]);
        const costAt = (choice: number[]) =>
          choice.reduce((s, o, u) => s + problem[u]!.options[o]!.cost[0]!, 0);
        if (!floor) {
          // not even the lossiest rung fits
          const rungs = Math.max(...units.flatMap((u) => u.knobs.map((k) => k.candidates.length)));
          const last = units.map((u) =>
            u.options.findIndex((o) =>
              o.every((v, j) => v === Math.min(rungs - 1, u.knobs[j]!.candidates.length - 1)),
            ),
          );
          expect(costAt(last)).toBeGreaterThan(budget);
          return;
        }
        expect(costAt(floor.choice)).toBeLessThanOrEqual(budget);
        if (floor.level > 0) {
          const above = units.map((u) =>
            u.options.findIndex((o) =>
              o.every((v, j) => v === Math.min(floor.level - 1, u.knobs[j]!.candidates.length - 1)),
            ),
          );
          expect(costAt(above)).toBeGreaterThan(budget);
        }
        const cut = restrictToFloor(units, problem, floor.level);
        const a = allocate(cut.problem, [budget]).best!;
        expect(a).toBeDefined();
        const choice = a.choice.map((o, u) => cut.original[u]![o]!);
        choice.forEach((o, u) => {
          units[u]!.options[o]!.forEach((v, j) => {
            expect(v).toBeLessThanOrEqual(Math.min(floor.level, units[u]!.knobs[j]!.candidates.length - 1));
          });
        });
        expect(costAt(choice)).toBeLessThanOrEqual(budget + 1e-9);
        const uniformSens = floor.choice.reduce((s, o, u) => s + problem[u]!.options[o]!.sensitivity, 0);
        expect(a.sensitivity).toBeLessThanOrEqual(uniformSens + 1e-9);
      }),
      { numRuns: 300, verbose: true },
    );
  });
});
