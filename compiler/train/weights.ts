// Reading trainable weights out of a model and writing trained values back, wherever the model keeps
// them (initializers, or Constant nodes as PaddleOCR does).

import { UserError } from '../../runtime/errors.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { WeightInfo } from './graph/prepare.ts';

/** The current value of each weight, as float32 tensors (shared with the model: copy before editing). */
export function weightValues(model: Model, weights: readonly { name: string }[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const w of weights) {
    const t = model.graph.constant(w.name);
    if (t?.dtype !== 'float32')
      throw new UserError(`weight '${w.name}' is not a float32 constant of the model`);
    out[w.name] = t;
  }
  return out;
}

/** Copies of the weights' data, the arrays an optimizer updates in place. */
export function weightArrays(model: Model, weights: readonly WeightInfo[]): Map<string, Float32Array> {
  const values = weightValues(model, weights);
  return new Map(weights.map((w) => [w.name, Float32Array.from(values[w.name]!.data as Float32Array)]));
}

/** Write trained values into the model (in place), keeping each weight where and how it was stored. */
export function writeWeights(model: Model, values: ReadonlyMap<string, Float32Array>): void {
  const g = model.graph;
  for (const [name, data] of values) {
    const init = g.initializers.get(name);
    if (init) {
      g.initializers.set(name, { dtype: 'float32', dims: [...init.dims], data: Float32Array.from(data) });
      continue;
    }
    const p = g.producer(name);
    const old = g.constant(name);
    if (p?.opType !== 'Constant' || !old)
      throw new UserError(`weight '${name}' is not a constant of the model`);
    p.attributes = [
      {
        name: 'value',
        type: 'TENSOR',
        value: { dtype: 'float32', dims: [...old.dims], data: Float32Array.from(data) },
      },
    ];
    p.attrsChanged();
  }
  g.touch();
}
