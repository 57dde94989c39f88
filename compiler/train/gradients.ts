// gradients(model, feeds, loss): ∂loss/∂w for every float weight, in one run of the training graph
// (what `squish grad` writes). No file I/O.

import { UserError } from '../../runtime/errors.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { importAnyModel } from '../../runtime/sqz/read.ts';
import { buildTrainingGraph, type WeightSelection } from './graph/training-graph.ts';
import type { LossTerm } from './loss/terms.ts';
import { type RunnerFactory, squishRunner } from './runner.ts';
import { weightValues } from './weights.ts';

/** 'sum': every element of every output; mse: mean squared difference of an output (default the first) to `mse`. */
export type GradientLoss = 'sum' | { mse: Tensor; value?: string };

export interface GradientsOptions {
  runner?: RunnerFactory;
  /** Which weights (default 'all': every float constant with a gradient path, scalars included). */
  weights?: WeightSelection;
}

export interface GradientsResult {
  loss: number;
  gradients: Record<string, Tensor>;
}

/** ∂loss/∂w for every float weight (by weight name). */
export async function gradients(
  model: Uint8Array | Model,
  feeds: Record<string, Tensor>,
  loss: GradientLoss = 'sum',
  options: GradientsOptions = {},
): Promise<Record<string, Tensor>> {
  return (await lossAndGradients(model, feeds, loss, options)).gradients;
}

/** The loss too, as `squish grad` prints it. */
export async function lossAndGradients(
  source: Uint8Array | Model,
  feeds: Record<string, Tensor>,
  loss: GradientLoss = 'sum',
  options: GradientsOptions = {},
): Promise<GradientsResult> {
  const model = source instanceof Uint8Array ? importAnyModel(source) : source;
  const outputs = model.graph.outputs.map((o) => o.name);
  const terms: LossTerm[] =
    loss === 'sum'
      ? outputs.map((value) => ({ kind: 'sum', value }))
      : [{ kind: 'mse', value: loss.mse && (loss.value ?? outputs[0]), target: 'label' }];
  const inputShapes = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.dims]]));
  const tg = buildTrainingGraph(model, { inputShapes, loss: terms, weights: options.weights ?? 'all' });
  const all: Record<string, Tensor> = { ...feeds, ...weightValues(model, tg.weights) };
  for (const t of tg.targets) {
    if (loss === 'sum') continue;
    const ref = loss.mse;
    if (ref.dims.length !== t.shape.length || ref.dims.some((d, i) => d !== t.shape[i]))
      throw new UserError(
        `the mse reference has shape [${ref.dims.join(', ')}], but output '${t.value}' has [${t.shape.join(', ')}]`,
      );
    all[t.input] =
      ref.dtype === 'float32'
        ? ref
        : { ...ref, dtype: 'float32', data: Float32Array.from(ref.data as ArrayLike<number>) };
  }
  const runner = await (options.runner ?? squishRunner())(tg.model);
  try {
    const res = await runner.run(all);
    const out: Record<string, Tensor> = {};
    for (const [w, name] of tg.gradients) out[w] = res[name]!;
    return { loss: Number((res[tg.loss!]!.data as Float32Array)[0]), gradients: out };
  } finally {
    await runner.release();
  }
}
