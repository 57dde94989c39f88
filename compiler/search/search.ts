// The search: measure every unit's sensitivity and costs, allocate one option per unit that meets
// every cost target at the least summed sensitivity, compile the whole model and check every target
// (fidelity on held-apart samples, after training when the recipe trains), then tighten — a cost
// target the estimate missed moves its budget by the miss; with fidelity targets and no cost target,
// a binary search along the frontier finds the smallest model that still holds them — until all
// hold or the budget runs out. With cost targets it also compiles the allocation that keeps every
// layer at least as exact as the least lossy uniform setting that fits (floor.ts; that setting
// itself when the held allocation misses a target), and of the tries
// that meet every target keeps the one with the least error measured on the fitting samples. Then
// it says which target failed and how close the best try came.

import { type Diagnostic, diag } from '../../dsl/diagnostics.ts';
import { UserError } from '../../runtime/errors.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Dim } from '../../runtime/ir/shape/index.ts';
import type { Sample } from '../data/calibration.ts';
import type { ModelPlan } from '../plan/model-plan.ts';
import type { TargetSpec } from '../plan/settings.ts';
import type { TargetReport } from '../report/types.ts';
import { type Allocation, allocate } from './allocate.ts';
import { choosePlan } from './choose.ts';
import { COST_METRICS, type CostMetric, type Costs } from './costs.ts';
import { coupledUnits } from './coupled.ts';
import { restrictToFloor, uniformFloor } from './floor.ts';
import { type Measurements, measureUnits } from './measure.ts';
import { openProbe, type Probe, type SearchEngine } from './probe.ts';
import { allocationUnits, type SensitivityRule } from './problem.ts';
import { type SearchLayer, type SearchReport, searchLayers, searchSection, type Try } from './report.ts';
import { knobsOf, Specializer } from './space.ts';

export interface SearchSettings {
  /** Values tried per knob (`search { candidates N }`). */
  candidates: number;
  /** Milliseconds the search may take (`search { budget D }`). */
  budgetMs: number;
}

export const DEFAULT_SEARCH: SearchSettings = { candidates: 5, budgetMs: 30 * 60_000 };

/** What one whole-model compile of a choice gives the search. */
export interface Compiled {
  /** In the order of plan.settings.targets. */
  targets: TargetReport[];
  /** Measured totals: size (file bytes), params, FLOPs, latency (ms; NaN when not measured). */
  totals: Costs;
  /** The model as written, scored on the fitting samples to compare tries (never held-apart ones). */
  model?: Model;
}

export interface SearchInput<T extends Compiled> {
  plan: ModelPlan;
  settings: SearchSettings;
  load: () => Model;
  copy: (m: Model) => Model;
  /** Fitting samples: sensitivities are measured on them (never the held-apart ones). */
  samples: Sample[];
  engine: SearchEngine;
  shapes: Record<string, Dim[]>;
  /** The original's totals (relative targets); latency in ms when a target bounds it. */
  original: Costs;
  /** Latency (ms) of a model in the engine, beside the original's, when a target bounds latency. */
  latencyOf?: (model: Model) => Promise<number>;
  /**
   * Compile the whole model by a plan (training included) and check every target. Absent: the
   * first allocation is the answer (`squish plan --explain --search`), nothing is compiled.
   */
  compile?: (plan: ModelPlan) => Promise<T>;
  progress?: (step: string, done: number, total: number) => void;
  log?: (line: string) => void;
  /** Lines worth showing while it searches (measured, allocated, compiled, best so far). */
  info?: (line: string) => void;
}

export interface SearchResult<T extends Compiled> {
  plan: ModelPlan;
  /** The whole compile of the chosen plan (absent when the search was not to compile). */
  compiled?: T;
  report: SearchReport;
  layers: Map<string, SearchLayer>;
  /** Set when some target could not be met: one SQ502 per missed target, with the closest result. */
  missed?: Diagnostic[];
}

const FIDELITY = new Set(['agreement', 'accuracy', 'cosine', 'snr']);
const isCost = (t: TargetSpec): t is TargetSpec & { metric: CostMetric } =>
  (COST_METRICS as readonly string[]).includes(t.metric);

