// Sensitivity and cost of every unit at every candidate, measured on the fitting samples. For each
// knob and candidate the pipeline runs once with every layer of that knob at the candidate (the
// others at their least lossy value); each unit's layers are then read back as the float tensors
// they compute with and fed, alone, into the reference model — "that layer alone changed", one
// session run per sample. A unit whose computation changes shape (channels, factors) is compiled
// alone instead. Costs come from the same runs (bytes in the output format, params, FLOPs, and ops
// timed alone when a target bounds latency). Solves (GPTQ Hessians, input means) are shared across
// runs that feed a pass the same model.

import type { Model } from '../../runtime/ir/model.ts';
import type { Dim } from '../../runtime/ir/shape/index.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { Sample } from '../data/calibration.ts';
import { nodesByLayer } from '../engine/pass.ts';
import type { Plan } from '../plan/plan.ts';
import { choosePlan } from './choose.ts';
import { type Costs, type ModelCosts, modelCosts, sumCosts } from './costs.ts';
import { effectiveTensors } from './effective.ts';
import { opLatencies } from './latency.ts';
import { runPipeline } from './pipeline.ts';
import { type CandidateScore, openProbe, type SearchEngine } from './probe.ts';
import type { Specializer } from './space.ts';
import type { SearchUnit } from './units.ts';

export interface MeasureInput {
  plan: Plan;
  units: SearchUnit[];
  /** A fresh copy of the original model. */
  load: () => Model;
  copy: (m: Model) => Model;
  samples: Sample[];
  engine: SearchEngine;
  format: 'onnx' | 'sqz';
  shapes: Record<string, Dim[]>;
  /** Time ops alone (a target bounds latency). */
  latency: boolean;
  /** performance.now() past which sensitivities are interpolated instead of measured. */
  deadline: number;
  specializer: Specializer;
  progress?: (step: string, done: number, total: number) => void;
  log?: (line: string) => void;
}

export interface Point {
  score: CandidateScore;
  costs: Costs;
  /** tensors: fed into the reference; model: compiled alone; estimated: between measured neighbours. */
  how: 'tensors' | 'model' | 'estimated';
}

export interface Measurements {
  /** [unit][knob][candidate] */
  points: Point[][][];
  /** The model with every unit at its least lossy option: totals and file size, as the base of estimates. */
  base: ModelCosts;
  baseModel: Model;
  /** The units' summed costs in the base model (what the base totals hold of them). */
  unitsInBase: Costs;
  /** Pipeline runs and probe runs (samples × candidates). */
  runs: { pipelines: number; probes: number; estimated: number };
}

/** A unit's layers and the parts passes split off them (factorize). */
function withParts(layers: string[], parts: Map<string, string[]> | undefined): string[] {
  return layers.flatMap((l) => [l, ...(parts?.get(l) ?? [])]);
}

/** Fills each missing sensitivity from its measured neighbours along the candidates (linear). */
function interpolate(row: (Point | undefined)[]): Point[] {
  const known = row.flatMap((p, i) => (p && p.how !== 'estimated' ? [i] : []));
  return row.map((p, i) => {
    if (p && p.how !== 'estimated') return p;
    const lo = [...known].reverse().find((k) => k < i);
    const hi = known.find((k) => k > i);
    const a = row[lo ?? hi!]!;
    const b = row[hi ?? lo!]!;
    const t = lo === undefined || hi === undefined || hi === lo ? 0 : (i - lo) / (hi - lo);
    // past the last measured candidate: as bad as the worst measured, never better
    const error = a.score.error + (b.score.error - a.score.error) * t;
    return { score: { error }, costs: p?.costs ?? a.costs, how: 'estimated' };
  });
}

