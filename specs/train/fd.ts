// Spec helpers for gradient checks: the training graph's gradients from onnxruntime-node and squish's
// runtime, against central finite differences of the same loss computed in float64 by squish's
// reference kernels.

import * as ort from 'onnxruntime-node';
import { rng } from '../../compiler/data/random.ts';
import { buildTrainingGraph, type TrainingGraph } from '../../compiler/train/graph/training-graph.ts';
import type { LossTerm, TargetFeed } from '../../compiler/train/loss/terms.ts';
import { ortRunner, type RunnerFactory, squishRunner } from '../../compiler/train/runner.ts';
import { weightValues } from '../../compiler/train/weights.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { cloneModel } from '../../runtime/onnx/clone.ts';
import { type Case, caseModel } from './cases.ts';

export const ORT = ortRunner(ort as never, { threads: 1 });
export const SQUISH = squishRunner('cpu');

const f64 = (t: Tensor): Tensor =>
  t.dtype === 'float32'
    ? { dtype: 'float64', dims: [...t.dims], data: Float64Array.from(t.data as Float32Array) }
    : t;

/** The same graph computing in float64 (initializers, inputs, outputs, Cast to float). */
export function toFloat64(model: Model): Model {
  const m = cloneModel(model);
  const g = m.graph;
  for (const [k, t] of g.initializers) g.initializers.set(k, f64(t));
  for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo])
    if (v.type?.dtype === 'float32') v.type = { ...v.type, dtype: 'float64' };
  for (const n of g.nodes) {
    if (n.opType === 'Cast' && Number(n.attrs.to) === 1) n.setAttr('to', 11);
    if (n.opType === 'Constant' && n.attrs.value) n.setAttr('value', f64(n.attrs.value as Tensor));
  }
  g.touch();
  return m;
}

/** How specs key the target tensors they feed: by source and value. */
export const targetKey = (t: TargetFeed) => `${t.source}|${t.value}`;

export interface Check {
  weight: string;
  index: number;
  got: number;
  fd: number;
  scale: number;
}

/** Gradients of `model` under `terms` (targets fed from `targets` by value name) on a runner. */
export async function runGradients(
  tg: TrainingGraph,
  feeds: Record<string, Tensor>,
  targets: Record<string, Tensor>,
  runner: RunnerFactory,
  model: Model,
): Promise<Map<string, Float32Array>> {
  const all: Record<string, Tensor> = { ...feeds, ...weightValues(model, tg.weights) };
  for (const t of tg.targets) all[t.input] = targets[targetKey(t)]!;
  const r = await runner(tg.model);
  try {
    const res = await r.run(all);
    return new Map([...tg.gradients].map(([w, o]) => [w, Float32Array.from(res[o]!.data as Float32Array)]));
  } finally {
    await r.release();
  }
}

/**
 * Central differences, in float64, of the loss with respect to `count` random elements of every
 * weight; an element where the difference quotient changes with the step (a kink: Relu at 0, a tie
 * in MaxPool) is left out. Returns the checks against `grads`.
 */
export async function finiteDifferences(
  model: Model,
  feeds: Record<string, Tensor>,
  terms: LossTerm[],
  targets: Record<string, Tensor>,
  grads: Map<string, Float32Array>,
  pick: () => number,
  batchNorm?: 'batch',
  count = 4,
): Promise<Check[]> {
  const inputShapes = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.dims]]));
  const evalGraph = buildTrainingGraph(model, {
    inputShapes,
    loss: terms,
    weights: 'all',
    gradients: false,
    batchNorm,
  });
  const m64 = toFloat64(evalGraph.model);
  const runner = await SQUISH(m64);
  const base: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) base[k] = f64(t);
  for (const t of evalGraph.targets) base[t.input] = f64(targets[targetKey(t)]!);
  const w64 = new Map(Object.entries(weightValues(model, evalGraph.weights)).map(([k, t]) => [k, f64(t)]));
  for (const [k, t] of w64) base[k] = t;
  const lossAt = async (name: string, i: number, delta: number) => {
    const t = w64.get(name)!;
    const d = Float64Array.from(t.data as Float64Array);
    d[i]! += delta;
    const out = await runner.run({ ...base, [name]: { ...t, data: d } });
    return (out[evalGraph.loss!]!.data as Float64Array)[0]!;
  };
  const checks: Check[] = [];
  try {
    for (const [name, g] of grads) {
      const t = w64.get(name)!;
      const n = t.data.length;
      const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const seen = new Set<number>();
      for (let k = 0; k < Math.min(count, n); k++) {
        const i = Math.floor(pick() * n);
        if (seen.has(i)) continue;
        seen.add(i);
        const w = Math.abs((t.data as Float64Array)[i]!);
        const h = 1e-4 * Math.max(1, w);
        const fd1 = ((await lossAt(name, i, h)) - (await lossAt(name, i, -h))) / (2 * h);
        const fd2 = ((await lossAt(name, i, h / 4)) - (await lossAt(name, i, -h / 4))) / (h / 2);
        if (Math.abs(fd1 - fd2) > 1e-6 * Math.max(1, scale) + 1e-4 * Math.abs(fd1)) continue; // a kink
        checks.push({ weight: name, index: i, got: g[i]!, fd: fd2, scale });
      }
    }
  } finally {
    await runner.release();
  }
  return checks;
}

/** Checks that miss: |got − fd| above 2e-3 of the gradient's largest element plus 1% of fd. */
export function misses(checks: Check[], rel = 1e-2, abs = 2e-3): Check[] {
  return checks.filter(
    (c) => !(Math.abs(c.got - c.fd) <= abs * Math.max(c.scale, 1e-3) + rel * Math.abs(c.fd)),
  );
}

/** Gradients on both runtimes agree with finite differences; returns a failure description or ''. */
export async function checkCase(c: Case, seed: number): Promise<string> {
  const model = caseModel(c, seed);
  const terms: LossTerm[] = c.loss ?? c.outputs.map((value) => ({ kind: 'mse', value, target: 'label' }));
  const tg = buildTrainingGraph(model, {
    inputShapes: {},
    loss: terms,
    weights: 'all',
    batchNorm: c.batchNorm,
  });
  const next = rng(seed + 1);
  const targets: Record<string, Tensor> = {};
  for (const t of tg.targets)
    targets[targetKey(t)] = {
      dtype: 'float32',
      dims: t.shape,
      data: Float32Array.from({ length: t.shape.reduce((p, d) => p * d, 1) }, () => next() * 2 - 1),
    };
  const problems: string[] = [];
  for (const [name, runner] of [
    ['onnxruntime', ORT],
    ['squish', SQUISH],
  ] as const) {
    const grads = await runGradients(tg, {}, targets, runner, model);
    const checks = await finiteDifferences(model, {}, terms, targets, grads, rng(seed + 2), c.batchNorm);
    if (checks.length === 0 && grads.size > 0) problems.push(`${name}: no element could be checked`);
    for (const m of misses(checks))
      problems.push(`${name}: ∂/∂${m.weight}[${m.index}] = ${m.got}, finite differences ${m.fd}`);
  }
  return problems.length ? `${c.label}: ${problems.slice(0, 4).join('; ')}` : '';
}
