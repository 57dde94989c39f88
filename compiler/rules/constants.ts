// Helpers for rules that rewrite constant tensors in place: replace a weight's data while keeping
// its name and its form (initializer or Constant node) when only the rewritten node uses it.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Node } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';

/**
 * Make `user`'s input `index` hold `tensor`. The value keeps its name when `user` is its only
 * reader (its initializer or Constant node is updated); otherwise a fresh initializer is added.
 */
export function setConstantInput(g: Graph, user: Node, index: number, tensor: Tensor, base: string): void {
  const name = user.inputs[index] ?? '';
  const sole = name !== '' && g.consumers(name).length === 1 && !g.isOutput(name) && !g.isInput(name);
  if (sole && g.initializers.has(name)) {
    g.initializers.set(name, tensor); // same name, new data: the graph's lookups stay right
    return;
  }
  const producer = name ? g.producer(name) : undefined;
  if (sole && producer?.opType === 'Constant' && producer.attributes.length === 1) {
    producer.setAttr('value', tensor, 'TENSOR');
    if (producer.attributes[0].name !== 'value') {
      producer.attributes = producer.attributes.filter((a) => a.name === 'value');
      producer.attrsChanged();
    }
    return;
  }
  const fresh = g.uniqueName(name || base);
  g.addInitializer(fresh, tensor);
  while (user.inputs.length <= index) user.inputs.push('');
  user.setInput(index, fresh);
}

/** Float64 copy of a float tensor's data (undefined for other dtypes). */
export function f64(t: Tensor | undefined): Float64Array | undefined {
  if (!t) return undefined;
  if (t.dtype !== 'float32' && t.dtype !== 'float64') return undefined;
  return Float64Array.from(t.data as Float32Array);
}

export function float32Like(dims: readonly number[], values: Float64Array): Tensor {
  return { dtype: 'float32', dims: [...dims], data: Float32Array.from(values) };
}
