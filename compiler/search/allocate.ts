// Allocation: one option per unit (a layer, or layers that must move together) so that every cost
// budget holds and the summed sensitivity is least — a multiple-choice knapsack with one or more
// constraints. Solved by dynamic programming over Pareto sets: after each unit, the partial
// allocations that no other one beats on every cost and on sensitivity, minus those that cannot fit
// whatever the remaining units choose. Exact while the sets stay under `maxStates`; past it the set is
// thinned to the least sensitive allocation per cost bucket (each kept allocation still fits exactly,
// only optimality becomes approximate, and the result says so). Costs are sums in unit order, so a
// caller that adds them the same way gets the same figures.

export interface AllocationOption {
  /** Estimated loss of fidelity when the unit takes this option (additive across units). */
  sensitivity: number;
  /** One cost per constraint (may be negative: a saving against the base). */
  cost: readonly number[];
}

export interface AllocationUnit {
  options: readonly AllocationOption[];
}

export interface Allocation {
  /** Option index per unit. */
  choice: number[];
  sensitivity: number;
  /** Summed cost per constraint, added in unit order. */
  cost: number[];
}

export interface AllocationResult {
  /** The feasible allocation of least summed sensitivity (undefined when none fits). */
  best?: Allocation;
  /**
   * Every feasible allocation no other beats on all costs and sensitivity, by the first cost
   * (cheapest first, so sensitivity falls along it).
   */
  frontier: Allocation[];
  /** False when the sets were thinned (the best is then near-optimal, not proven optimal). */
  exact: boolean;
  /** Per constraint, the least total any allocation reaches (for "cannot be met" messages). */
  least: number[];
}

interface State {
  cost: number[];
  sensitivity: number;
  /** Choices as a persistent list (last unit first). */
  path: Path | undefined;
}
interface Path {
  option: number;
  rest: Path | undefined;
}

function dominates(a: State, b: State): boolean {
  if (a.sensitivity > b.sensitivity) return false;
  for (let k = 0; k < a.cost.length; k++) if (a.cost[k]! > b.cost[k]!) return false;
  return true;
}

/** The states no other state dominates (ties: the first in cost order stays). */
function paretoSet(states: State[]): State[] {
  states.sort((a, b) => a.cost[0]! - b.cost[0]! || a.sensitivity - b.sensitivity || cmpCosts(a, b));
  const kept: State[] = [];
  if (states.length && states[0]!.cost.length === 1) {
    let least = Number.POSITIVE_INFINITY;
    for (const s of states)
      if (s.sensitivity < least) {
        kept.push(s);
        least = s.sensitivity;
      }
    return kept;
  }
  for (const s of states) if (!kept.some((k) => dominates(k, s))) kept.push(s);
  return kept;
}

function cmpCosts(a: State, b: State): number {
  for (let k = 1; k < a.cost.length; k++) if (a.cost[k] !== b.cost[k]) return a.cost[k]! - b.cost[k]!;
  return 0;
}

/**
 * At most `max` states: the cost range of the first constraint in equal buckets, the least sensitive
 * state of each, plus for every constraint the state that spends least on it (so feasibility of the
 * remaining units is never lost by thinning).
 */
function thin(states: State[], max: number): State[] {
  const lo = states[0]!.cost[0]!;
  const hi = states[states.length - 1]!.cost[0]!;
  const width = (hi - lo) / max || 1;
  const keep = new Set<State>();
  const best = new Map<number, State>();
  for (const s of states) {
    const b = Math.min(max - 1, Math.floor((s.cost[0]! - lo) / width));
    const cur = best.get(b);
    if (!cur || s.sensitivity < cur.sensitivity) best.set(b, s);
  }
  for (const s of best.values()) keep.add(s);
  for (let k = 0; k < states[0]!.cost.length; k++)
    keep.add(states.reduce((m, s) => (s.cost[k]! < m.cost[k]! ? s : m)));
  return states.filter((s) => keep.has(s));
}

/**
 * The remaining-cost bound sums in another order than the final costs, so rounding can put a state
 * that fits exactly a hair over it: the bound gets a relative slack, and the exact check at the end
 * drops what the slack let through.
 */
function boundSlack(cost: number, after: number, budget: number): number {
  return 1e-9 * (Math.abs(cost) + Math.abs(after) + Math.abs(budget));
}

function choices(p: Path | undefined, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = p!.option;
    p = p!.rest;
  }
  return out;
}

/**
 * The least sensitive choice per unit with Σ cost[k] ≤ budgets[k] for every k (budgets may be
 * +Infinity). Units without options are an error of the caller.
 */
export function allocate(
  units: readonly AllocationUnit[],
  budgets: readonly number[],
  options: { maxStates?: number } = {},
): AllocationResult {
  const K = budgets.length;
  if (K === 0) throw new Error('allocate needs at least one cost (use a zero cost for none)');
  const maxStates = options.maxStates ?? 4000;
  for (const [i, u] of units.entries()) {
    if (!u.options.length) throw new Error(`unit ${i} has no options`);
    for (const o of u.options)
      if (o.cost.length !== K) throw new Error(`unit ${i}: ${o.cost.length} costs for ${K} budgets`);
  }
  // least cost the units from i on can still spend, per constraint
  const rest: number[][] = Array.from({ length: units.length + 1 }, () => new Array<number>(K).fill(0));
  for (let i = units.length - 1; i >= 0; i--)
    for (let k = 0; k < K; k++)
      rest[i]![k] = rest[i + 1]![k]! + Math.min(...units[i]!.options.map((o) => o.cost[k]!));
  const least = rest[0]!.slice();
  let exact = true;
  let states: State[] = [{ cost: new Array<number>(K).fill(0), sensitivity: 0, path: undefined }];
  for (let i = 0; i < units.length; i++) {
    const next: State[] = [];
    const after = rest[i + 1]!;
    for (const s of states) {
      units[i]!.options.forEach((o, j) => {
        const cost = s.cost.map((c, k) => c + o.cost[k]!);
        for (let k = 0; k < K; k++)
          if (cost[k]! + after[k]! > budgets[k]! + boundSlack(cost[k]!, after[k]!, budgets[k]!)) return;
        next.push({ cost, sensitivity: s.sensitivity + o.sensitivity, path: { option: j, rest: s.path } });
      });
    }
    states = paretoSet(next);
    if (states.length > maxStates) {
      states = thin(states, maxStates);
      exact = false;
    }
    if (!states.length) break;
  }
  // the remaining-cost bound can admit states whose exact sum still exceeds a budget by rounding
  const feasible = states.filter((s) => s.cost.every((c, k) => c <= budgets[k]!));
  const frontier = feasible.map((s) => ({
    choice: choices(s.path, units.length),
    sensitivity: s.sensitivity,
    cost: s.cost,
  }));
  const best = frontier.reduce<Allocation | undefined>(
    (m, a) => (!m || a.sensitivity < m.sensitivity ? a : m),
    undefined,
  );
  return { ...(best ? { best } : {}), frontier, exact, least };
}
