// The search's part of the compile report (ARCHITECTURE.md "Report additions"). Shapes, for the
// HTML report and scripts:
//
//   layers[].chosen       { [option]: value as written }            e.g. { "bits": "4" }
//   layers[].sensitivity  [{ option, value, text, sensitivity, error, agreement?, size, params, flops,
//                            latency_ms?, measured }]               one row per knob and candidate,
//                            least lossy first; `sensitivity` is what the allocation summed
//                            (error = relative output noise Σ(y−ŷ)²/Σy² with that layer alone
//                            changed, on the fitting samples; + 1 − agreement where a target names
//                            agreement); size/params/flops/latency_ms are the unit's own costs;
//                            value: the candidate as a number (30 for 30%; ternary 1.58, binary 1),
//                            text: as written; measured: tensors | model | estimated
//   layers[].unit          the unit id when layers move together (channel group, scope global)
//   search                 { knobs[{from, option, candidates[]}], units, points, measured{tensors,
//                            model, estimated}, pipelines, sample_runs, metrics[], frontier[{size?,
//                            params?, flops?, latency?, sensitivity}], chosen{same}, tries[{why,
//                            estimate{}, sensitivity, fit_error?, achieved{}, met}], floor?{setting,
//                            tried}, exact, time_ms, budget_ms }
//     frontier: the allocations no other beats on every cost and sensitivity, cheapest first
//     (cost per metric as a whole-model estimate: bytes, count, ms); chosen: the allocation the result
//     took, on the same axes; tries: each whole compile, in
//     order, with the estimate the allocation made and what the compile measured per target.

import type { Allocation } from './allocate.ts';
import type { CostMetric, Costs } from './costs.ts';
import type { Measurements } from './measure.ts';
import { type SensitivityRule, sensitivityOf } from './problem.ts';
import type { Compiled } from './search.ts';
import type { Knob } from './space.ts';
import type { SearchUnit } from './units.ts';

export interface SensitivityRow {
  option: string;
  /** The candidate as a number (30 for 30%; ternary 1.58, binary 1). */
  value: number;
  /** The candidate as written (`30%`, `4`, `ternary`). */
  text: string;
  sensitivity: number;
  error: number;
  agreement?: number;
  size: number;
  params: number;
  flops: number;
  latency_ms?: number;
  measured: 'tensors' | 'model' | 'estimated';
}

export interface SearchLayer {
  chosen: Record<string, string>;
  sensitivity: SensitivityRow[];
  unit?: string;
}

/** An allocation as a point: its whole-model cost estimate per bounded metric and summed sensitivity. */
export type FrontierPoint = Partial<Record<CostMetric, number>> & { sensitivity: number };

export interface SearchReport {
  knobs: { from: string; option: string; candidates: string[] }[];
  units: number;
  /** Unit × knob × candidate points measured or estimated. */
  points: number;
  measured: { tensors: number; model: number; estimated: number };
  pipelines: number;
  sample_runs: number;
  metrics: CostMetric[];
  frontier: FrontierPoint[];
  /** The allocation the result took (absent when nothing was allocated). */
  chosen?: FrontierPoint;
  tries: {
    why: string;
    estimate: Partial<Record<CostMetric, number>>;
    sensitivity: number;
    /** Measured error on the fitting samples, which ranks tries that meet every target. */
    fit_error?: number;
    achieved: Record<string, number | null>;
    met: boolean;
  }[];
  /**
   * The least lossy uniform setting that fits the budgets by the estimate; `tried`: whether the
   * allocation held to it was a compile of its own (false when an earlier try already was that one).
   */
  floor?: { setting: string; tried: boolean };
  /** False when the allocation thinned its Pareto sets (near-optimal rather than proven optimal). */
  exact: boolean;
  time_ms: number;
  budget_ms: number;
}

/** One whole compile the search made. */
export interface Try {
  why: string;
  choice: number[];
  estimate: Costs;
  sensitivity: number;
  compiled: Compiled;
  /** Its measured error on the fitting samples (relative output noise, plus 1 − agreement where ranked so). */
  fitError?: number;
}

const pick = (c: Costs, metrics: readonly CostMetric[]) =>
  Object.fromEntries(metrics.map((k) => [k, Math.round(c[k] * 1000) / 1000])) as Partial<
    Record<CostMetric, number>
  >;

export function searchSection(
  input: { settings: { budgetMs: number }; plan: { settings: { targets: { metric: string }[] } } },
  knobs: Knob[],
  units: SearchUnit[],
  m: Measurements,
  tries: Try[],
  frontier: Allocation[],
  exact: boolean,
  t0: number,
  metrics: CostMetric[],
  offset: Costs,
  chosen?: Allocation,
): SearchReport {
  const point = (a: Allocation): FrontierPoint => ({
    ...Object.fromEntries(metrics.map((k, i) => [k, a.cost[i]! + offset[k]])),
    sensitivity: a.sensitivity,
  });
  const all = m.points.flat(2);
  const count = (how: string) => all.filter((p) => p.how === how).length;
  const targets = input.plan.settings.targets;
  return {
    knobs: knobs.map((k) => ({
      from: k.from,
      option: k.option,
      candidates: k.candidates.map((c) => c.text),
    })),
    units: units.length,
    points: all.length,
    measured: { tensors: count('tensors'), model: count('model'), estimated: count('estimated') },
    pipelines: m.runs.pipelines,
    sample_runs: m.runs.probes,
    metrics,
    frontier: frontier.map(point),
    ...(chosen ? { chosen: point(chosen) } : {}),
    tries: tries.map((t) => ({
      why: t.why,
      estimate: pick(t.estimate, metrics),
      sensitivity: t.sensitivity,
      ...(t.fitError === undefined ? {} : { fit_error: t.fitError }),
      achieved: Object.fromEntries(t.compiled.targets.map((r, i) => [targets[i]!.metric, r.achieved])),
      met: t.compiled.targets.every((r) => r.met),
    })),
    exact,
    time_ms: Math.round(performance.now() - t0),
    budget_ms: input.settings.budgetMs,
  };
}

/** Per layer: the values chosen and the sensitivity rows that led to them. */
export function searchLayers(
  units: SearchUnit[],
  choice: number[],
  m: Measurements,
  rule: SensitivityRule,
): Map<string, SearchLayer> {
  const out = new Map<string, SearchLayer>();
  units.forEach((u, i) => {
    const option = u.options[choice[i]!]!;
    const chosen = Object.fromEntries(u.knobs.map((k, j) => [k.option, k.candidates[option[j]!]!.text]));
    const sensitivity = u.knobs.flatMap((k, j) =>
      k.candidates.map((c, ci) => {
        const p = m.points[i]![j]![ci]!;
        return {
          option: k.option,
          value: c.value ?? (c.word === 'ternary' ? 1.58 : 1),
          text: c.text,
          sensitivity: sensitivityOf(p, rule),
          error: p.score.error,
          ...(p.score.agreement !== undefined ? { agreement: p.score.agreement } : {}),
          size: p.costs.size,
          params: p.costs.params,
          flops: p.costs.flops,
          ...(p.costs.latency ? { latency_ms: p.costs.latency } : {}),
          measured: p.how,
        };
      }),
    );
    for (const l of u.layers)
      out.set(l, { chosen, sensitivity, ...(u.layers.length > 1 ? { unit: u.id } : {}) });
  });
  return out;
}
