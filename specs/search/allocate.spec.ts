// The allocation (a multiple-choice knapsack over per-unit options): on synthetic sensitivity tables
// it never exceeds a budget, and on small tables it finds the same least summed sensitivity as trying
// every combination; thinned (large) tables stay feasible.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AllocationUnit, allocate } from '../../compiler/search/allocate.ts';

const option = (k: number) =>
  fc.record({
    sensitivity: fc.double({ min: 0, max: 10, noNaN: true }),
    cost: fc.array(
      fc.oneof(fc.integer({ min: -40, max: 100 }), fc.double({ min: -5, max: 50, noNaN: true })),
      {
        minLength: k,
        maxLength: k,
      },
    ),
  });
const units = (k: number, maxUnits: number, maxOptions: number) =>
  fc.array(fc.record({ options: fc.array(option(k), { minLength: 1, maxLength: maxOptions }) }), {
    minLength: 1,
    maxLength: maxUnits,
  });

/** Σ cost per constraint in unit order, as the allocation adds them. */
function totals(us: AllocationUnit[], choice: number[], k: number): number[] {
  const out = new Array<number>(k).fill(0);
  us.forEach((u, i) => {
    u.options[choice[i]!]!.cost.forEach((c, j) => {
      out[j]! += c;
    });
  });
  return out;
}

function bruteForce(us: AllocationUnit[], budgets: number[]): number | undefined {
  let best: number | undefined;
  const choice = us.map(() => 0);
  const walk = (i: number) => {
    if (i === us.length) {
      if (totals(us, choice, budgets.length).some((c, k) => c > budgets[k]!)) return;
      const s = us.reduce((a, u, j) => a + u.options[choice[j]!]!.sensitivity, 0);
      if (best === undefined || s < best) best = s;
      return;
    }
    for (let o = 0; o < us[i]!.options.length; o++) {
      choice[i] = o;
      walk(i + 1);
    }
  };
  walk(0);
  return best;
}

describe('allocate', () => {
  for (const k of [1, 2]) {
    it(`finds the least summed sensitivity within ${k} budget${k > 1 ? 's' : ''} (brute force on small tables)`, () => {
      fc.assert(
        fc.property(
          units(k, 6, 4),
          fc.array(fc.double({ min: -50, max: 300, noNaN: true }), { minLength: k, maxLength: k }),
          (us, budgets) => {
            const r = allocate(us, budgets);
            expect(r.exact).toBe(true);
            const want = bruteForce(us, budgets);
            if (want === undefined) {
              expect(r.best).toBeUndefined();
              return;
            }
            expect(r.best).toBeDefined();
            const got = r.best!;
            expect(totals(us, got.choice, k)).toEqual(got.cost);
            got.cost.forEach((c, j) => {
              expect(c).toBeLessThanOrEqual(budgets[j]!);
            });
            expect(got.sensitivity).toBeCloseTo(want, 9);
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('keeps a choice that fits only because the summation order cancels exactly (seed -1004111273)', () => {
    const us = [
      { options: [{ sensitivity: 0, cost: [35] }] },
      { options: [{ sensitivity: 0, cost: [-35] }] },
      {
        options: [
          { sensitivity: 0, cost: [-5e-324] },
          { sensitivity: 0, cost: [0] },
        ],
      },
    ];
    const r = allocate(us, [-5e-324]);
    expect(r.best?.choice).toEqual([0, 0, 0]);
  });

  it('never exceeds a budget when the Pareto sets are thinned (large tables)', () => {
    fc.assert(
      fc.property(
        units(1, 60, 5),
        fc.double({ min: 0, max: 3000, noNaN: true }),
        fc.integer({ min: 4, max: 40 }),
        (us, budget, maxStates) => {
          const thinned = allocate(us, [budget], { maxStates });
          const full = allocate(us, [budget], { maxStates: 100_000 });
          expect(thinned.best === undefined).toBe(full.best === undefined);
          for (const a of thinned.frontier) {
            expect(totals(us, a.choice, 1)[0]).toBeLessThanOrEqual(budget);
          }
          if (full.best)
            expect(thinned.best!.sensitivity).toBeGreaterThanOrEqual(full.best.sensitivity - 1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('spends the budget exactly when the least sensitive allocation needs all of it', () => {
    // four layers of 10k weights, bits 8/4/2 as byte costs, sensitivity weight·2^-bits; a budget of
    // 20 bytes per weight-layer-unit is met to the byte by the best allocation
    const us: AllocationUnit[] = [3, 1, 5, 2].map((weight) => ({
      options: [8, 4, 2].map((b) => ({ sensitivity: weight * 2 ** -b, cost: [b * 10_000] })),
    }));
    const r = allocate(us, [20 * 10_000]);
    expect(r.best!.cost[0]).toBe(20 * 10_000);
    expect(r.best!.sensitivity).toBeCloseTo(bruteForce(us, [20 * 10_000])!, 12);
  });

  it('reports the frontier cheapest first, sensitivity falling', () => {
    const us: AllocationUnit[] = Array.from({ length: 5 }, (_, i) => ({
      options: [0.1, 0.3, 0.6].map((p) => ({ sensitivity: (i + 1) * p * p, cost: [100 * (1 - p)] })),
    }));
    const r = allocate(us, [Number.POSITIVE_INFINITY]);
    for (let i = 1; i < r.frontier.length; i++) {
      expect(r.frontier[i]!.cost[0]).toBeGreaterThan(r.frontier[i - 1]!.cost[0]!);
      expect(r.frontier[i]!.sensitivity).toBeLessThan(r.frontier[i - 1]!.sensitivity);
    }
    expect(r.least[0]).toBeCloseTo(5 * 40, 9);
  });
});