/** The target as an absolute bound in the search's units (bytes, count, ms). */
function absolute(t: TargetSpec & { metric: CostMetric }, original: Costs): number {
  let v = t.value;
  if (t.metric === 'latency') v = t.relative ? v * original.latency : v * 1000;
  else if (t.relative) v *= original[t.metric];
  // strict bounds: a hair below
  return t.op === '<' ? v - Math.max(1e-9, Math.abs(v) * 1e-12) : v;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export async function searchPlan<T extends Compiled>(input: SearchInput<T>): Promise<SearchResult<T>> {
  const t0 = performance.now();
  const deadline = t0 + input.settings.budgetMs;
  const { plan } = input;
  const targets = plan.settings.targets;
  const costTargets = targets.filter(isCost);
  const fidelityTargets = targets.filter((t) => FIDELITY.has(t.metric));
  const knobs = knobsOf(plan.layers, input.settings.candidates);
  const specializer = new Specializer();
  const units = await coupledUnits(plan, knobs, input.load, input.samples, specializer);
  const rule: SensitivityRule = { agreement: fidelityTargets.some((t) => t.metric === 'agreement') };
  input.info?.(
    `search: ${units.length} unit${units.length === 1 ? '' : 's'}, ${knobs.map((k) => `${k.option} ${k.candidates.map((c) => c.text).join('/')}`).join('; ')}`,
  );
  const measured: Measurements = await measureUnits({
    plan,
    units,
    load: input.load,
    copy: input.copy,
    samples: input.samples,
    engine: input.engine,
    format: plan.settings.format,
    shapes: input.shapes,
    latency: costTargets.some((t) => t.metric === 'latency'),
    deadline: t0 + input.settings.budgetMs * 0.6,
    specializer,
    progress: input.progress,
    log: input.log,
  });
  input.info?.(
    `search: measured ${measured.runs.pipelines} pipeline runs, ${measured.runs.probes} sample runs${measured.runs.estimated ? `, ${measured.runs.estimated} points estimated (budget)` : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  // what the base spends outside the units, per metric (corrected by every compile)
  const baseTotals: Costs = {
    size: measured.base.fileBytes,
    params: measured.base.totals.params,
    flops: measured.base.totals.flops,
    latency: 0,
  };
  if (costTargets.some((t) => t.metric === 'latency')) {
    if (!input.latencyOf)
      throw new UserError(
        'target latency needs onnxruntime-node to time the model',
        'run squish compile from the command line (it hands onnxruntime-node to the compiler)',
      );
    baseTotals.latency = await input.latencyOf(measured.baseModel);
  }
  const offset = Object.fromEntries(
    COST_METRICS.map((k) => [k, baseTotals[k] - measured.unitsInBase[k]]),
  ) as Costs;
  // the metrics the allocation bounds; without cost targets, size orders the frontier
  const metrics: CostMetric[] = costTargets.length
    ? [...new Set(costTargets.map((t) => t.metric))]
    : ['size'];
  const bound = (k: CostMetric) =>
    Math.min(
      ...costTargets.filter((t) => t.metric === k).map((t) => absolute(t, input.original)),
      Number.POSITIVE_INFINITY,
    );
  const problem = allocationUnits(measured, units, metrics, rule);
  const estimate = (a: Allocation): Costs => {
    const c = { ...offset };
    metrics.forEach((k, i) => {
      c[k] += a.cost[i]!;
    });
    return c;
  };

  const optionsOf = (choice: number[]) => choice.map((o, u) => units[u]!.options[o]!);
  const tries: Try[] = [];
  let frontier: Allocation[] = [];
  let exact = true;
  let best: { a: Allocation; compiled: T; fit?: number } | undefined;
  let closest: { a: Allocation; compiled: T } | undefined;
  // each whole compile's error on the fitting samples, against the original (as sensitivities are)
  let probe: Probe | undefined;
  let floorNote: SearchReport['floor'];
  const fitError = async (c: Compiled): Promise<number | undefined> => {
    if (!c.model) return undefined;
    probe ??= await openProbe(input.engine, input.load(), [], input.samples, input.copy);
    const score = await probe.withModel(c.model);
    return score.error + (rule.agreement && score.agreement !== undefined ? 1 - score.agreement : 0);
  };
  const allocateNow = () => {
    const r = allocate(
      problem,
      metrics.map((k) => bound(k) - offset[k]),
    );
    frontier = r.frontier;
    exact &&= r.exact;
    return r;
  };
  const met = (c: Compiled) => c.targets.every((t) => t.met);
  const fidelityMet = (c: Compiled) => c.targets.every((t, i) => t.met || !FIDELITY.has(targets[i]!.metric));
  const costMissed = (c: Compiled) => targets.flatMap((t, i) => (isCost(t) && !c.targets[i]!.met ? [t] : []));
  const tryAllocation = async (a: Allocation, why: string): Promise<T> => {
    const chosen = choosePlan(
      plan,
      units,
      a.choice.map((o, u) => units[u]!.options[o]!),
      specializer,
    );
    input.progress?.('search: compile', tries.length, tries.length + 1);
    const compiled = await input.compile!(chosen);
    input.progress?.('search: compile', tries.length + 1, tries.length + 1);
    const fit = costTargets.length ? await fitError(compiled) : undefined;
    tries.push({
      why,
      choice: a.choice,
      estimate: estimate(a),
      sensitivity: a.sensitivity,
      compiled,
      ...(fit === undefined ? {} : { fitError: fit }),
    });
    const achieved = targets
      .map(
        (t, i) =>
          `${t.metric} ${fmtAchieved(t, compiled.targets[i]!.achieved)}${compiled.targets[i]!.met ? '' : ' (missed)'}`,
      )
      .join(', ');
    if (met(compiled) && (!best || better({ a, compiled, fit }, best))) best = { a, compiled, fit };
    if (!closest || closer(compiled, closest.compiled, targets)) closest = { a, compiled };
    input.info?.(
      `search: compile ${tries.length} (${why}): ${achieved}${best?.compiled === compiled ? ' — best so far' : ''}`,
    );
    return compiled;
  };
  // among tries that meet every target: with cost targets the least loss of fidelity wins (measured on
  // the fitting samples where both were, else estimated), with fidelity targets alone the smallest on
  // the first cost metric
  type Scored = { a: Allocation; compiled: Compiled; fit?: number };
  const better = (x: Scored, y: Scored) =>
    costTargets.length
      ? x.fit !== undefined && y.fit !== undefined
        ? x.fit < y.fit
        : x.a.sensitivity < y.a.sensitivity
      : x.compiled.totals[metrics[0]!] < y.compiled.totals[metrics[0]!];
  const timeLeft = () => performance.now() < deadline;

  let r = allocateNow();
  if (!r.best) {
    const lines = metrics.map((k, i) => {
      const least = r.least[i]! + offset[k];
      return `${k}: the least any choice reaches is ${fmtCost(k, least, input.original)} (target ${fmtCost(k, bound(k), input.original)})`;
    });
    throw new UserError(
      `search: no choice of the ranges meets ${costTargets.map((t) => `${t.where}: ${t.text}`).join(' and ')}\n${lines.join('\n')}`,
      'widen the ranges (more compression at the lossy end) or loosen the target',
    );
  }
  if (!input.compile) {
    const report = searchSection(
      input,
      knobs,
      units,
      measured,
      [],
      frontier,
      exact,
      t0,
      metrics,
      offset,
      r.best,
    );
    return {
      plan: choosePlan(plan, units, optionsOf(r.best.choice), specializer),
      report,
      layers: searchLayers(units, r.best.choice, measured, rule),
    };
  }
  if (costTargets.length) {
    // best fidelity within the budgets; each compile corrects the estimate by what it measured (a
    // miss moves the budget in, slack lets the next allocation spend it) until a try lands within
    // 2% under every bound
    const seen = new Set<string>();
    const refine = async (next: () => Allocation | undefined, why: string): Promise<void> => {
      let a = next();
      for (let attempt = 0; a && attempt < 6 && !seen.has(a.choice.join(',')); attempt++) {
        seen.add(a.choice.join(','));
        const c = await tryAllocation(
          a,
          attempt === 0 ? why : `${why}; estimate corrected by the last compile`,
        );
        const close = metrics.every((k) => c.totals[k] <= bound(k) && c.totals[k] >= bound(k) * 0.98);
        if ((met(c) && close) || !timeLeft()) break;
        const over = costMissed(c).length > 0;
        for (const k of metrics) {
          const miss = c.totals[k] - estimate(a)[k];
          // past the bound, overshoot the correction a little more each time
          offset[k] += over && miss > 0 ? miss * (1 + 0.25 * attempt) : miss;
        }
        a = next();
      }
    };
    await refine(() => {
      r = allocateNow();
      return r.best;
    }, 'least sensitive within the cost targets');
    // the allocation again, with no layer lossier than the least lossy uniform setting that fits
    const budgets = () => metrics.map((k) => bound(k) - offset[k]);
    const floor = uniformFloor(units, problem, budgets());
    if (floor && timeLeft()) {
      const setting = knobs
        .map((k) => k.candidates[Math.min(floor.level, k.candidates.length - 1)]!.text)
        .join('/');
      const cut = restrictToFloor(units, problem, floor.level);
      const before = tries.length;
      await refine(() => {
        const f = allocate(cut.problem, budgets()).best;
        return f && { ...f, choice: f.choice.map((o, u) => cut.original[u]![o]!) };
      }, `no layer lossier than ${setting} everywhere`);
      // none of those met every target: the uniform setting itself
      if (tries.length > before && !tries.slice(before).some((t) => met(t.compiled)) && timeLeft()) {
        const cost = metrics.map(() => 0);
        let sensitivity = 0;
        floor.choice.forEach((o, u) => {
          const option = problem[u]!.options[o]!;
          sensitivity += option.sensitivity;
          option.cost.forEach((c, k) => {
            cost[k]! += c;
          });
        });
        await refine(() => ({ choice: floor.choice, sensitivity, cost }), `${setting} everywhere`);
      }
      floorNote = { setting, tried: tries.length > before };
    }
  } else {
    // fidelity targets alone: the cheapest point of the frontier that holds them
    const points = thinFrontier(frontier, 48);
    let lo = 0;
    let hi = points.length - 1;
    const top = await tryAllocation(points[hi]!, 'least sensitive');
    if (fidelityMet(top)) {
      while (lo < hi && timeLeft()) {
        const mid = (lo + hi) >> 1;
        const c = await tryAllocation(points[mid]!, `binary search ${lo}..${hi} of ${points.length}`);
        if (fidelityMet(c)) hi = mid;
        else lo = mid + 1;
      }
    }
  }
  await probe?.release();
  const chosen = best ?? closest!;
  const report = searchSection(
    input,
    knobs,
    units,
    measured,
    tries,
    frontier,
    exact,
    t0,
    metrics,
    offset,
    chosen.a,
  );
  if (floorNote) report.floor = floorNote;
  const layers = searchLayers(units, chosen.a.choice, measured, rule);
  let missed: Diagnostic[] | undefined;
  if (!best) {
    const c = closest!.compiled;
    const secs = ((performance.now() - t0) / 1000).toFixed(0);
    const help = costTargets.length
      ? 'loosen a target, widen the ranges, or add distill to recover fidelity'
      : 'loosen the fidelity target or narrow the ranges to less lossy values';
    missed = targets.flatMap((t, i) =>
      c.targets[i]!.met
        ? []
        : [
            diag(
              'SQ502',
              t.span,
              `${t.text} missed by the search: the closest of ${tries.length} compiles (${secs} s) reached ${fmtAchieved(t, c.targets[i]!.achieved)}`,
              help,
            ),
          ],
    );
  }
  return {
    plan: choosePlan(
      plan,
      units,
      chosen.a.choice.map((o, u) => units[u]!.options[o]!),
      specializer,
    ),
    compiled: chosen.compiled,
    report,
    layers,
    ...(missed ? { missed } : {}),
  };
}

/** At most n frontier points, evenly by index, both ends kept. */
function thinFrontier(f: Allocation[], n: number): Allocation[] {
  if (f.length <= n) return f;
  return Array.from({ length: n }, (_, i) => f[Math.round((i * (f.length - 1)) / (n - 1))]!);
}

/** Whether x is closer than y to meeting every target (fewer misses, then smaller relative miss). */
function closer(x: Compiled, y: Compiled, targets: TargetSpec[]): boolean {
  const gap = (c: Compiled) =>
    c.targets.reduce((s, t, i) => {
      if (t.met || t.achieved === null) return s;
      const v = targets[i]!.value;
      return s + Math.abs(t.achieved - v) / Math.max(Math.abs(v), 1e-9);
    }, 0);
  const misses = (c: Compiled) => c.targets.filter((t) => !t.met).length;
  return misses(x) < misses(y) || (misses(x) === misses(y) && gap(x) < gap(y));
}

function fmtAchieved(t: TargetSpec, v: number | null): string {
  if (v === null) return 'n/a';
  if (t.relative || t.metric === 'agreement' || t.metric === 'accuracy') return pct(v);
  if (t.metric === 'size') return v >= 1e6 ? `${(v / 1e6).toFixed(3)} MB` : `${(v / 1e3).toFixed(1)} KB`;
  if (t.metric === 'latency') return `${(v * 1000).toFixed(1)} ms`;
  if (t.metric === 'snr') return `${v.toFixed(2)} dB`;
  if (t.metric === 'cosine') return v.toFixed(6);
  return String(v);
}

function fmtCost(k: CostMetric, v: number, original: Costs): string {
  const rel = original[k] ? ` (${pct(v / original[k])} of the original)` : '';
  if (k === 'size') return `${(v / 1e3).toFixed(1)} KB${rel}`;
  if (k === 'latency') return `${v.toFixed(2)} ms${rel}`;
  return `${Math.round(v)}${rel}`;
}