export async function measureUnits(input: MeasureInput): Promise<Measurements> {
  const { plan, units, engine, samples } = input;
  const caches = new Map<string, Map<string, unknown>>();
  const runs = { pipelines: 0, probes: 0, estimated: 0 };
  const baseChoice = units.map((u) => u.knobs.map(() => 0));
  // every pass at stage s reads a model fixed by the knob values of earlier stages
  const cacheFor = (choice: readonly (readonly number[])[], tag: string) => (stage: number) => {
    const sig = units
      .map((u, i) => u.knobs.map((k, j) => (k.stage < stage ? choice[i]![j] : 0)).join(','))
      .join('|');
    const key = `${tag}:${stage}:${sig}`;
    let c = caches.get(key);
    if (!c) caches.set(key, (c = new Map()));
    return c;
  };
  const pipeline = async (choice: readonly (readonly number[])[], only?: Set<string>, tag = 'all') => {
    const p = choosePlan(plan, units, choice, input.specializer, only ? { only } : {});
    runs.pipelines++;
    return runPipeline(input.load(), p, { samples, training: false, cacheFor: cacheFor(choice, tag) });
  };

  const reference = (
    await runPipeline(input.load(), choosePlan(plan, units, baseChoice, input.specializer, { none: true }))
  ).model;
  const refNodes = nodesByLayer(reference);
  const overridable = [
    ...new Set(
      units.flatMap((u) =>
        u.layers.flatMap((l) =>
          (refNodes.get(l)?.inputs ?? []).filter((i) => reference.graph.constant(i)?.dtype === 'float32'),
        ),
      ),
    ),
  ];
  const probe = await openProbe(engine, reference, overridable, samples, input.copy);
  const latencyTable = new Map<string, number>();
  const points: (Point | undefined)[][][] = units.map((u) =>
    u.knobs.map((k) => k.candidates.map(() => undefined)),
  );
  const alone: { unit: number; knob: number; cand: number }[] = [];
  const total = 1 + units.reduce((a, u) => a + u.knobs.reduce((b, k) => b + k.candidates.length - 1, 0), 0);
  let done = 0;
  const tick = () => input.progress?.('search: sensitivity', ++done, total);

  /** Costs of a unit's layers in a compiled model (latency: its ops timed alone). */
  const unitCosts = async (
    m: Model,
    mc: ModelCosts,
    u: SearchUnit,
    parts: Map<string, string[]> | undefined,
  ) => {
    const names = withParts(u.layers, parts);
    const c = sumCosts(mc, names);
    if (input.latency) {
      const ms = await opLatencies(engine, m, names, input.shapes, nodesByLayer(m), latencyTable);
      c.latency = [...ms.values()].reduce((a, b) => a + b, 0);
    }
    return c;
  };

  /** One pipeline run at `choice`; every unit `which` selects gets its point for (knob, cand). */
  const sweep = async (choice: number[][], which: { unit: number; knob: number; cand: number }[]) => {
    const run = await pipeline(choice);
    const mc = modelCosts(run.model, input.format, input.shapes);
    const nodes = nodesByLayer(run.model);
    const byUnit = new Map<number, Point>();
    for (const w of which) {
      let point = byUnit.get(w.unit);
      if (!point) {
        const u = units[w.unit]!;
        const costs = await unitCosts(run.model, mc, u, run.ctx.parts);
        const tensors = new Map<string, Tensor>();
        let same = true;
        for (const l of u.layers) {
          const ref = refNodes.get(l);
          const t = ref ? await effectiveTensors(reference, ref, run.model, nodes.get(l)) : undefined;
          if (!t) same = false;
          else for (const [k, v] of t) tensors.set(k, v);
        }
        if (!same) alone.push(w);
        point =
          !same || (performance.now() > input.deadline && w.cand > 0)
            ? { score: { error: 0 }, costs, how: 'estimated' }
            : { score: await probe.withTensors(tensors), costs, how: 'tensors' };
        byUnit.set(w.unit, point);
      }
      points[w.unit]![w.knob]![w.cand] = point;
    }
    return { run, mc };
  };

  // the base: every unit at its least lossy option (candidate 0 of every knob)
  const baseWhich = units.flatMap((u, i) => u.knobs.map((_, j) => ({ unit: i, knob: j, cand: 0 })));
  const base = await sweep(baseChoice, baseWhich);
  tick();
  let unitsInBase: Costs = { size: 0, params: 0, flops: 0, latency: 0 };
  for (const u of units) {
    const c = await unitCosts(base.run.model, base.mc, u, base.run.ctx.parts);
    unitsInBase = {
      size: unitsInBase.size + c.size,
      params: unitsInBase.params + c.params,
      flops: unitsInBase.flops + c.flops,
      latency: unitsInBase.latency + c.latency,
    };
  }
  // knob by knob, most lossy candidate first (so a budget cut leaves the ends measured)
  const knobs = [...new Set(units.flatMap((u) => u.knobs))];
  for (const k of knobs) {
    const order = k.candidates
      .map((_, i) => i)
      .slice(1)
      .reverse();
    const ends = order.slice(0, 1);
    const middle = order.slice(1).reverse();
    for (const c of [...ends, ...middle]) {
      const choice = units.map((u) => u.knobs.map((kk) => (kk === k ? c : 0)));
      const which = units.flatMap((u, i) =>
        u.knobs.flatMap((kk, j) => (kk === k ? [{ unit: i, knob: j, cand: c }] : [])),
      );
      await sweep(choice, which);
      tick();
      input.log?.(
        `search: ${k.option} ${k.candidates[c]!.text} measured on ${which.length} unit${which.length === 1 ? '' : 's'}`,
      );
    }
  }
  // units whose computation changed shape: compiled alone, least lossy and most lossy first
  alone.sort((a, b) => (a.cand === 0 ? -1 : b.cand === 0 ? 1 : b.cand - a.cand));
  for (const w of alone) {
    if (performance.now() > input.deadline && w.cand > 0) continue;
    const u = units[w.unit]!;
    const choice = units.map((uu, i) => uu.knobs.map((_, j) => (i === w.unit && j === w.knob ? w.cand : 0)));
    const run = await pipeline(choice, new Set(u.layers), `alone:${u.id}`);
    const mc = modelCosts(run.model, input.format, input.shapes);
    const point: Point = {
      score: await probe.withModel(run.model),
      costs: await unitCosts(run.model, mc, u, run.ctx.parts),
      how: 'model',
    };
    // the least lossy option is every knob's candidate 0
    if (w.cand === 0) for (const row of points[w.unit]!) row[0] = point;
    else points[w.unit]![w.knob]![w.cand] = point;
  }
  runs.probes = probe.runs;
  await probe.release();
  const filled = points.map((perKnob) => perKnob.map(interpolate));
  runs.estimated = filled.flat(2).filter((p) => p.how === 'estimated').length;
  return { points: filled, base: base.mc, baseModel: base.run.model, unitsInBase, runs };
}
